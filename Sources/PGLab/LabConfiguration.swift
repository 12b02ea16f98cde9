import Configuration
import PolicyLosses

/// Everything that defines a lab experiment (what `logitdyn run`, its `--config` files and
/// sweep files describe), typed, with every default in one place. ``fields`` is its one
/// schema: the keys of configuration and sweep files, their types, help lines and setters.
/// ``makeRunner()`` checks it and builds the runner (``LabConfiguration+Runner.swift``).
public struct LabConfiguration: Configurable, Equatable {
  /// `gaussian-bandit`, `bernoulli-bandit` or `contextual-bandit`.
  public var environment = "gaussian-bandit"
  /// Number of arms (actions) K ≥ 2.
  public var arms = 10
  /// Fixed arm means (bandits); `nil`: drawn per run.
  public var means: [Double]? = nil
  /// Reward noise σ (Gaussian arms, contextual bandits).
  public var noise = 1.0
  /// Non-stationary bandits: the means take a N(0, drift²) step after every step.
  public var drift = 0.0
  /// Contextual bandit: context dimension d.
  public var dimension = 8
  /// Contextual bandit: `linear` or `nonlinear` mean rewards.
  public var rewardModel = "linear"
  /// Contextual bandit: a finite set of S contexts per run (tabular policies need one).
  public var contexts: Int? = nil
  /// `tabular`, `linear` or `mlp`.
  public var policy = "tabular"
  /// MLP hidden widths.
  public var hidden = [64]
  /// MLP activation: `tanh` or `relu`.
  public var activation = "tanh"
  /// `reinforce`, `reinforce-baseline`, `expected`, `natural`, `ppo` or `grpo`.
  public var rule = "reinforce-baseline"
  /// `none`, `running-mean`, `learned` or `rloo`; `nil`: running-mean for reinforce-baseline
  /// and ppo, none otherwise.
  public var baseline: String? = nil
  /// Rate of the running-mean or learned baseline.
  public var baselineRate = 0.01
  /// Samples per step B; `nil`: the group size.
  public var batch: Int? = nil
  /// Samples per context G (a GRPO group); `nil`: 8 for grpo, 1 otherwise.
  public var group: Int? = nil
  /// PPO/GRPO optimiser epochs per batch; `nil`: ppo 4, grpo and losses 1.
  public var epochs: Int? = nil
  /// PPO/GRPO clip range ε (low side).
  public var clip = 0.2
  /// PPO/GRPO clip range on the high side (clip-higher); `nil`: ``clip``.
  public var clipHigh: Double? = nil
  /// GRPO: centre advantages without dividing by the group std (Dr. GRPO).
  public var noStd = false
  /// A loss of `PolicyLoss(named:parameters:)` as the surrogate (each sample a one-token
  /// response), with its verl-named parameters.
  public var loss: String? = nil
  /// The loss's parameters, verl's keys (``VerlParameters/knownKeys``) to their values as text.
  public var lossParameters: [String: String] = [:]
  /// With a loss: the target entropy (nats) of an adaptive entropy bonus (Skywork-OR1/TRL).
  public var adaptiveEntropyTarget: Double? = nil
  /// Step δ of the adaptive entropy coefficient.
  public var adaptiveEntropyDelta = 0.005
  /// `sgd` or `adam`.
  public var optimizer = "sgd"
  /// Step size η > 0.
  public var learningRate = 0.1
  /// `constant`, `linear`, `cosine` or `inverse-sqrt`.
  public var schedule = "constant"
  /// Linear/cosine schedules: the final rate as a fraction of ``learningRate``.
  public var learningRateFinal = 0.0
  /// Linear warm-up steps.
  public var warmup = 0
  /// Independent runs N ≥ 1.
  public var runs = 1024
  /// Steps per run.
  public var steps = 1000
  /// The experiment seed: run i uses the random stream (seed, i).
  public var seed: UInt64 = 1
  /// Worker threads (`nil`: all cores). The results do not depend on it.
  public var threads: Int? = nil
  /// Whether each step reports 10/50/90% quantiles over runs (a sort per step).
  public var quantiles = true

  /// The defaults: a tabular policy under reinforce-baseline and SGD (η = 0.1) on a 10-armed Gaussian
  /// bandit, 1024 runs of 1000 steps, seed 1.
  public init() {}

