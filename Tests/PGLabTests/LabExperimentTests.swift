import Foundation
import PGLab
import SeededRandom
import SoftmaxCore
import Testing

@Suite struct PolicyGradientTests {
  /// `Jᵀv` from the backward pass against central finite differences of `vᵀz(θ)`, for every
  /// parameter, at random parameters (not the initial ones).
  func checkBackward(_ policy: any Policy, features: Int, seed: UInt64) {
    var rng = Xoshiro256StarStar(seed: seed)
    let theta = (0..<policy.parameterCount).map { _ in 0.7 * rng.nextGaussian() }
    let x = (0..<features).map { _ in rng.nextGaussian() }
    let context = Context(state: 0, features: x, meanRewards: [Double](repeating: 0, count: policy.actionCount))
    let v = (0..<policy.actionCount).map { _ in rng.nextGaussian() }
    var g = [Double](repeating: 0, count: theta.count)
    policy.accumulateGradient(theta, context, logitGradient: v, into: &g)
    func objective(_ t: [Double]) -> Double {
      zip(policy.logits(t, context), v).reduce(0) { $0 + $1.0 * $1.1 }
    }
    let h = 1e-6
    var worst = 0.0
    for i in theta.indices {
      var plus = theta, minus = theta
      plus[i] += h
      minus[i] -= h
      let fd = (objective(plus) - objective(minus)) / (2 * h)
      worst = max(worst, abs(fd - g[i]) / max(1, abs(fd)))
    }
    #expect(worst < 1e-7, "worst relative error \(worst) over \(theta.count) parameters")
  }

  @Test func mlpBackwardMatchesFiniteDifferences() {
    checkBackward(MLPPolicy(features: 5, hidden: [7, 6], actions: 4, activation: .tanh), features: 5, seed: 1)
    checkBackward(MLPPolicy(features: 3, hidden: [9], actions: 5, activation: .tanh), features: 3, seed: 2)
    // ReLU: generic random points are away from the kinks (the FD step is 1e-6).
    checkBackward(MLPPolicy(features: 4, hidden: [8, 8, 5], actions: 3, activation: .relu), features: 4, seed: 3)
  }

  @Test func linearAndTabularBackwardMatchFiniteDifferences() {
    checkBackward(LinearPolicy(features: 6, actions: 4), features: 6, seed: 4)
    checkBackward(TabularPolicy(states: 1, actions: 5), features: 1, seed: 5)
  }

  /// Adam by hand for two steps: `m̂ = g` and `v̂ = g²` after the first, so the first step is
  /// `η·g/(|g| + ε)`; the second uses the bias-corrected averages.
  @Test func adamAndSGDSteps() {
    let adam = Optimizer.adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
    var state = OptimizerState(adam, count: 2)
    var theta = [1.0, -2.0]
    state.step(adam, theta: &theta, gradient: [0.5, -4], learningRate: 0.1)
    #expect(abs(theta[0] - (1 + 0.1 * 0.5 / (0.5 + 1e-8))) < 1e-15)
    #expect(abs(theta[1] - (-2 - 0.1 * 4 / (4 + 1e-8))) < 1e-15)
    let t1 = theta
    state.step(adam, theta: &theta, gradient: [1.0, 0], learningRate: 0.1)
    let m = 0.9 * 0.1 * 0.5 + 0.1 * 1, v = 0.999 * 0.001 * 0.25 + 0.001 * 1
    let mHat = m / (1 - 0.81), vHat = v / (1 - 0.999 * 0.999)
    #expect(abs(theta[0] - (t1[0] + 0.1 * mHat / (vHat.squareRoot() + 1e-8))) < 1e-14)
    var sgd = OptimizerState(.sgd, count: 2)
    var s = [1.0, 1.0]
    sgd.step(.sgd, theta: &s, gradient: [2, -3], learningRate: 0.5)
    #expect(s == [2.0, -0.5])
  }

