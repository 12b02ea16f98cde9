import RealModule

/// STEER's token weights (Hao et al., arXiv 2510.10150, official code): with
/// `π = clamp(e^ℓ, 1e-8, 1 − 1e-8)`, `Ω = (A/π_old)·π(1 − π)·(log π + H)` per token, and over the
/// valid tokens
///
/// - linear: `w = w_max − (|Ω| − min|Ω|)(w_max − w_min)/(max|Ω| − min|Ω|)`, clamped to
///   `[w_min, w_max]` (all `w_max` when every `|Ω|` is equal);
/// - exponential: `w = clamp(e^{−κ|Ω|}, w_min, 1)`, `κ = −ln(w_min)/max(max|Ω|, 0.02)`.
///
/// The weights multiply the per-token loss and carry no gradient. Script defaults: `w_min`
/// 0.8, `w_max` 1.2 (linear) or 1.0 (exponential).
public struct SteerWeighting: Sendable, Equatable {
  /// The weights' shape: linear in `|Ω|` from `w_max` down to `w_min`, or `e^{−κ|Ω|}` clamped to `[w_min, 1]`.
  public enum Shape: String, Sendable { case linear, exponential }
  /// Linear or exponential weights.
  public var shape: Shape
  /// `w_min` and `w_max` (the exponential shape clamps at 1 and does not read `w_max`).
  public var minimum: Double, maximum: Double
  /// STEER weights of `shape` with `w_min = minimum` and `w_max = maximum` (default 1.2 linear,
  /// 1.0 exponential).
  public init(_ shape: Shape, minimum: Double = 0.8, maximum: Double? = nil) {
    self.shape = shape
    self.minimum = minimum
    self.maximum = maximum ?? (shape == .linear ? 1.2 : 1.0)
  }

  /// The weights of the valid tokens (1 elsewhere).
  public func weights(_ batch: TokenBatch, entropy: [Double]) -> [Double] {
    var omega = [Double](repeating: 0, count: batch.count)
    var lo = Double.infinity, hi = -Double.infinity
    for i in 0..<batch.count where batch.mask[i] != 0 {
      let p = Swift.min(Swift.max(Double.exp(batch.logProb[i]), 1e-8), 1 - 1e-8)
      let old = Double.exp(batch.oldLogProb[i])
      omega[i] = Swift.abs(batch.advantages[i] / old * p * (1 - p) * (Double.log(p) + entropy[i]))
      lo = Swift.min(lo, omega[i])
      hi = Swift.max(hi, omega[i])
    }
    return (0..<batch.count).map { i in
      guard batch.mask[i] != 0 else { return 1 }
      switch shape {
      case .linear:
        guard hi - lo > 0 else { return maximum }
        let w = maximum - (omega[i] - lo) * (maximum - minimum) / (hi - lo)
        return Swift.min(Swift.max(w, minimum), maximum)
      case .exponential:
        let kappa = -Double.log(minimum) / Swift.max(hi, 0.02)
        return Swift.min(Swift.max(Double.exp(-kappa * omega[i]), minimum), 1)
      }
    }
  }
}

extension PolicyLoss {
  /// The interventions that act on the tokens' policy-gradient terms: Lp-Reg's pull (replacing
  /// the selected tokens' `λ`), then the weights without gradient — the top-entropy mask,
  /// STEER's weights, the normalised step — applied to `λ` and `dλ/dℓ`. Returns the mask the
  /// policy-gradient part aggregates over.
  func interventionTerms(_ batch: TokenBatch, _ terms: inout TokenTerms, result: inout LossResult) throws(LossError) -> [Double] {
    let n = batch.count, mask = batch.mask, l = batch.logProb
    var lambda = terms.lambda, slope = terms.slope, selected = terms.selected
    if let lp = lowProbability {
      let proxy: [Double]
      if let given = batch.proxyLogProb { proxy = given } else { proxy = try LowProbabilityRegularization.proxyLogProbs(batch, minP: lp.minP) }
      let count = lp.apply(batch, proxy: proxy, lambda: &lambda, slope: &slope, selected: &selected)
      result.metrics.append(("lp_reg_selected", Double(count)))
    }

    // Token weights of the interventions (no gradient through them).
    var pgMask = mask
    var tokenWeight = [Double](repeating: 1, count: n)
    let entropy = batch.entropy
    if let rho = topEntropyRatio {
      guard let entropy else { throw LossError("the top-entropy mask needs per-token entropies (entropy or logits)") }
      let valid = (0..<n).filter { mask[$0] > 0 }
      let keep = Swift.min(valid.count, Int((rho * Double(valid.count)).rounded(.up)))
      let ranked = valid.sorted { entropy[$0] != entropy[$1] ? entropy[$0] > entropy[$1] : $0 < $1 }
      var kept = [Double](repeating: 0, count: n)
      for i in ranked.prefix(keep) { kept[i] = 1 }
      if topEntropyRenormalize {
        for i in 0..<n { pgMask[i] = mask[i] * kept[i] }
      } else {
        for i in 0..<n { tokenWeight[i] *= kept[i] }
      }
      for i in 0..<n where kept[i] != 0 { selected[i] = 1 }
      result.metrics.append(("entropy_top_kept", Double(keep)))
    }
    if let steer {
      guard let entropy else { throw LossError("STEER needs per-token entropies (entropy or logits)") }
      let w = steer.weights(batch, entropy: entropy)
      for i in 0..<n { tokenWeight[i] *= w[i] }
      let validW = (0..<n).filter { mask[$0] > 0 }.map { w[$0] }
      result.metrics.append(("steer_weight_min", validW.min() ?? .nan))
      result.metrics.append(("steer_weight_max", validW.max() ?? .nan))
    }
    if normalizedStep {
      if let f = batch.updateNormFactor {
        for i in 0..<n where mask[i] > 0 { tokenWeight[i] /= Swift.max(f[i] * f[i], normalizedStepFloor).squareRoot() }
      } else {
        guard let c = batch.sumPiSquared else { throw LossError("the normalised step needs Σπ² per token (sum_pi_squared or logits)") }
        for i in 0..<n where mask[i] > 0 {
          let p = Double.exp(l[i])
          let factor = (1 - p) * (1 - p) + Swift.max(c[i] - p * p, 0)
          tokenWeight[i] /= Swift.max(factor, normalizedStepFloor).squareRoot()
        }
      }
    }
    for i in 0..<n where tokenWeight[i] != 1 {
      lambda[i] *= tokenWeight[i]
      slope[i] *= tokenWeight[i]
    }

    terms = TokenTerms(lambda: lambda, slope: slope, selected: selected)
    return pgMask
  }
}