  /// The keys of configuration and sweep files (snake_case; the command line's options are
  /// the same names with `-`).
  public static let fields: [ConfigField<LabConfiguration>] = [
    ConfigField("env", .string, "Environment: gaussian-bandit, bernoulli-bandit or contextual-bandit.") { c, v throws(ConfigurationError) in c.environment = try v.text() },
    ConfigField("arms", .integer, "Number of arms (actions) K ≥ 2.") { c, v throws(ConfigurationError) in c.arms = try v.integer() },
    ConfigField("means", .list, "Fixed arm means; default: drawn per run.") { c, v throws(ConfigurationError) in c.means = try v.numbers() },
    ConfigField("noise", .number, "Reward noise σ (Gaussian arms, contextual bandits).") { c, v throws(ConfigurationError) in c.noise = try v.number() },
    ConfigField("drift", .number, "Non-stationary bandits: arm means take a N(0, drift²) step after every step.") { c, v throws(ConfigurationError) in c.drift = try v.number() },
    ConfigField("dim", .integer, "Contextual bandit: context dimension d.") { c, v throws(ConfigurationError) in c.dimension = try v.integer() },
    ConfigField("reward_model", .string, "Contextual bandit: linear or nonlinear mean rewards.") { c, v throws(ConfigurationError) in c.rewardModel = try v.text() },
    ConfigField("contexts", .integer, "Contextual bandit: a finite set of S contexts per run (needed by tabular policies).") { c, v throws(ConfigurationError) in c.contexts = try v.integer() },
    ConfigField("policy", .string, "Policy: tabular, linear or mlp.") { c, v throws(ConfigurationError) in c.policy = try v.text() },
    ConfigField("hidden", .list, "MLP hidden widths.") { c, v throws(ConfigurationError) in c.hidden = try widths(v.numbers()) },
    ConfigField("activation", .string, "MLP activation: tanh or relu.") { c, v throws(ConfigurationError) in c.activation = try v.text() },
    ConfigField("rule", .string, "Update rule: reinforce, reinforce-baseline, expected, natural, ppo, grpo.") { c, v throws(ConfigurationError) in c.rule = try v.text() },
    ConfigField("baseline", .string, "Baseline of sampled rules: none, running-mean, learned, rloo (leave-one-out within a group; default: running-mean for reinforce-baseline and ppo, none for reinforce).") { c, v throws(ConfigurationError) in c.baseline = try v.text() },
    ConfigField("baseline_rate", .number, "Rate of the running-mean or learned baseline.") { c, v throws(ConfigurationError) in c.baselineRate = try v.number() },
    ConfigField("batch", .integer, "Samples per step B (default 1; grpo: the group size).") { c, v throws(ConfigurationError) in c.batch = try v.integer() },
    ConfigField("group", .integer, "Samples per context G, a GRPO group (default 1; grpo: 8).") { c, v throws(ConfigurationError) in c.group = try v.integer() },
    ConfigField("epochs", .integer, "PPO/GRPO: optimiser epochs per batch (default: ppo 4, grpo 1).") { c, v throws(ConfigurationError) in c.epochs = try v.integer() },
    ConfigField("clip", .number, "PPO/GRPO clip range ε (low side).") { c, v throws(ConfigurationError) in c.clip = try v.number() },
    ConfigField("clip_high", .number, "PPO/GRPO clip range on the high side (clip-higher; default: clip).") { c, v throws(ConfigurationError) in c.clipHigh = try v.number() },
    ConfigField("no_std", .boolean, "GRPO: centre advantages without dividing by the group std (Dr. GRPO).") { c, v throws(ConfigurationError) in c.noStd = try v.boolean() },
    ConfigField("adaptive_entropy", .number, "With a loss: an adaptive entropy bonus (Skywork-OR1/TRL) holding the entropy near this target (nats).") { c, v throws(ConfigurationError) in c.adaptiveEntropyTarget = try v.number() },
    ConfigField("adaptive_entropy_delta", .number, "Step δ of the adaptive entropy coefficient.") { c, v throws(ConfigurationError) in c.adaptiveEntropyDelta = try v.number() },
    ConfigField("optimizer", .string, "Optimiser: sgd or adam.") { c, v throws(ConfigurationError) in c.optimizer = try v.text() },
    ConfigField("lr", .number, "Step size η > 0.") { c, v throws(ConfigurationError) in c.learningRate = try v.number() },
    ConfigField("schedule", .string, "Learning-rate schedule: constant, linear, cosine, inverse-sqrt.") { c, v throws(ConfigurationError) in c.schedule = try v.text() },
    ConfigField("lr_final", .number, "linear/cosine schedules: final rate as a fraction of lr.") { c, v throws(ConfigurationError) in c.learningRateFinal = try v.number() },
    ConfigField("warmup", .integer, "Linear warm-up steps.") { c, v throws(ConfigurationError) in c.warmup = try v.integer() },
    ConfigField("runs", .integer, "Number of independent runs N ≥ 1.") { c, v throws(ConfigurationError) in c.runs = try v.integer() },
    ConfigField("steps", .integer, "Steps per run.") { c, v throws(ConfigurationError) in c.steps = try v.integer() },
    ConfigField("seed", .integer, "Experiment seed.") { c, v throws(ConfigurationError) in c.seed = try v.seed() },
    ConfigField("threads", .integer, "Worker threads (default: all cores; the results do not depend on it).") { c, v throws(ConfigurationError) in c.threads = try v.integer() },
    ConfigField("no_quantiles", .boolean, "Report means and maxima only (no per-step sort over runs).") { c, v throws(ConfigurationError) in c.quantiles = !(try v.boolean()) },
  ]

  /// Hidden widths: whole numbers in [1, 10⁶).
  static func widths(_ values: [Double]) throws(ConfigurationError) -> [Int] {
    var out: [Int] = []
    for w in values {
      guard w >= 1, w == w.rounded(), w < 1e6 else { throw ConfigurationError(field: nil, "widths must be whole numbers ≥ 1 and < 10⁶, got \(w)") }
      out.append(Int(w))
    }
    return out
  }

  /// Sets the loss (``loss``) and its parameters, each checked against verl's keys (an
  /// unknown key is an error that lists them).
  public mutating func setLoss(name: String, parameters: [String: String]) throws(ConfigurationError) {
    for key in parameters.keys.sorted() where !VerlParameters.knownKeys.contains(key) {
      throw ConfigurationError(field: "loss.\(key)", "is not a loss parameter (parameters: \(VerlParameters.keyList))")
    }
    loss = name
    lossParameters = parameters
  }
}
