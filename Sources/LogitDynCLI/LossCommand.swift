import ArgumentParser
import Foundation
import Sweeps
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
      old_log_prob, advantages, response_mask (optional ref_log_prob, entropy, sum_pi_squared, \\
      proxy_log_prob; \\
      or logits [B][L][V] with labels [B][L], which then give log_prob, entropy and Σπ² at \\
      --set temperature=T). A JSON object with an "inputs" member (a fixture case) works too. \\
      Non-finite numbers may be written "nan", "inf", "-inf".

      Losses: vanilla (= ppo; verl: ε 0.2, dual-clip c 3, log-ratio clamp ±20), dapo (ε 0.2/0.28, \\
      c 10), reinforce (seq-mean-token-sum), clip_cov (ratio 2e-4, bounds (1, 5)), kl_cov (ratio \\
      2e-4, coefficient 0.1 as verl's config; the paper's scripts use 1), steer (dapo + linear \\
      STEER weights), and seed 004's methods with their official names and script defaults: \\
      lp_reg (logp_neg_k_percent 0.01, logp_pos_k_percent 0, minp_p_threshold 0.02, \\
      ppo_kl_coef 1, clip 1/9; the min-p proxy from proxy_log_prob or, on-policy, the logits), \\
      siren (entropy_coeff = α 0.005, entropy_topk 10000, entropy_topp 0.8, mask_ratio 0.8, \\
      entropy_anchor; needs logits; clip 0.28, seq-mean-token-sum-norm), epo (entropy_coeff \\
      0.001 with entropy_smooth_coeff 1, entropy_smooth_min_ratio 0.5, entropy_smooth_max_ratio \\
      1.5, entropy_smooth_out_range_penalty 0.1, entropy_smooth_mask_mode token|seq, \\
      entropy_history, enable_smooth_weights with epoch), bapo (adv_ratio_target 1, \\
      ratio_lower_start 0.6, ratio_lower_max 0.8, ratio_lower_step 0.05, ratio_upper_start \\
      1.2, ratio_upper_max 2.0, ratio_upper_step 0.05, bapo_statistic value|gradient).

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
  @Option(help: "Loss: vanilla, ppo, dapo, reinforce, clip_cov, kl_cov, steer, lp_reg, siren, epo, bapo (default: vanilla, or the --config file's).") var loss: String?
  @Option(name: .customLong("set"), parsing: .singleValue, help: ArgumentHelp("A parameter, key=value (repeatable).", valueName: "key=value"))
  var settings: [String] = []
  @Flag(help: "Print the full result as JSON.") var json = false
  @Option(help: ArgumentHelp("Write the JSON result to this file.", valueName: "file")) var out: String?
  @OptionGroup var memory: MemoryLimitOption
  @Option(help: ArgumentHelp("A TOML file with a [loss] table: the loss's name and its parameters; --loss and --set on the command line win (a --set key replaces the file's).", valueName: "file.toml"))
  var config: String?

  /// The `--set` pairs, checked.
  static func parameters(_ settings: [String]) throws -> [String: String] {
    return try VerlParameters.parse(settings)
  }

  /// Builds the loss from its name and parameters.
  static func makeLoss(name: String, parameters p: [String: String]) throws -> PolicyLoss {
    return try PolicyLoss(named: name, parameters: p)
  }

  func run() throws {
    var name = loss ?? "vanilla"
    var p = try Self.parameters(settings)
    if let config {
      let file: (name: String, parameters: [String: String]) = try ConfigurationFile.loss(path: config)
      name = loss ?? file.name
      p = file.parameters.merging(p) { $1 }
    }
    let policyLoss = try Self.makeLoss(name: name, parameters: p)
    let temperature: Double = try VerlParameters.temperature(p)
    let tokens = try LossBatchFile.load(batch, temperature: temperature, maxMemory: try memory.bytes())
    let result = try policyLoss.evaluate(tokens)
    let document = Self.document(result, tokens)
    if let out {
      try AtomicFileWriter.write(Data((document.rendered() + "\n").utf8), to: out)
    }
    if json {
      print(document.rendered())
      return
    }
    var lines = ["\(name) on \(tokens.rows)×\(tokens.columns) tokens (\(tokens.validCount) valid), \(policyLoss.aggregation.mode.rawValue)",
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