  @Test func schedules() {
    #expect(LearningRateSchedule().factor(step: 77, of: 100) == 1)
    let linear = LearningRateSchedule(.linear(final: 0.1))
    #expect(linear.factor(step: 0, of: 11) == 1)
    #expect(abs(linear.factor(step: 10, of: 11) - 0.1) < 1e-15)
    #expect(abs(linear.factor(step: 5, of: 11) - 0.55) < 1e-15)
    let cosine = LearningRateSchedule(.cosine(final: 0))
    #expect(cosine.factor(step: 0, of: 101) == 1)
    #expect(abs(cosine.factor(step: 50, of: 101) - 0.5) < 1e-15)
    #expect(abs(cosine.factor(step: 100, of: 101)) < 1e-15)
    let warm = LearningRateSchedule(.constant, warmup: 4)
    #expect([0, 1, 2, 3, 4].map { warm.factor(step: $0, of: 10) } == [0.25, 0.5, 0.75, 1, 1])
    #expect(abs(LearningRateSchedule(.inverseSqrt).factor(step: 3, of: 10) - 0.5) < 1e-15)
  }

  /// GRPO advantages of a group by hand: rewards (1, 0, 0, 1) have mean ½ and unbiased std
  /// √(1/3); Dr. GRPO only centres; a constant group gets zeros.
  @Test func groupAdvantages() {
    let a = AdvantageEstimator.groupAdvantages([1, 0, 0, 1], scaleByStd: true, epsilon: 1e-6)
    let expected = 0.5 / ((1.0 / 3).squareRoot() + 1e-6)
    #expect(a.indices.allSatisfy { abs(a[$0] - [expected, -expected, -expected, expected][$0]) < 1e-15 })
    #expect(AdvantageEstimator.groupAdvantages([3, 1, 2], scaleByStd: false, epsilon: 1e-6) == [1, -1, 0])
    #expect(AdvantageEstimator.groupAdvantages([0.5, 0.5], scaleByStd: true, epsilon: 1e-6) == [0, 0])
  }
}

@Suite struct LabExperimentTests {
  static func series(_ e: LabExperiment, threads: Int = 2) throws -> [StepAggregate] {
    var out: [StepAggregate] = []
    try e.run(threads: threads) { out.append($0); return true }
    return out
  }

  static func banditSeries(_ e: BanditExperiment) throws -> [StepAggregate] {
    var out: [StepAggregate] = []
    try e.run(threads: 2) { out.append($0); return true }
    return out
  }

  /// The general runner with a tabular policy and the vectorised tabular runner draw the same
  /// numbers and agree on every probe mean to rounding (drift and Bernoulli arms included).
  @Test(arguments: [
    (BanditSpec(kind: .gaussian, arms: 6), UpdateRule.reinforceBaseline(rate: 0.05)),
    (BanditSpec(kind: .bernoulli, arms: 4, drift: 0.02), UpdateRule.reinforce),
    (BanditSpec(kind: .gaussian, arms: 5, drift: 0.1), UpdateRule.expected),
    (BanditSpec(kind: .gaussian, arms: 3), UpdateRule.natural),
  ])
  func generalRunnerAgreesWithTheVectorisedOne(spec: BanditSpec, rule: UpdateRule) throws {
    let fast = BanditExperiment(bandit: spec, rule: rule, learningRate: 0.2, runs: 21, steps: 150, seed: 9)
    var general = LabExperiment(environment: BanditEnvironment(spec), policy: TabularPolicy(states: 1, actions: spec.arms),
                                learningRate: 0.2, runs: 21, steps: 150, seed: 9)
    switch rule {
    case .reinforce: break
    case .reinforceBaseline(let rate): general.advantage = .runningMean(rate: rate)
    case .expected: general.estimator = .expected
    case .natural: general.estimator = .natural
    }
    let a = try Self.banditSeries(fast), b = try Self.series(general)
    #expect(a.count == b.count)
    let probes: [Probe] = [.reward, .regret, .chosenProbability, .entropy, .collision, .updateNorm, .updateNormClosedForm,
                           .entropyChangePredicted, .entropyChangeActual]
    var worst = 0.0
    for (x, y) in zip(a, b) {
      for p in probes {
        let u = x.mean[p.rawValue], v = y.mean[p.rawValue]
        if u.isNaN || v.isNaN {
          #expect(u.isNaN && v.isNaN, "\(p.name) NaN in one runner only")
          continue
        }
        worst = max(worst, abs(u - v) / max(1e-3, abs(u)))
      }
    }
    #expect(worst < 1e-9, "largest relative difference \(worst)")
  }

