/// The published losses by name, with verl's parameter names and defaults
/// (`actor_rollout_ref.actor.*` / `algorithm.*`): what `logitdyn loss --set`, the lab's
/// `--loss`, `rlvr` and the C/Python bindings accept.
///
/// Losses: `vanilla` (= `ppo`; ε 0.2, dual-clip c 3, log-ratio clamp ±20), `dapo` (ε 0.2/0.28,
/// c 10), `reinforce` (seq-mean-token-sum), `clip_cov` (ratio 2e-4, bounds (1, 5)), `kl_cov`
/// (ratio 2e-4, coefficient 0.1), `steer` (dapo + linear STEER weights), and seed 004's
/// methods with their official parameter names and script defaults: `lp_reg` (ρ_neg 0.01,
/// κ 0.02, β 1, clip 1/9, no dual-clip or clamp), `siren` (α 0.005 as `entropy_coeff`,
/// top-k 10⁴, top-p 0.8, mask ratio 0.8; clip 0.28, seq-mean-token-sum-norm), `epo` (PPO +
/// entropy bonus 0.001 + smoothing κ 0.5/1.5, p_out 0.1; needs `entropy_history`), `bapo`
/// (the yaml's bounds search).
public enum VerlParameters {
  /// Every parameter name the losses accept (verl's and the methods' official keys, and `temperature`);
  /// ``parse(_:)`` and `PolicyLoss(named:parameters:)` refuse any other.
  public static let knownKeys: Set<String> = [
    "clip_ratio", "clip_ratio_low", "clip_ratio_high", "clip_ratio_c", "log_ratio_clamp", "loss_agg_mode", "dp_size",
    "batch_num_tokens", "global_batch_size", "loss_scale_factor", "clip_cov_ratio", "clip_cov_lb", "clip_cov_ub", "seed",
    "torch_manual_seed", "kl_cov_ratio", "ppo_kl_coef", "entropy_coeff", "kl_loss_type", "kl_loss_coef", "entropy_top_ratio",
    "entropy_top_renormalize", "steer", "steer_w_min", "steer_w_max", "normalized_step", "complement_clamp", "temperature",
    // Lp-Reg
    "logp_neg_k_percent", "logp_pos_k_percent", "minp_p_threshold",
    // SIREN
    "entropy_topk", "entropy_topp", "mask_ratio", "entropy_anchor",
    // EPO
    "entropy_smooth", "entropy_smooth_coeff", "entropy_smooth_min_ratio", "entropy_smooth_max_ratio", "entropy_smooth_out_range_penalty",
    "entropy_smooth_mask_mode", "entropy_history", "enable_smooth_weights", "epoch",
    // BAPO
    "adv_ratio_target", "ratio_lower_start", "ratio_lower_max", "ratio_lower_step", "ratio_upper_start", "ratio_upper_max", "ratio_upper_step",
    "bapo_statistic",
  ]

  /// ``knownKeys`` sorted and comma-separated, for the messages that list them.
  public static let keyList = knownKeys.sorted().joined(separator: ", ")

  /// The script defaults of seed 004's losses where they differ from verl's, as parameters
  /// that the caller's own override: Lp-Reg's clip 1/9 without dual-clip or log-ratio clamp,
  /// SIREN's clip 0.28 and Dr. GRPO-style aggregation, EPO's bonus 0.001 with smoothing on.
  public static let presets: [String: [String: String]] = [
    "lp_reg": ["clip_ratio_low": "1", "clip_ratio_high": "9", "clip_ratio_c": "0", "log_ratio_clamp": "0"],
    "siren": ["clip_ratio": "0.28", "loss_agg_mode": "seq-mean-token-sum-norm"],
    "epo": ["entropy_coeff": "0.001", "entropy_smooth": "true"],
  ]

  /// The losses ``makeLoss(name:parameters:)`` knows.
  public static let lossNames = ["vanilla", "ppo", "dapo", "reinforce", "clip_cov", "kl_cov", "steer", "lp_reg", "siren", "epo", "bapo"]

  /// `key=value` pairs, checked against ``knownKeys`` (the last value of a key wins).
  public static func parse(_ settings: [String]) throws(LossError) -> [String: String] {
    var result: [String: String] = [:]
    for item in settings {
      guard let eq = item.firstIndex(of: "="), eq != item.startIndex else { throw LossError("--set expects key=value, got '\(item)'") }
      let key = trimmed(item[..<eq])
      let value = trimmed(item[item.index(after: eq)...])
      guard Self.knownKeys.contains(key) else {
        throw LossError("unknown parameter '\(key)' (known: \(Self.keyList))")
      }
      result[key] = value
    }
    return result
  }

