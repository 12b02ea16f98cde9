import Foundation
import PGLab
import PolicyLosses
import Testing

/// The lab with the published losses: on a bandit and a contextual bandit, plain policy
/// gradient (the unclipped surrogate `−A r`, several epochs per batch) collapses the entropy,
/// and an entropy bonus or KL-Cov — each the same surrogate with the intervention switched on —
/// slows the collapse; tested over independent seeds with a stated margin, not on one lucky seed.
@Suite struct EntropyInterventionTests {
  static func lateEntropy(_ e: LabExperiment) throws -> Double {
    var late: [Double] = []
    try e.run(threads: 2) { agg in
      if agg.step >= e.steps - 20 { late.append(agg.mean[Probe.entropy.rawValue]) }
      return true
    }
    return late.reduce(0, +) / Double(late.count)
  }

  static func experiment(_ environment: any Environment, _ policy: any Policy, loss: PolicyLoss, seed: UInt64) -> LabExperiment {
    var e = LabExperiment(environment: environment, policy: policy, learningRate: 0.2, runs: 24, steps: 100, seed: seed)
    e.batchSize = 8
    e.advantage = .runningMean(rate: 0.1)
    e.surrogate = .tokenLoss(loss, epochs: 3)
    e.quantiles = false
    return e
  }

  @Test(arguments: ["bandit", "contextual"])
  func entropyBonusAndKLCovSlowTheCollapse(task: String) throws {
    let environment: any Environment = task == "bandit"
      ? BanditEnvironment(BanditSpec(kind: .gaussian, arms: 10))
      : ContextualBandit(dimension: 4, actions: 6, states: 8)
    let policy: any Policy = task == "bandit" ? TabularPolicy(states: 1, actions: 10) : LinearPolicy(features: 4, actions: 6)
    let plain = PolicyLoss(.klCov(ratio: 0.2, coefficient: 0))
    var bonus = plain
    bonus.entropyCoefficient = 0.05
    let klCov = PolicyLoss(.klCov(ratio: 0.2, coefficient: 1))
    var differences: [String: [Double]] = ["entropy bonus": [], "KL-Cov": []]
    var start = 0.0
    for seed in UInt64(1)...5 {
      let base = try Self.lateEntropy(Self.experiment(environment, policy, loss: plain, seed: seed))
      start = log(Double(environment.actionCount))
      #expect(base < 0.5 * start, "\(task), seed \(seed): plain PG should collapse the entropy (late H \(base))")
      differences["entropy bonus"]!.append(try Self.lateEntropy(Self.experiment(environment, policy, loss: bonus, seed: seed)) - base)
      differences["KL-Cov"]!.append(try Self.lateEntropy(Self.experiment(environment, policy, loss: klCov, seed: seed)) - base)
    }
    // Paired over seeds (the same worlds): mean difference > 0 by more than 3 standard errors
    // (5 seeds × 24 runs each).
    for (name, d) in differences {
      let n = Double(d.count)
      let mean = d.reduce(0, +) / n
      let se = (d.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1) / n).squareRoot()
      #expect(mean > 3 * se, "\(task), \(name): late-entropy gain \(mean) ± \(se) (per seed: \(d))")
    }
  }

  /// A token loss with no intervention, one epoch, is the plain policy gradient: the series agree.
  @Test func plainTokenLossIsThePolicyGradient() throws {
    var pg = LabExperiment(environment: BanditEnvironment(BanditSpec(kind: .gaussian, arms: 5)), policy: TabularPolicy(states: 1, actions: 5),
                           learningRate: 0.2, runs: 16, steps: 80, seed: 4)
    pg.batchSize = 4
    pg.advantage = .runningMean(rate: 0.1)
    var loss = pg
    loss.surrogate = .tokenLoss(PolicyLoss(.ppoDefault), epochs: 1)
    var a: [StepAggregate] = [], b: [StepAggregate] = []
    try pg.run(threads: 2) { a.append($0); return true }
    try loss.run(threads: 2) { b.append($0); return true }
    for (x, y) in zip(a, b) {
      for p in [Probe.entropy, .updateNorm, .reward, .entropyChangeActual] {
        #expect(abs(x.mean[p.rawValue] - y.mean[p.rawValue]) <= 1e-12 * max(1, abs(x.mean[p.rawValue])), "\(p.name) at step \(x.step)")
      }
    }
  }

  /// The adaptive coefficient rises while the entropy is below its target and holds it up.
  @Test func adaptiveEntropyCoefficient() throws {
    var c = AdaptiveEntropyCoefficient(value: 0, delta: 0.01, target: 0.5)
    c.update(meanEntropy: 0.3)
    c.update(meanEntropy: 0.3)
    #expect(abs(c.value - 0.02) < 1e-15 && c.coefficient(meanEntropy: 0.4) == c.value && c.coefficient(meanEntropy: 0.6) == 0)
    c.update(meanEntropy: 0.9)
    #expect(abs(c.value - 0.01) < 1e-15)
    var e = Self.experiment(BanditEnvironment(BanditSpec(kind: .gaussian, arms: 10)), TabularPolicy(states: 1, actions: 10),
                            loss: PolicyLoss(.ppoDefault), seed: 2)
    let plain = try Self.lateEntropy(e)
    e.adaptiveEntropy = AdaptiveEntropyCoefficient(value: 0, delta: 0.01, target: 0.8, maximum: 1)
    let held = try Self.lateEntropy(e)
    #expect(held > plain + 0.2, "adaptive bonus: late entropy \(held) vs \(plain)")
  }
}
