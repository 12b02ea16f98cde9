import PolicyLosses

/// The runner a ``LabConfiguration`` describes: the vectorised tabular-bandit runner
/// (``BanditExperiment``) when it applies, the general one (``LabExperiment``) otherwise.
public enum LabRunner: Sendable {
  /// The vectorised tabular-bandit runner.
  case vectorised(BanditExperiment)
  /// The general runner (any policy, estimator, surrogate and optimiser).
  case general(LabExperiment)

  /// Whether this is the vectorised tabular-bandit runner.
  public var isVectorised: Bool { if case .vectorised = self { return true } else { return false } }

  /// Runs it on `threads` workers; `onStep` receives each step's aggregate in order (false
  /// stops), `stopRequested` is polled between chunks of steps. The series does not depend on
  /// `threads`.
  ///
  /// - Complexity: that of the runner, ``BanditExperiment/run(threads:stopRequested:onStep:)`` or
  ///   ``LabExperiment/run(threads:stopRequested:onStep:)``.
  public func run(threads: Int, stopRequested: () -> Bool = { false }, onStep: (StepAggregate) -> Bool) throws(LabError) {
    switch self {
    case .vectorised(let e): try e.run(threads: threads, stopRequested: stopRequested, onStep: onStep)
    case .general(let e): try e.run(threads: threads, stopRequested: stopRequested, onStep: onStep)
    }
  }
}

extension LabConfiguration {
  /// The environments ``environment`` may name.
  public static let environmentNames = BanditSpec.Kind.allCases.map(\.rawValue) + ["contextual-bandit"]
  /// The rules ``rule`` may name.
  public static let ruleNames = UpdateRule.names + ["ppo", "grpo"]
  /// The policies ``policy`` may name.
  public static let policyNames = ["tabular", "linear", "mlp"]
  /// The baselines ``baseline`` may name.
  public static let baselineNames = ["none", "running-mean", "learned", "rloo"]

  /// G: ``group``, or 8 for grpo and 1 otherwise.
  public var groupSize: Int { group ?? (rule == "grpo" ? 8 : 1) }
  /// B: ``batch``, or the group size.
  public var batchSize: Int { batch ?? groupSize }

  /// The environment, checked.
  func makeEnvironment() throws(LabError) -> (any Environment, BanditSpec?) {
    guard Self.environmentNames.contains(environment) else {
      throw LabError("unknown environment '\(environment)' (available: \(Self.environmentNames.joined(separator: ", ")))")
    }
    let made: any Environment, spec: BanditSpec?
    if let kind = BanditSpec.Kind(rawValue: environment) {
      spec = BanditSpec(kind: kind, arms: arms, means: means, noise: noise, drift: drift)
      made = BanditEnvironment(spec!)
    } else {
      guard let model = ContextualBandit.RewardModel(rawValue: rewardModel) else {
        throw LabError("unknown reward model '\(rewardModel)' (available: linear, nonlinear)")
      }
      if means != nil { throw LabError("means apply to bandits, not to a contextual bandit") }
      if drift != 0 { throw LabError("drift applies to bandits, not to a contextual bandit") }
      spec = nil
      made = ContextualBandit(dimension: dimension, actions: arms, model: model, noise: noise, states: contexts)
    }
    try made.validate()
    return (made, spec)
  }

  /// Checks the names and sizes that do not need the environment.
  func checkNames() throws(LabError) {
    guard Self.ruleNames.contains(rule) else { throw LabError("unknown rule '\(rule)' (available: \(Self.ruleNames.joined(separator: ", ")))") }
    guard Self.policyNames.contains(policy) else { throw LabError("unknown policy '\(policy)' (available: \(Self.policyNames.joined(separator: ", ")))") }
    guard Optimizer(name: optimizer) != nil else { throw LabError("unknown optimizer '\(optimizer)' (available: \(Optimizer.names.joined(separator: ", ")))") }
    guard LearningRateSchedule(name: schedule, final: learningRateFinal, warmup: warmup) != nil else {
      throw LabError("unknown schedule '\(schedule)' (available: \(LearningRateSchedule.names.joined(separator: ", ")))")
    }
    if let baseline, !Self.baselineNames.contains(baseline) {
      throw LabError("unknown baseline '\(baseline)' (available: \(Self.baselineNames.joined(separator: ", ")))")
    }
    if let threads, threads < 1 { throw LabError("threads must be at least 1, got \(threads)") }
    if runs < 1 { throw LabError("runs must be at least 1, got \(runs)") }
    if steps < 1 { throw LabError("steps must be at least 1, got \(steps)") }
    if batchSize < 1 { throw LabError("batch must be at least 1, got \(batchSize)") }
    if groupSize < 1 { throw LabError("group must be at least 1, got \(groupSize)") }
    // Settings that would be ignored are refused.
    if loss == nil {
      if !lossParameters.isEmpty || adaptiveEntropyTarget != nil { throw LabError("loss parameters and the adaptive entropy bonus apply to a loss") }
      if rule != "ppo", rule != "grpo", epochs != nil || clipHigh != nil { throw LabError("epochs and clip_high apply to the ppo and grpo rules") }
    }
    if noStd, rule != "grpo" { throw LabError("no_std applies to the grpo rule") }
  }