  /// The loss `name` (one of ``lossNames``) with the parameters `p` (verl's names and
  /// defaults, the methods' official names for theirs), validated.
  public static func makeLoss(name: String, parameters given: [String: String]) throws(LossError) -> PolicyLoss {
    let p = (presets[name] ?? [:]).merging(given) { _, user in user }
    func number(_ key: String, _ fallback: Double) throws(LossError) -> Double {
      guard let text = p[key] else { return fallback }
      guard let v = Double(text), v.isFinite else { throw LossError("\(key) must be a finite number, got '\(text)'") }
      return v
    }
    func flag(_ key: String, _ fallback: Bool) throws(LossError) -> Bool {
      guard let text = p[key] else { return fallback }
      switch text.lowercased() {
      case "true", "1", "yes": return true
      case "false", "0", "no": return false
      default: throw LossError("\(key) must be true or false, got '\(text)'")
      }
    }
    func whole(_ key: String, _ fallback: Int) throws(LossError) -> Int {
      guard let text = p[key] else { return fallback }
      guard let v = Int(text) else { throw LossError("\(key) must be a whole number, got '\(text)'") }
      return v
    }
    let isDAPO = name == "dapo" || name == "steer"
    let clip = try number("clip_ratio", 0.2)
    let low = try number("clip_ratio_low", clip)
    let high = try number("clip_ratio_high", p["clip_ratio"] == nil && isDAPO ? 0.28 : clip)
    let c = try number("clip_ratio_c", isDAPO ? 10 : 3)
    let clamp = try number("log_ratio_clamp", 20)
    let surrogate: SurrogateLoss
    var defaultMode = Aggregation.Mode.tokenMean
    switch name {
    case "vanilla", "ppo", "dapo", "steer", "lp_reg", "siren", "epo", "bapo":
      surrogate = .vanilla(clipLow: low, clipHigh: high, dualClip: c == 0 ? nil : c, logRatioClamp: clamp == 0 ? nil : clamp)
    case "reinforce":
      surrogate = .reinforce
      defaultMode = .seqMeanTokenSum
    case "clip_cov":
      let draw: ClipCovDraw
      if let s = p["torch_manual_seed"] {
        guard let seed = UInt64(s) else { throw LossError("torch_manual_seed must be a whole number ≥ 0, got '\(s)'") }
        draw = .torch(seed)
      } else {
        guard let seed = UInt64(p["seed"] ?? "0") else { throw LossError("seed must be a whole number ≥ 0, got '\(p["seed"]!)'") }
        draw = .seeded(seed)
      }
      surrogate = .clipCov(clipLow: low, clipHigh: high, ratio: try number("clip_cov_ratio", CovarianceSelection.verlClipCovRatio),
                           lowerBound: try number("clip_cov_lb", 1), upperBound: try number("clip_cov_ub", 5), draw: draw)
    case "kl_cov":
      surrogate = .klCov(ratio: try number("kl_cov_ratio", CovarianceSelection.verlKLCovRatio), coefficient: try number("ppo_kl_coef", 0.1))
    default:
      throw LossError("unknown loss '\(name)' (available: \(lossNames.joined(separator: ", ")))")
    }
    let modeName = p["loss_agg_mode"] ?? defaultMode.rawValue
    guard let mode = Aggregation.Mode(rawValue: modeName) else {
      throw LossError("unknown loss_agg_mode '\(modeName)' (available: \(Aggregation.Mode.allCases.map(\.rawValue).joined(separator: ", ")))")
    }
    var aggregation = Aggregation(mode)
    if let d = p["dp_size"] {
      guard let v = Int(d) else { throw LossError("dp_size must be a whole number, got '\(d)'") }
      aggregation.dataParallelSize = v
    }
    if p["batch_num_tokens"] != nil { aggregation.batchNumTokens = try number("batch_num_tokens", 0) }
    if p["global_batch_size"] != nil { aggregation.globalBatchSize = try number("global_batch_size", 0) }
    if p["loss_scale_factor"] != nil { aggregation.lossScaleFactor = try number("loss_scale_factor", 0) }
    var loss = PolicyLoss(surrogate, aggregation: aggregation)
    // SIREN's `entropy_coeff` is its α, not a bonus.
    loss.entropyCoefficient = name == "siren" ? 0 : try number("entropy_coeff", 0)
    if let kind = p["kl_loss_type"] {
      guard let estimator = KLEstimator(name: kind) else {
        throw LossError("unknown kl_loss_type '\(kind)' (available: kl, k1, abs, mse, k2, low_var_kl, k3, k1+, k3+)")
      }
      loss.klPenalty = KLPenalty(estimator, coefficient: try number("kl_loss_coef", 0.001))
    } else if p["kl_loss_coef"] != nil {
      loss.klPenalty = KLPenalty(KLEstimator(.k3), coefficient: try number("kl_loss_coef", 0.001))
    }
    if p["entropy_top_ratio"] != nil { loss.topEntropyRatio = try number("entropy_top_ratio", 0.2) }
    loss.topEntropyRenormalize = try flag("entropy_top_renormalize", true)
    if name == "steer" || p["steer"] != nil {
      let shapeName = p["steer"] ?? "linear"
      guard let shape = SteerWeighting.Shape(rawValue: shapeName) else { throw LossError("steer must be linear or exponential, got '\(shapeName)'") }
      loss.steer = SteerWeighting(shape, minimum: try number("steer_w_min", 0.8), maximum: p["steer_w_max"] == nil ? nil : try number("steer_w_max", 1.2))
    }
    if name == "lp_reg" {
      loss.lowProbability = LowProbabilityRegularization(
        negativeRatio: try number("logp_neg_k_percent", 0.01), positiveRatio: try number("logp_pos_k_percent", 0),
        coefficient: try number("ppo_kl_coef", 1), minP: try number("minp_p_threshold", 0.02))
    }
    if name == "siren" {
      loss.siren = SelectiveEntropyRegularization(
        coefficient: try number("entropy_coeff", 0.005), topK: try whole("entropy_topk", 10_000), topP: try number("entropy_topp", 0.8),
        maskRatio: try number("mask_ratio", 0.8), anchor: p["entropy_anchor"] == nil ? nil : try number("entropy_anchor", 0))
    }
    if try flag("entropy_smooth", false) {
      let modeName = p["entropy_smooth_mask_mode"] ?? "token"
      guard let mode = EntropySmoothing.Mode(rawValue: modeName) else { throw LossError("entropy_smooth_mask_mode must be token or seq, got '\(modeName)'") }
      let weight = try flag("enable_smooth_weights", false) ? EntropySmoothing.phaseWeight(epoch: try whole("epoch", 0)) : 1
      loss.entropySmoothing = EntropySmoothing(
        history: p["entropy_history"] == nil ? [] : [try number("entropy_history", 0)], coefficient: try number("entropy_smooth_coeff", 1),
        lowerRatio: try number("entropy_smooth_min_ratio", 0.5), upperRatio: try number("entropy_smooth_max_ratio", 1.5),
        penalty: try number("entropy_smooth_out_range_penalty", 0.1), weight: weight, mode: mode)
    }
    if name == "bapo" {
      let statisticName = p["bapo_statistic"] ?? "value"
      guard let statistic = BalancedClipping.Statistic(rawValue: statisticName) else { throw LossError("bapo_statistic must be value or gradient, got '\(statisticName)'") }
      loss.balancedClipping = BalancedClipping(
        target: try number("adv_ratio_target", 1), lowerStart: try number("ratio_lower_start", 0.6), lowerMax: try number("ratio_lower_max", 0.8),
        lowerStep: try number("ratio_lower_step", 0.05), upperStart: try number("ratio_upper_start", 1.2), upperMax: try number("ratio_upper_max", 2.0),
        upperStep: try number("ratio_upper_step", 0.05), statistic: statistic)
    }
    loss.normalizedStep = try flag("normalized_step", false)
    loss.complementClamp = try flag("complement_clamp", false)
    try loss.validate()
    return loss
  }