  /// Tabular SGD: the logit change is the logit-space step (ratio and cosine 1), batches
  /// included; with one sample it matches the closed form to 1e-12 and sums to zero.
  @Test func tabularStepsAreTheLogitSpaceSteps() throws {
    var e = LabExperiment(environment: BanditEnvironment(BanditSpec(kind: .gaussian, arms: 8)),
                          policy: TabularPolicy(states: 1, actions: 8), learningRate: 0.3, runs: 16, steps: 200, seed: 4)
    e.advantage = .runningMean(rate: 0.01)
    for agg in try Self.series(e) {
      #expect(agg.maxAbs[Probe.normRelativeError.rawValue] <= 1e-12)
      #expect(agg.maxAbs[Probe.zeroSum.rawValue] <= 1e-15)
      #expect(abs(agg.mean[Probe.jacobianRatio.rawValue] - 1) < 1e-12)
      #expect(abs(agg.mean[Probe.jacobianCosine.rawValue] - 1) < 1e-12)
    }
    e.batchSize = 8
    for agg in try Self.series(e) {
      #expect(abs(agg.mean[Probe.jacobianRatio.rawValue] - 1) < 1e-12)
      #expect(agg.mean[Probe.updateNormClosedForm.rawValue].isNaN)
    }
  }

  /// Adam rescales each logit separately: tabular steps stop summing to zero and turn away
  /// from the gradient direction.
  @Test func adamBreaksTheZeroSumOfTabularSteps() throws {
    var e = LabExperiment(environment: BanditEnvironment(BanditSpec(kind: .gaussian, arms: 5)),
                          policy: TabularPolicy(states: 1, actions: 5), learningRate: 0.05, runs: 32, steps: 50, seed: 5)
    e.optimizer = .adamDefault
    let s = try Self.series(e)
    #expect(s.dropFirst().allSatisfy { $0.maxAbs[Probe.zeroSum.rawValue] > 1e-3 })
    #expect(s.dropFirst().map { $0.mean[Probe.jacobianCosine.rawValue] }.reduce(0, +) / Double(s.count - 1) < 0.99)
  }

  /// A linear policy with bias has `J Jᵀ = (‖x‖² + 1) I`: a single-sample step is the
  /// logit-space step scaled by `1 + ‖x‖²` (mean `1 + d` over Gaussian contexts), never turned.
  @Test func linearPolicyScalesTheLogitStepByOnePlusNormSquared() throws {
    let d = 6
    let e = LabExperiment(environment: ContextualBandit(dimension: d, actions: 4), policy: LinearPolicy(features: d, actions: 4),
                          learningRate: 0.01, runs: 400, steps: 20, seed: 6)
    let s = try Self.series(e)
    var ratios: [Double] = []
    for agg in s {
      #expect(abs(agg.mean[Probe.jacobianCosine.rawValue] - 1) < 1e-9)
      ratios.append(agg.mean[Probe.jacobianRatio.rawValue])
    }
    let mean = ratios.reduce(0, +) / Double(ratios.count)
    // ‖x‖² ~ χ²_d: sd √(2d) per run; the mean over 400 runs × 20 steps has sd √(2d/8000).
    #expect(abs(mean - Double(1 + d)) < 5 * (2.0 * Double(d) / 8000).squareRoot(), "mean ratio \(mean)")
  }

  /// PPO with one epoch is the policy gradient; with many epochs and a tiny clip range every
  /// sample is clipped after the first epoch, so the step equals the one-epoch step.
  @Test func ppoClipReducesToThePolicyGradient() throws {
    var pg = LabExperiment(environment: BanditEnvironment(BanditSpec(kind: .gaussian, arms: 6)),
                           policy: TabularPolicy(states: 1, actions: 6), learningRate: 0.2, runs: 12, steps: 60, seed: 8)
    pg.advantage = .runningMean(rate: 0.1)
    var one = pg
    one.surrogate = .ppoClip(epochs: 1, clipLow: 0.2, clipHigh: 0.28)
    var tight = pg
    tight.surrogate = .ppoClip(epochs: 5, clipLow: 1e-12, clipHigh: 1e-12)
    var loose = pg
    loose.surrogate = .ppoClip(epochs: 3, clipLow: 0.9, clipHigh: 100)
    let a = try Self.series(pg), b = try Self.series(one), c = try Self.series(tight), d = try Self.series(loose)
    for p in [Probe.entropy, .updateNorm, .reward, .entropyChangeActual] {
      #expect(a.map { $0.mean[p.rawValue] } == b.map { $0.mean[p.rawValue] }, "\(p.name): PPO, 1 epoch")
      #expect(a.map { $0.mean[p.rawValue] } == c.map { $0.mean[p.rawValue] }, "\(p.name): PPO, tight clip")
    }
    // Unclipped epochs keep pushing: the first step is about three times as long.
    let ratio = d[0].mean[Probe.updateNorm.rawValue] / a[0].mean[Probe.updateNorm.rawValue]
    #expect(ratio > 2.5 && ratio < 3.5, "3 loose epochs / 1: \(ratio)")
  }