  /// What the runs will allocate, in bytes, with a description of the experiment for the
  /// message of a memory limit; checked before anything is built (sizes near `Int.max` give a
  /// large estimate, not an overflow).
  public func estimatedBytes(threads: Int) throws(LabError) -> (bytes: Double, what: String) {
    try checkNames()
    let (environment, spec) = try makeEnvironment()
    let widths = policy == "mlp" ? hidden : []
    let features = spec == nil ? dimension : 1
    let parameters: Double
    switch policy {
    case "tabular": parameters = Double(environment.stateCount ?? 1) * Double(arms)
    case "linear": parameters = LabResources.networkParameters(features: features, hidden: [], actions: arms)
    default: parameters = LabResources.networkParameters(features: features, hidden: widths, actions: arms)
    }
    let bytes = policy == "tabular" && spec != nil
      ? max(LabResources.banditBytes(runs: runs, arms: arms),
            LabResources.generalBytes(runs: runs, parameters: parameters, features: 1, actions: arms, hidden: [], fixedContexts: nil, batch: batchSize, threads: threads))
      : LabResources.generalBytes(runs: runs, parameters: parameters, features: features, actions: arms, hidden: widths, fixedContexts: contexts, batch: batchSize, threads: threads)
    let p = parameters < 1e15 ? String(Int(parameters)) : "\(parameters)"
    return (bytes, "\(runs) runs of a \(policy) policy with \(p) parameters, K = \(arms)\(spec == nil ? ", d = \(dimension)" : ""), B = \(batchSize)")
  }

  /// One line describing the policy, rule, loss, optimiser and batch:
  /// `mlp 8,8 tanh, grpo, loss kl_cov, adam, B = 4, G = 4` (`tabular, reinforce` for the
  /// vectorised runner).
  public func summary(vectorised: Bool) -> String {
    if vectorised { return "tabular, \(rule)" }
    let policyText = policy == "mlp" ? "mlp \(hidden.map(String.init).joined(separator: ",")) \(activation)" : policy
    return "\(policyText), \(rule)\(loss.map { ", loss \($0)" } ?? ""), \(optimizer), B = \(batchSize)\(groupSize > 1 ? ", G = \(groupSize)" : "")"
  }

  /// Checks the configuration and builds its runner: the vectorised one for tabular bandits
  /// with reinforce, reinforce-baseline, expected or natural, batch 1, SGD and a constant rate
  /// (and no loss); the general one for everything else. The first bad setting is named.
  public func makeRunner() throws(LabError) -> LabRunner {
    try checkNames()
    let (environment, banditSpec) = try makeEnvironment()
    let opt = Optimizer(name: optimizer)!
    let lrSchedule = LearningRateSchedule(name: schedule, final: learningRateFinal, warmup: warmup)!
    let isGRPO = rule == "grpo"
    if let banditSpec, policy == "tabular", loss == nil, let simple = UpdateRule(name: rule, baselineRate: baselineRate),
      batchSize == 1, groupSize == 1, opt == .sgd, lrSchedule == LearningRateSchedule(),
      baseline == nil || baseline == (simple == .reinforce ? "none" : "running-mean") || !simple.isSampled
    {
      var e = BanditExperiment(bandit: banditSpec, rule: simple, learningRate: learningRate, runs: runs, steps: steps, seed: seed)
      e.quantiles = quantiles
      try e.validate()
      return .vectorised(e)
    }
    let pol: any Policy
    switch policy {
    case "tabular": pol = TabularPolicy(states: environment.stateCount ?? 1, actions: arms)
    case "linear": pol = LinearPolicy(features: environment.featureCount, actions: arms)
    default:
      guard let act = MLPPolicy.Activation(rawValue: activation) else { throw LabError("unknown activation '\(activation)' (available: tanh, relu)") }
      pol = MLPPolicy(features: environment.featureCount, hidden: hidden, actions: arms, activation: act)
    }
    var e = LabExperiment(environment: environment, policy: pol, learningRate: learningRate, runs: runs, steps: steps, seed: seed)
    e.optimizer = opt
    e.schedule = lrSchedule
    e.batchSize = batchSize
    e.groupSize = groupSize
    e.quantiles = quantiles
    switch rule {
    case "expected": e.estimator = .expected
    case "natural": e.estimator = .natural
    default: e.estimator = .sampled
    }
    switch baseline ?? (rule == "reinforce-baseline" || rule == "ppo" ? "running-mean" : "none") {
    case "running-mean": e.advantage = .runningMean(rate: baselineRate)
    case "learned": e.advantage = .learned(rate: baselineRate)
    case "rloo": e.advantage = .leaveOneOut
    default: e.advantage = .reward
    }
    if isGRPO { e.advantage = .groupNormalized(scaleByStd: !noStd, epsilon: 1e-6) }
    if let loss {
      guard !["expected", "natural"].contains(rule) else { throw LabError("a loss needs a sampled rule, not \(rule)") }
      let policyLoss: PolicyLoss
      do { policyLoss = try PolicyLoss(named: loss, parameters: lossParameters) } catch { throw LabError(error.description) }
      e.surrogate = .tokenLoss(policyLoss, epochs: epochs ?? 1)
      if let adaptiveEntropyTarget {
        e.adaptiveEntropy = AdaptiveEntropyCoefficient(value: 0, delta: adaptiveEntropyDelta, target: adaptiveEntropyTarget)
      }
    } else if rule == "ppo" || isGRPO {
      e.surrogate = .ppoClip(epochs: epochs ?? (isGRPO ? 1 : 4), clipLow: clip, clipHigh: clipHigh ?? clip)
    }
    try e.validate()
    return .general(e)
  }
}
