import RLVR

extension RLVRSettings {
  /// A configuration small enough for the debug test suite: `task`, a narrow policy, a short
  /// pre-training and few evaluation samples, the rest as given.
  static func small(_ task: SequenceTask.Kind = .skills, hidden: Int = 16, sftSteps: Int = 20, sftBatch: Int = 32, updates: Int = 3,
                    promptsPerUpdate: Int = 8, evalEvery: Int = 100, evalPrompts: Int = 4, evalSamples: Int = 2) -> RLVRSettings {
    var s = RLVRSettings()
    s.task = task
    s.hidden = hidden
    s.sftSteps = sftSteps
    s.sftBatch = sftBatch
    s.updates = updates
    s.promptsPerUpdate = promptsPerUpdate
    s.evalEvery = evalEvery
    s.evalPrompts = evalPrompts
    s.evalSamples = evalSamples
    return s
  }
}