  /// `text` without leading and trailing spaces and tabs.
  static func trimmed(_ text: Substring) -> String {
    String(text.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
  }

  /// The sampling temperature `τ` of `p["temperature"]` (default 1; finite, > 0).
  public static func temperature(_ p: [String: String]) throws(LossError) -> Double {
    guard let text = p["temperature"] else { return 1 }
    guard let t = Double(text), t > 0, t.isFinite else { throw LossError("temperature must be a finite number > 0, got '\(text)'") }
    return t
  }
}

extension PolicyLoss {
  /// The published loss `name` with verl-style `parameters` and their defaults
  /// (``VerlParameters/makeLoss(name:parameters:)``): one of ``VerlParameters/lossNames``,
  /// `-` standing for `_` (`clip-cov`) and `grpo` for `vanilla` (GRPO is PPO-clip on group
  /// advantages). Unknown names and bad values throw with the valid ones listed.
  public init(named name: String, parameters: [String: String] = [:]) throws(LossError) {
    let key = name == "grpo" ? "vanilla" : String(name.map { $0 == "-" ? "_" : $0 })
    guard VerlParameters.lossNames.contains(key) else {
      throw LossError("unknown loss '\(name)' (available: grpo, \(VerlParameters.lossNames.joined(separator: ", ")))")
    }
    for k in parameters.keys where !VerlParameters.knownKeys.contains(k) {
      throw LossError("unknown parameter '\(k)' (known: \(VerlParameters.keyList))")
    }
    self = try VerlParameters.makeLoss(name: key, parameters: parameters)
  }
}
