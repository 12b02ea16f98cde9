import OutputFormats

extension StepSummary {
  /// The per-step table's columns and this step's values (`nil`: the analysis was skipped):
  /// the columns of `steps.csv`, `steps.jsonl` and the TensorBoard scalars, in order.
  public func columns(passK: [Int]) -> [(name: String, value: Double?)] {
    var out: [(String, Double?)] = [
      ("samples", Double(samples)), ("groups", Double(groups)), ("tokens", Double(tokens)), ("reward_mean", rewardMean),
      ("entropy_mean", entropy?.mean), ("entropy_p10", entropy?.p10), ("entropy_p50", entropy?.p50), ("entropy_p90", entropy?.p90),
      ("entropy_p99", entropy?.p99), ("forking_fraction", entropy?.forkingFraction),
      ("covariance_mean", covariance?.mean), ("covariance_positive_fraction", covariance?.positiveFraction),
    ]
    for f in [0.0002, 0.002, 0.02, 0.2] {
      out.append(("covariance_top_\(Self.percent(f))", covariance?.top.first { $0.fraction == f }?.mean))
    }
    out += [
      ("clip_cov_selected", selection.map { Double($0.clipCov) }), ("kl_cov_selected", selection.map { Double($0.klCov) }),
      ("micro_batches", selection.map { Double($0.microBatches) }),
      ("clip_cov_selected_per_micro_batch", selection.map { Double($0.clipCovPerMicroBatch) }),
      ("kl_cov_selected_per_micro_batch", selection.map { Double($0.klCovPerMicroBatch) }),
      ("kl_cov_overlap", selection?.klCovOverlap),
      ("mismatch_k1", mismatch?.k1), ("mismatch_k3", mismatch?.k3), ("ratio_p01", mismatch?.ratioP1), ("ratio_p50", mismatch?.ratioP50),
      ("ratio_p99", mismatch?.ratioP99), ("ratio_outside", mismatch?.outside), ("probability_correlation", mismatch?.correlation),
      ("max_abs_logprob_diff", mismatch?.maxAbsDiff), ("trust_region_masked_fraction", trustRegionMaskedFraction),
    ]
    for k in passK { out.append(("pass_at_\(k)", groupStatistics?.passAtK.first { $0.k == k }?.value)) }
    out += [("distinct_answers", groupStatistics?.distinctAnswers), ("zero_advantage_fraction", groupStatistics?.zeroAdvantageFraction)]
    return out
  }

  /// `0.02` → `2pct`, `0.0002` → `0.02pct` (for column names).
  static func percent(_ f: Double) -> String {
    formatNumber(f * 100, digits: 3) + "pct"
  }
}
