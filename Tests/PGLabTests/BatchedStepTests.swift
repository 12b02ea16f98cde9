import PGLab
import PolicyLosses
import SeededRandom
import Testing

/// The engine's batched step against the per-context reference step (same streams: contexts
/// first, then the samples; `Float` products against `Double` ones), and its determinism.
@Suite struct BatchedStepTests {
  static func series(_ e: LabExperiment, threads: Int) throws -> [StepAggregate] {
    var out: [StepAggregate] = []
    try e.run(threads: threads) { out.append($0); return true }
    return out
  }

  static func experiments() -> [(String, LabExperiment)] {
    var mlp = LabExperiment(environment: ContextualBandit(dimension: 6, actions: 5, model: .nonlinear, noise: 0.5),
                            policy: MLPPolicy(features: 6, hidden: [12, 7], actions: 5), learningRate: 0.01, runs: 3, steps: 25, seed: 5)
    mlp.optimizer = .adamDefault
    mlp.batchSize = 24
    var ppo = mlp
    ppo.policy = MLPPolicy(features: 6, hidden: [9], actions: 5, activation: .relu)
    ppo.surrogate = .ppoClip(epochs: 3, clipLow: 0.2, clipHigh: 0.28)
    ppo.groupSize = 4
    ppo.advantage = .groupNormalized(scaleByStd: true, epsilon: 1e-6)
    var linear = LabExperiment(environment: ContextualBandit(dimension: 5, actions: 4), policy: LinearPolicy(features: 5, actions: 4),
                               learningRate: 0.2, runs: 3, steps: 25, seed: 9)
    linear.batchSize = 16
    linear.advantage = .learned(rate: 0.1)
    var states = linear
    states.environment = ContextualBandit(dimension: 5, actions: 4, states: 3)
    var loss = mlp
    loss.surrogate = .tokenLoss(PolicyLoss(.ppoDefault), epochs: 2)
    return [("mlp", mlp), ("ppo relu", ppo), ("linear", linear), ("linear, 3 states", states), ("token loss", loss)]
  }

  @Test(arguments: experiments().map(\.0))
  func agreesWithThePerContextStep(_ name: String) throws {
    var e = Self.experiments().first { $0.0 == name }!.1
    let batched = try Self.series(e, threads: 1)
    e.batchedNetworkStep = false
    let reference = try Self.series(e, threads: 1)
    #expect(batched.count == reference.count)
    for (b, r) in zip(batched, reference) {
      for probe in [Probe.reward, .entropy, .collision, .regret, .updateNorm, .entropyChangeActual, .logitSpaceNorm] {
        let x = b.mean[probe.rawValue], y = r.mean[probe.rawValue]
        #expect(abs(x - y) <= 2e-4 * max(1, abs(y)) || (x.isNaN && y.isNaN), "\(name), step \(b.step), \(probe): batched \(x), per-context \(y)")
      }
    }
  }

  @Test func identicalForAnyThreadCount() throws {
    var e = Self.experiments()[0].1
    e.runs = 5
    let one = try Self.series(e, threads: 1).map(\.csvRow)
    #expect(one == (try Self.series(e, threads: 2)).map(\.csvRow))
    #expect(one == (try Self.series(e, threads: 4)).map(\.csvRow))
  }
}
