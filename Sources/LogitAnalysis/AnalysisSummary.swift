import Foundation
import LogitKernels
import OutputFormats

extension BatchAnalysis {
  /// Quantile levels reported for entropy and `p_c`.
  public static let quantileLevels: [Double] = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1]

  /// The entropies of the "forking" tokens: the top `⌈f·N⌉` valid tokens by entropy
  /// (exactly that many, ties at the threshold broken arbitrarily), largest first.
  func forkingEntropies(_ entropy: Quantiles) -> [Double] {
    let k = Swift.min(entropy.sorted.count, Int((options.forkingFraction * Double(entropy.sorted.count)).rounded(.up)))
    return Array(entropy.sorted.suffix(k).reversed())
  }

  /// The batch summary as ordered JSON.
  public var summaryJSON: JSONValue {
    let t = table
    let n = batch.rows
    let validCount = t.valid.filter { $0 }.count
    let masked = batch.mask.filter { !$0 }.count
    var fields: [(String, JSONValue)] = [
      ("inputs", .object(batch.provenance.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
      ("rows", .integer(n)),
      ("vocabulary", .integer(batch.vocabulary)),
      ("dtype", .string(batch.logits.dtype.rawValue)),
      ("temperature", .number(options.temperature)),
      ("valid_tokens", .integer(validCount)),
      ("masked_out", .integer(masked)),
      ("nonfinite_rows", .integer(flaggedRows.count)),
      ("nonfinite_rows_first", .array(flaggedRows.prefix(10).map { .integer($0) })),
    ]
    let entropy = Quantiles(validValues { t.rows[$0].entropy })
    let hi = entropy.sorted.last ?? 0
    fields.append(("entropy", .object([
      ("mean", .number(entropy.mean)),
      ("quantiles", .object(Self.quantileLevels.map { (String(format: "q%g", $0 * 100), .number(entropy.quantile($0))) })),
      ("histogram", .object([
        ("lo", .number(0)), ("hi", .number(hi)),
        ("counts", .array(entropy.histogram(bins: 20, lo: 0, hi: hi).map { .integer($0) })),
      ])),
    ])))
    // Forking tokens: the top fraction by entropy (seed 004's 80/20 view).
    let forking = forkingEntropies(entropy)
    let threshold = forking.last ?? .nan
    let totalEntropy = entropy.sorted.reduce(0, +)
    fields.append(("forking_tokens", .object([
      ("fraction", .number(options.forkingFraction)),
      ("entropy_threshold", .number(threshold)),
      ("count", .integer(forking.count)),
      ("mean_entropy", .number(forking.isEmpty ? .nan : forking.reduce(0, +) / Double(forking.count))),
      ("share_of_total_entropy", .number(totalEntropy > 0 ? forking.reduce(0, +) / totalEntropy : .nan)),
    ])))
    fields.append(("collision_mean", .number(Quantiles(validValues { t.rows[$0].collision }).mean)))
    if batch.tokens != nil {
      let pc = Quantiles(validValues { t.rows[$0].chosenProb })
      let log10pc = Quantiles(validValues { Foundation.log10(Swift.max(t.rows[$0].chosenProb, 1e-30)) })
      fields.append(("chosen_probability", .object([
        ("mean", .number(pc.mean)),
        ("quantiles", .object(Self.quantileLevels.map { (String(format: "q%g", $0 * 100), .number(pc.quantile($0))) })),
        ("histogram", .object([
          ("lo", .number(0)), ("hi", .number(1)),
          ("counts", .array(pc.histogram(bins: 20, lo: 0, hi: 1).map { .integer($0) })),
        ])),
        ("log10_histogram", .object([
          ("lo", .number(-12)), ("hi", .number(0)),
          ("counts", .array(log10pc.histogram(bins: 24, lo: -12, hi: 0).map { .integer($0) })),
        ])),
      ])))
      fields.append(("norm_factor_mean", .number(Quantiles(validValues { t.rows[$0].normFactor }).mean)))
    }
    if batch.advantages != nil && batch.tokens != nil {
      let cov = validValues { t.covariance[$0] }
      let covQ = Quantiles(cov)
      fields.append(("covariance", .object([
        ("mean", .number(covQ.mean)),
        ("positive_fraction", .number(Double(cov.filter { $0 > 0 }.count) / Double(max(1, cov.count)))),
        ("top_means", .array(TokenCovariance.topMeans(cov).map { row in
          .object([("fraction", .number(row.fraction)), ("count", .integer(row.count)), ("mean", .number(row.mean))])
        })),
      ])))
      let dH = validValues { t.entropyChangePerLR[$0] }
      fields.append(("predicted_entropy_change", .object([
        ("per_token_first_order_per_lr_mean", .number(Quantiles(dH).mean)),
        ("negative_token_covariance_mean", .number(-covQ.mean)),
        ("note", .string("per_token_first_order: mean over valid tokens of A_i·ΔH_i of the logit step ηAβ(e_c − p), per unit η; negative_token_covariance: seed 003's batch predictor −mean cov_i")),
      ])))
      fields.append(("update_norm_per_lr_mean", .number(Quantiles(validValues { t.updateNormPerLR[$0] }).mean)))
      fields.append(("clip_cov", .object([
        ("ratio", .number(options.clipCovRatio)), ("lower_bound", .number(options.clipCovLowerBound)),
        ("upper_bound", .number(options.clipCovUpperBound)), ("seed", .integer(Int(truncatingIfNeeded: options.seed))),
        ("eligible", .integer(clipCovEligible)), ("selected", .integer(clipCovCount)),
        ("ppo_clip_excluded", .bool(batch.oldLogProbs != nil)),
      ])))
      let klSel = (0..<n).filter { t.klCovSelected[$0] }
      fields.append(("kl_cov", .object([
        ("ratio", .number(options.klCovRatio)), ("selected", .integer(klSel.count)),
        ("selected_covariance_mean", .number(klSel.isEmpty ? .nan : klSel.map { t.covariance[$0] }.reduce(0, +) / Double(klSel.count))),
      ])))
      if !microBatchSelections.isEmpty {
        let m = microBatchSelections
        fields.append(("micro_batches", .object([
          ("count", .integer(m.count)),
          ("clip_cov_selected", .integer(m.reduce(0) { $0 + $1.clipCovSelected.count })),
          ("kl_cov_selected", .integer(m.reduce(0) { $0 + $1.klCovSelected.count })),
          ("kl_cov_selected_also_globally", .integer(m.flatMap(\.klCovSelected).filter { t.klCovSelected[$0] }.count)),
          ("per_micro_batch", .array(m.map { s in
            .object([("sequences", .array([.integer(s.sequences.lowerBound), .integer(s.sequences.upperBound)])), ("valid_tokens", .integer(s.validTokens)),
                     ("clip_cov_eligible", .integer(s.clipCovEligible)), ("clip_cov_selected", .array(s.clipCovSelected.map { .integer($0) })),
                     ("kl_cov_selected", .array(s.klCovSelected.map { .integer($0) }))])
          })),
          ("note", .string("selections made inside each micro-batch of ⌈B/N⌉ sequences, as verl's loss makes them (covariance centred on the micro-batch, counts max(1, ⌊ratio·n⌋) per micro-batch); the global ones above treat the batch as one")),
        ])))
      }
    }
    return .object(fields)
  }

  /// A readable summary for the terminal.
  public var summaryText: String {
    let t = table
    let validCount = t.valid.filter { $0 }.count
    var lines: [String] = []
    lines.append("logits     \(batch.logits.summary)  (\(batch.rows) rows × \(batch.vocabulary))  τ = \(formatNumber(options.temperature))")
    lines.append("tokens     \(validCount) valid, \(batch.mask.filter { !$0 }.count) masked out, \(flaggedRows.count) with NaN/inf logits\(flaggedRows.isEmpty ? "" : " (excluded; first rows \(flaggedRows.prefix(5).map(String.init).joined(separator: ", ")))")")
    let entropy = Quantiles(validValues { t.rows[$0].entropy })
    lines.append("entropy    mean \(formatNumber(entropy.mean, digits: 5)) nats   median \(formatNumber(entropy.quantile(0.5), digits: 4))   p10 \(formatNumber(entropy.quantile(0.1), digits: 4))   p90 \(formatNumber(entropy.quantile(0.9), digits: 4))   max \(formatNumber(entropy.quantile(1), digits: 4))")
    let forking = forkingEntropies(entropy)
    let threshold = forking.last ?? .nan
    let total = entropy.sorted.reduce(0, +)
    lines.append("forking    top \(formatNumber(options.forkingFraction * 100))% by entropy (H ≥ \(formatNumber(threshold, digits: 4))) carry \(formatNumber(total > 0 ? 100 * forking.reduce(0, +) / total : .nan, digits: 3))% of the entropy")
    lines.append("collision  mean C(p) \(formatNumber(Quantiles(validValues { t.rows[$0].collision }).mean, digits: 5))")
    if batch.tokens != nil {
      let pc = Quantiles(validValues { t.rows[$0].chosenProb })
      lines.append("p_c        mean \(formatNumber(pc.mean, digits: 4))   median \(formatNumber(pc.quantile(0.5), digits: 4))   p10 \(formatNumber(pc.quantile(0.1), digits: 4))   ‖Δz‖/(η|A|β) mean \(formatNumber(Quantiles(validValues { t.rows[$0].normFactor }).mean, digits: 4))")
    } else {
      lines.append("(no tokens tensor: chosen-token fields, covariance and Clip-Cov/KL-Cov are skipped)")
    }
    if batch.advantages != nil && batch.tokens != nil {
      let cov = validValues { t.covariance[$0] }
      let covQ = Quantiles(cov)
      lines.append("covariance mean \(formatNumber(covQ.mean, digits: 4))   positive for \(formatNumber(100 * Double(cov.filter { $0 > 0 }.count) / Double(max(1, cov.count)), digits: 3))% of tokens")
      var table = TextTable(["top", "tokens", "mean cov"])
      for row in TokenCovariance.topMeans(cov) {
        table.append([row.fraction == 1 ? "all" : "\(formatNumber(row.fraction * 100))%", "\(row.count)", formatNumber(row.mean, digits: 4)])
      }
      lines.append(table.rendered().split(separator: "\n").map { "           " + $0 }.joined(separator: "\n"))
      lines.append("ΔH/η       first order, sampled logit step: mean \(formatNumber(Quantiles(validValues { t.entropyChangePerLR[$0] }).mean, digits: 4)) per token   (−mean cov = \(formatNumber(-covQ.mean, digits: 4)))")
      lines.append("‖Δz‖/η     mean \(formatNumber(Quantiles(validValues { t.updateNormPerLR[$0] }).mean, digits: 4))")
      lines.append("Clip-Cov   r = \(formatNumber(options.clipCovRatio)), cov in (\(formatNumber(options.clipCovLowerBound)), \(formatNumber(options.clipCovUpperBound))): \(clipCovEligible) eligible\(batch.oldLogProbs != nil ? " (PPO-clipped excluded)" : ""), \(clipCovCount) detached (seed \(options.seed))")
      let klSel = t.klCovSelected.filter { $0 }.count
      lines.append("KL-Cov     k = \(formatNumber(options.klCovRatio)): \(klSel) tokens penalised")
      if !microBatchSelections.isEmpty {
        let m = microBatchSelections
        let kl = m.flatMap(\.klCovSelected), shared = kl.filter { t.klCovSelected[$0] }.count
        lines.append("micro      in \(m.count) micro-batches of ≤ \(m[0].sequences.count) sequences (as verl's loss selects): Clip-Cov detaches \(m.reduce(0) { $0 + $1.clipCovSelected.count }), KL-Cov penalises \(kl.count) (\(shared) of them also in the global selection); per micro-batch KL-Cov " + m.map { "\($0.klCovSelected.count)" }.joined(separator: "/"))
      }
    } else if batch.tokens != nil {
      lines.append("(no advantages tensor: covariance and Clip-Cov/KL-Cov are skipped)")
    }
    return lines.joined(separator: "\n")
  }
}
