import ArgumentParser
import Foundation
import LogitDynamics
import OutputFormats
import StrictJSON

/// `logitdyn loss`: replays a logged batch through any policy loss and intervention.
struct LossCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "loss",
    abstract: "Replay a logged batch through a published policy loss (verl-exact) and its entropy interventions.",
    discussion: """
      BATCH is a .safetensors file or a JSON object whose [B][L] arrays are named log_prob, \\
      old_log_prob, advantages, response_mask (optional ref_log_prob, entropy, sum_pi_squared; \\
      or logits [B][L][V] with labels [B][L], which then give log_prob, entropy and Σπ² at \\
      --set temperature=T). A JSON object with an "inputs" member (a fixture case) works too. \\
      Non-finite numbers may be written "nan", "inf", "-inf".

      Losses: vanilla (= ppo; verl: ε 0.2, dual-clip c 3, log-ratio clamp ±20), dapo (ε 0.2/0.28, \\
      c 10), reinforce (seq-mean-token-sum), clip_cov (ratio 2e-4, bounds (1, 5)), kl_cov (ratio \\
      2e-4, coefficient 0.1 as verl's config; the paper's scripts use 1), steer (dapo + linear \\
      STEER weights).

      Parameters (--set key=value, names as verl's): clip_ratio, clip_ratio_low, \\
      clip_ratio_high, clip_ratio_c (0 disables dual-clip), log_ratio_clamp (0 disables), \\
      loss_agg_mode (token-mean, token-sum, seq-mean-token-sum, seq-mean-token-mean, \\
      seq-mean-token-sum-norm), dp_size, batch_num_tokens, global_batch_size, \\
      loss_scale_factor, clip_cov_ratio, clip_cov_lb, clip_cov_ub, seed (Clip-Cov's draw on the \\
      project's generator), torch_manual_seed (Clip-Cov's draw replayed as torch.randperm after \\
      torch.manual_seed), kl_cov_ratio, ppo_kl_coef, entropy_coeff, kl_loss_type (k1, abs, k2, \\
      k3, low_var_kl, k1+, k3+), kl_loss_coef, entropy_top_ratio, entropy_top_renormalize \\
      (true: the official 80/20 code; false: TRL), steer (linear, exponential), steer_w_min, \\
      steer_w_max, normalized_step, complement_clamp, temperature.

      Output (--json, or --out FILE written atomically): loss, pg_loss, grad_log_prob [B][L], \\
      selected_mask [B][L], the logged metrics (pg_clipfrac, ppo_kl, pg_clipfrac_lower, …) and \\
      the selection details, with the key names of the verl fixtures; grad_logits [B][L][V] \\
      when logits were given.

      Example: logitdyn loss batch.json --loss clip_cov --set clip_cov_ratio=0.1 --set torch_manual_seed=1234 --json
      """)

  @Argument(help: ArgumentHelp("The logged batch (.json or .safetensors).", valueName: "batch")) var batch: String
  @Option(help: "Loss: vanilla, ppo, dapo, reinforce, clip_cov, kl_cov, steer.") var loss: String = "vanilla"
  @Option(name: .customLong("set"), parsing: .singleValue, help: ArgumentHelp("A parameter, key=value (repeatable).", valueName: "key=value"))
  var settings: [String] = []
  @Flag(help: "Print the full result as JSON.") var json = false
  @Option(help: ArgumentHelp("Write the JSON result to this file.", valueName: "file")) var out: String?
  @OptionGroup var memory: MemoryLimitOption
  @Option(help: ArgumentHelp("A TOML file of options (keys are option names; a [loss] table holds name and --set parameters); the command line's own options win.", valueName: "file.toml"))
  var config: String?

  static let knownKeys: Set<String> = [
    "clip_ratio", "clip_ratio_low", "clip_ratio_high", "clip_ratio_c", "log_ratio_clamp", "loss_agg_mode", "dp_size",
    "batch_num_tokens", "global_batch_size", "loss_scale_factor", "clip_cov_ratio", "clip_cov_lb", "clip_cov_ub", "seed",
    "torch_manual_seed", "kl_cov_ratio", "ppo_kl_coef", "entropy_coeff", "kl_loss_type", "kl_loss_coef", "entropy_top_ratio",
    "entropy_top_renormalize", "steer", "steer_w_min", "steer_w_max", "normalized_step", "complement_clamp", "temperature",
  ]

  /// The `--set` pairs, checked.
  static func parameters(_ settings: [String]) throws -> [String: String] {
    var result: [String: String] = [:]
    for item in settings {
      guard let eq = item.firstIndex(of: "="), eq != item.startIndex else { throw CLIError("--set expects key=value, got '\(item)'") }
      let key = String(item[..<eq]).trimmingCharacters(in: .whitespaces)
      let value = String(item[item.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
      guard Self.knownKeys.contains(key) else {
        throw CLIError("unknown parameter '\(key)' (known: \(Self.knownKeys.sorted().joined(separator: ", ")))")
      }
      result[key] = value
    }
    return result
  }

  /// Builds the loss from its name and parameters.
  static func makeLoss(name: String, parameters p: [String: String]) throws -> PolicyLoss {
    func number(_ key: String, _ fallback: Double) throws -> Double {
      guard let text = p[key] else { return fallback }
      guard let v = Double(text), v.isFinite else { throw CLIError("\(key) must be a finite number, got '\(text)'") }
      return v
    }
    func flag(_ key: String, _ fallback: Bool) throws -> Bool {
      guard let text = p[key] else { return fallback }
      switch text.lowercased() {
      case "true", "1", "yes": return true
      case "false", "0", "no": return false
      default: throw CLIError("\(key) must be true or false, got '\(text)'")
      }
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
    case "vanilla", "ppo", "dapo", "steer":
      surrogate = .vanilla(clipLow: low, clipHigh: high, dualClip: c == 0 ? nil : c, logRatioClamp: clamp == 0 ? nil : clamp)
    case "reinforce":
      surrogate = .reinforce
      defaultMode = .seqMeanTokenSum
    case "clip_cov":
      let draw: ClipCovDraw
      if let s = p["torch_manual_seed"] {
        guard let seed = UInt64(s) else { throw CLIError("torch_manual_seed must be a whole number ≥ 0, got '\(s)'") }
        draw = .torch(seed)
      } else {
        guard let seed = UInt64(p["seed"] ?? "0") else { throw CLIError("seed must be a whole number ≥ 0, got '\(p["seed"]!)'") }
        draw = .seeded(seed)
      }
      surrogate = .clipCov(clipLow: low, clipHigh: high, ratio: try number("clip_cov_ratio", 0.0002),
                           lowerBound: try number("clip_cov_lb", 1), upperBound: try number("clip_cov_ub", 5), draw: draw)
    case "kl_cov":
      surrogate = .klCov(ratio: try number("kl_cov_ratio", 0.0002), coefficient: try number("ppo_kl_coef", 0.1))
    default:
      throw CLIError("unknown loss '\(name)' (available: vanilla, ppo, dapo, reinforce, clip_cov, kl_cov, steer)")
    }
    let modeName = p["loss_agg_mode"] ?? defaultMode.rawValue
    guard let mode = Aggregation.Mode(rawValue: modeName) else {
      throw CLIError("unknown loss_agg_mode '\(modeName)' (available: \(Aggregation.Mode.allCases.map(\.rawValue).joined(separator: ", ")))")
    }
    var aggregation = Aggregation(mode)
    if let d = p["dp_size"] {
      guard let v = Int(d) else { throw CLIError("dp_size must be a whole number, got '\(d)'") }
      aggregation.dataParallelSize = v
    }
    if p["batch_num_tokens"] != nil { aggregation.batchNumTokens = try number("batch_num_tokens", 0) }
    if p["global_batch_size"] != nil { aggregation.globalBatchSize = try number("global_batch_size", 0) }
    if p["loss_scale_factor"] != nil { aggregation.lossScaleFactor = try number("loss_scale_factor", 0) }
    var loss = PolicyLoss(surrogate, aggregation: aggregation)
    loss.entropyCoefficient = try number("entropy_coeff", 0)
    if let kind = p["kl_loss_type"] {
      guard let estimator = KLEstimator(name: kind) else {
        throw CLIError("unknown kl_loss_type '\(kind)' (available: kl, k1, abs, mse, k2, low_var_kl, k3, k1+, k3+)")
      }
      loss.klPenalty = KLPenalty(estimator, coefficient: try number("kl_loss_coef", 0.001))
    } else if p["kl_loss_coef"] != nil {
      loss.klPenalty = KLPenalty(KLEstimator(.k3), coefficient: try number("kl_loss_coef", 0.001))
    }
    if p["entropy_top_ratio"] != nil { loss.topEntropyRatio = try number("entropy_top_ratio", 0.2) }
    loss.topEntropyRenormalize = try flag("entropy_top_renormalize", true)
    if name == "steer" || p["steer"] != nil {
      let shapeName = p["steer"] ?? "linear"
      guard let shape = SteerWeighting.Shape(rawValue: shapeName) else { throw CLIError("steer must be linear or exponential, got '\(shapeName)'") }
      loss.steer = SteerWeighting(shape, minimum: try number("steer_w_min", 0.8), maximum: p["steer_w_max"] == nil ? nil : try number("steer_w_max", 1.2))
    }
    loss.normalizedStep = try flag("normalized_step", false)
    loss.complementClamp = try flag("complement_clamp", false)
    do { try loss.validate() } catch { throw CLIError("\(error)") }
    return loss
  }

  func run() throws {
    let p = try Self.parameters(settings)
    let policyLoss = try Self.makeLoss(name: loss, parameters: p)
    let temperature = Double(p["temperature"] ?? "1") ?? .nan
    guard temperature > 0, temperature.isFinite else { throw CLIError("temperature must be a finite number > 0, got '\(p["temperature"]!)'") }
    let tokens: TokenBatch
    do { tokens = try LossBatchFile.load(batch, temperature: temperature, maxMemory: try memory.bytes()) } catch let error as BatchInputError {
      throw CLIError("\(error)")
    }
    let result: LossResult
    do { result = try policyLoss.evaluate(tokens) } catch { throw CLIError("\(error)") }
    let document = Self.document(result, tokens)
    if let out {
      do { try AtomicFileWriter.write(Data((document.rendered() + "\n").utf8), to: out) } catch { throw CLIError("\(error)") }
    }
    if json {
      print(document.rendered())
      return
    }
    var lines = ["\(loss) on \(tokens.rows)×\(tokens.columns) tokens (\(tokens.validCount) valid), \(policyLoss.aggregation.mode.rawValue)",
                 "loss         \(formatNumber(result.loss, digits: 10))",
                 "pg_loss      \(formatNumber(result.policyLoss, digits: 10))"]
    for (key, value) in result.metrics { lines.append(key.padding(toLength: 13, withPad: " ", startingAt: 0) + formatNumber(value, digits: 6)) }
    let selected = result.selectedMask.reduce(0, +)
    if selected > 0 { lines.append("selected     \(Int(selected)) tokens") }
    if case .clipCov = policyLoss.surrogate {
      lines.append("clip-cov     \(result.eligibleCount) eligible, clip_num \(result.clipNumber)\(result.selectionForced ? " (all eligible taken)" : "")")
    }
    if let out { lines.append("wrote        \(out)") }
    print(lines.joined(separator: "\n"))
  }

  /// The result as JSON, with the fixtures' key names.
  static func document(_ r: LossResult, _ b: TokenBatch) -> JSONValue {
    func matrix(_ v: [Double]) -> JSONValue {
      .array((0..<b.rows).map { row in .array((0..<b.columns).map { .number(v[row * b.columns + $0]) }) })
    }
    var fields: [(String, JSONValue)] = [("loss", .number(r.loss)), ("pg_loss", .number(r.policyLoss))]
    for (key, value) in r.metrics { fields.append((key, .number(value))) }
    fields.append(("grad_log_prob", matrix(r.gradLogProb)))
    fields.append(("selected_mask", .array((0..<b.rows).map { row in .array((0..<b.columns).map { .integer(Int(r.selectedMask[row * b.columns + $0])) }) })))
    fields.append(("n_valid", .integer(r.validCount)))
    if !r.eligible.isEmpty || r.clipNumber > 0 {
      fields.append(("clip_num", .integer(r.clipNumber)))
      fields.append(("n_eligible", .integer(r.eligibleCount)))
      fields.append(("selection_forced", .bool(r.selectionForced)))
      fields.append(("eligible_idx_rowmajor", .array(r.eligible.map { .array([.integer($0 / b.columns), .integer($0 % b.columns)]) })))
      fields.append(("randperm", .array(r.permutation.map { .integer($0) })))
    }
    if r.topCount > 0 {
      fields.append(("k", .integer(r.topCount)))
      fields.append(("topk_flat_positions_in_order", .array(r.topPositions.map { .integer($0) })))
    }
    if let g = r.gradLogits {
      let v = b.vocabulary
      fields.append(("grad_logits", .array((0..<b.rows).map { row in
        .array((0..<b.columns).map { t in .array((0..<v).map { .number(g[(row * b.columns + t) * v + $0]) }) })
      })))
    }
    return .object(fields)
  }
}