  /// GRPO and RLOO on a Bernoulli bandit: the step sums to zero and learning raises the reward.
  @Test(arguments: [AdvantageEstimator.groupNormalized(scaleByStd: true, epsilon: 1e-6), .leaveOneOut])
  func groupBaselinesLearn(advantage: AdvantageEstimator) throws {
    var e = LabExperiment(environment: BanditEnvironment(BanditSpec(kind: .bernoulli, arms: 5)),
                          policy: TabularPolicy(states: 1, actions: 5), learningRate: 0.5, runs: 64, steps: 150, seed: 10)
    e.batchSize = 16
    e.groupSize = 8
    e.advantage = advantage
    e.surrogate = .ppoClip(epochs: 2, clipLow: 0.2, clipHigh: 0.2)
    let s = try Self.series(e)
    #expect(s.last!.mean[Probe.regret.rawValue] < 0.5 * s.first!.mean[Probe.regret.rawValue])
    #expect(s.allSatisfy { $0.maxAbs[Probe.zeroSum.rawValue] < 1e-14 })
  }

  /// Networks learn contextual bandits; the series is identical for any thread count.
  @Test func mlpLearnsAContextualBanditDeterministically() throws {
    var e = LabExperiment(environment: ContextualBandit(dimension: 4, actions: 3, model: .nonlinear, noise: 0.5),
                          policy: MLPPolicy(features: 4, hidden: [16], actions: 3), learningRate: 0.01, runs: 24, steps: 300, seed: 12)
    e.optimizer = .adamDefault
    e.batchSize = 8
    e.advantage = .learned(rate: 0.05)
    let one = try Self.series(e, threads: 1)
    #expect(one.map(\.csvRow) == (try Self.series(e, threads: 3)).map(\.csvRow))
    let early = one.prefix(20).map { $0.mean[Probe.regret.rawValue] }.reduce(0, +) / 20
    let late = one.suffix(20).map { $0.mean[Probe.regret.rawValue] }.reduce(0, +) / 20
    #expect(late < 0.6 * early, "regret \(early) → \(late)")
    // A network's step is not the logit-space step.
    #expect(abs(one.last!.mean[Probe.jacobianRatio.rawValue] - 1) > 0.01)
  }

  @Test func badCombinationsAreRefused() {
    let bandit = BanditEnvironment(BanditSpec(kind: .gaussian, arms: 3))
    let good = LabExperiment(environment: bandit, policy: TabularPolicy(states: 1, actions: 3), learningRate: 0.1, runs: 2, steps: 2, seed: 0)
    var e = good
    e.environment = ContextualBandit(dimension: 2, actions: 3)
    #expect(throws: LabError("a tabular policy needs discrete states: give the contextual bandit a finite number of contexts")) { try e.validate() }
    e = good; e.policy = MLPPolicy(features: 1, hidden: [4], actions: 3); e.estimator = .natural
    #expect(throws: LabError("the natural gradient is implemented for tabular policies with SGD only")) { try e.validate() }
    e = good; e.batchSize = 6; e.groupSize = 4
    #expect(throws: LabError("the group size (4) must be ≥ 1 and divide the batch size (6)")) { try e.validate() }
    e = good; e.advantage = .groupNormalized(scaleByStd: true, epsilon: 1e-6)
    #expect(throws: LabError("group-normalised advantages (GRPO) need a group size ≥ 2, got 1")) { try e.validate() }
    e = good; e.surrogate = .ppoClip(epochs: 0, clipLow: 0.2, clipHigh: 0.2)
    #expect(throws: LabError("PPO needs at least 1 epoch, got 0")) { try e.validate() }
    e = good; e.policy = MLPPolicy(features: 1, hidden: [], actions: 3)
    #expect(throws: LabError.self) { try e.validate() }
    e = good; e.policy = LinearPolicy(features: 5, actions: 3)
    #expect(throws: LabError.self) { try e.validate() }
  }
}
