import RealModule

extension PolicyLoss {
  /// The scalar and `∂loss/∂ℓ`: the policy-gradient part aggregated over `pgMask`, then the
  /// entropy bonus, EPO's smoothing, SIREN's term and the KL penalty over the response mask.
  /// Returns the aggregation weights of the response mask and SIREN's `∂/∂z`, for the logit
  /// gradient.
  func aggregateTerms(_ batch: TokenBatch, _ terms: inout TokenTerms, pgMask: [Double], result: inout LossResult) throws(LossError)
    -> (weights: [Double], sirenGradient: [Double]?) {
    let n = batch.count, mask = batch.mask, l = batch.logProb, entropy = batch.entropy
    let lambda = terms.lambda, slope = terms.slope
    var selected = terms.selected
    // Aggregate: the policy-gradient loss, then the entropy and KL terms.
    let rows = batch.rows, columns = batch.columns
    let pgWeights = aggregation.weights(mask: pgMask, rows: rows, columns: columns)
    result.policyLoss = aggregation.aggregate(lambda, mask: pgMask, rows: rows, columns: columns)
    var grad = (0..<n).map { pgWeights[$0] != 0 ? pgWeights[$0] * slope[$0] : 0 }
    var total = result.policyLoss
    let weights = aggregation.weights(mask: mask, rows: rows, columns: columns)
    if entropyCoefficient != 0 {
      guard let entropy else { throw LossError("the entropy bonus needs per-token entropies (entropy or logits)") }
      let agg = aggregation.aggregate(entropy, mask: mask, rows: rows, columns: columns)
      total -= entropyCoefficient * agg
      result.metrics.append(("entropy_agg", agg))
    }
    if let smoothing = entropySmoothing {
      guard let entropy else { throw LossError("EPO's smoothing needs per-token entropies (entropy or logits)") }
      try smoothing.validate(rows: rows)
      let agg = aggregation.aggregate(smoothing.penalties(entropy: entropy, mask: mask, rows: rows, columns: columns), mask: mask, rows: rows, columns: columns)
      total += entropyCoefficient * smoothing.coefficient * agg
      result.metrics.append(("entropy_smooth_penalty", agg))
    }
    var sirenGradient: [Double]?
    if let siren {
      let statistic = try siren.statistic(batch)
      let anchor = siren.anchor ?? statistic.mean, deviation = statistic.mean - anchor
      total += siren.coefficient * deviation * deviation
      sirenGradient = statistic.gradient.map { 2 * siren.coefficient * deviation * $0 }
      for i in 0..<n where statistic.peakMask[i] != 0 { selected[i] = 1 }
      result.metrics += [("siren_entropy", statistic.mean), ("siren_anchor", anchor), ("siren_peaks", statistic.peakMask.reduce(0, +))]
    }
    if let kl = klPenalty {
      guard let ref = batch.refLogProb else { throw LossError("a KL penalty needs ref_log_prob") }
      var values = [Double](repeating: 0, count: n)
      for i in 0..<n {
        let (v, d) = kl.estimator.evaluate(logProb: l[i], refLogProb: ref[i])
        values[i] = v
        if weights[i] != 0 { grad[i] += kl.coefficient * weights[i] * d }
      }
      let agg = aggregation.aggregate(values, mask: mask, rows: rows, columns: columns)
      total += kl.coefficient * agg
      result.metrics.append(("kl_loss", agg))
    }
    result.loss = total
    result.gradLogProb = grad
    result.selectedMask = selected
    guard total.isFinite else {
      throw LossError("the loss is \(total): a non-finite value at a valid position, or (seq modes) at a padded one")
    }

    terms.selected = selected
    return (weights, sirenGradient)
  }
}
