import PolicyLosses
import RealModule
import SoftmaxCore

extension LabExperiment {
  /// The first action `a` with `u < p₀ + … + p_a` (inversion; the last action takes the rest).
  @inline(__always)
  static func drawAction(_ u: Double, _ p: UnsafePointer<Double>, _ k: Int) -> Int {
    var cumulative = 0.0
    for j in 0..<(k - 1) {
      cumulative += p[j]
      if u < cumulative { return j }
    }
    return k - 1
  }

  /// Sets each sample's advantage from the rewards of the step (and the run's baseline or
  /// value weights, which it updates).
  func assignAdvantages(_ samples: inout [Sample], _ run: Run) {
    switch advantage {
    case .reward:
      for b in samples.indices { samples[b].advantage = samples[b].reward }
    case .runningMean(let r):
      var mean = 0.0
      for b in samples.indices {
        samples[b].advantage = samples[b].reward - run.baseline
        mean += samples[b].reward
      }
      if !samples.isEmpty { run.baseline += r * (mean / Double(samples.count) - run.baseline) }
    case .learned(let r):
      var step = [Double](repeating: 0, count: run.value.count)
      let d = run.value.count - 1
      let contexts = run.contextBatch
      for b in samples.indices {
        let x = samples[b].context * d
        var v = run.value[d]
        for i in 0..<d { v += run.value[i] * contexts.features[x + i] }
        let error = samples[b].reward - v
        samples[b].advantage = error
        for i in 0..<d { step[i] += error * contexts.features[x + i] }
        step[d] += error
      }
      if !samples.isEmpty { for i in step.indices { run.value[i] += r * step[i] / Double(samples.count) } }
    case .leaveOneOut:
      for g in stride(from: 0, to: samples.count, by: groupSize) {
        let a = OutcomeAdvantages.rloo(scores: samples[g..<(g + groupSize)].map(\.reward), groups: [String](repeating: "", count: groupSize))
        for b in 0..<groupSize { samples[g + b].advantage = a[b] }
      }
    case .groupNormalized(let scaleByStd, let eps):
      for g in stride(from: 0, to: samples.count, by: groupSize) {
        let a = AdvantageEstimator.groupAdvantages(samples[g..<(g + groupSize)].map(\.reward), scaleByStd: scaleByStd, epsilon: eps)
        for b in 0..<groupSize { samples[g + b].advantage = a[b] }
      }
    }
  }
}
