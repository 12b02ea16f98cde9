import RealModule

/// Lp-Reg, low-probability regularisation (Huang et al., arXiv 2510.03222), as the official
/// code computes it (`CarlanLark/Lp-Reg-dev`, `compute_policy_loss_lp_reg`, `apply_min_p`):
///
/// - the proxy `ℓ^proxy_t = log π_proxy(a_t)` of the old policy: with `p = softmax(z)` (the raw
///   logits, temperature 1) the tokens with `p_v < κ·max p` get the logit −10⁴, then
///   `ℓ^proxy = log softmax(z'/T)[a_t]` (a filtered token's proxy is about −10⁴/T);
/// - per evaluation (a micro-batch), for the negative-advantage valid tokens (`A < 0`, strict)
///   and, with `ρ_pos > 0`, the positive ones: `k = max(1, ⌊n·ρ⌋)`; only when `k > 1`, the `k`
///   tokens of smallest current `ℓ` are candidates, and those with `ℓ < ℓ^proxy` are selected;
/// - a selected token's loss is replaced by `−A r + β·clamp(e^x − x − 1, −10, 10)`,
///   `x = ℓ^proxy − ℓ`, `r = e^{ℓ − ℓ_old}` unclipped (gradient
///   `−A r + β(1 − e^x)` while the k3 value is below 10, `−A r` beyond); every other token keeps
///   the surrogate's loss (the scripts: PPO-clip with ε_low 1, ε_high 9, no dual-clip, no
///   log-ratio clamp, token-mean).
///
/// Script defaults: `κ` (`minp_p_threshold`) 0.02, `ρ_neg` (`logp_neg_k_percent`, a fraction)
/// 0.01 (Qwen3-14B) or 0.005 (Qwen2.5-32B), `ρ_pos` 0, `β` (`ppo_kl_coef`) 1. The `k > 1` gate
/// means a micro-batch needs `2/ρ` negative tokens before anything is regularised.
public struct LowProbabilityRegularization: Sendable, Equatable {
  /// `ρ_neg`, `ρ_pos`: the fractions of the negative and positive tokens that are candidates.
  public var negativeRatio: Double, positiveRatio: Double
  /// `β`, the weight of the k3 pull.
  public var coefficient: Double
  /// `κ`, the min-p threshold of the proxy (used when the proxy is formed from logits).
  public var minP: Double

  /// Lp-Reg with the recipe's defaults unless given.
  public init(negativeRatio: Double = 0.01, positiveRatio: Double = 0, coefficient: Double = 1, minP: Double = 0.02) {
    self.negativeRatio = negativeRatio
    self.positiveRatio = positiveRatio
    self.coefficient = coefficient
    self.minP = minP
  }

  /// The proxy surrogate of the official scripts: PPO-clip with `ε_low` 1, `ε_high` 9 (the
  /// ratio effectively unclipped on `[0, 10]`), no dual-clip, no log-ratio clamp.
  public static let scriptSurrogate = SurrogateLoss.vanilla(clipLow: 1, clipHigh: 9, dualClip: nil, logRatioClamp: nil)

  /// Checks the parameters.
  func validate() throws(LossError) {
    guard negativeRatio >= 0, negativeRatio <= 1, positiveRatio >= 0, positiveRatio <= 1 else {
      throw LossError("logp_neg_k_percent and logp_pos_k_percent are fractions in [0, 1], got \(negativeRatio), \(positiveRatio)")
    }
    guard coefficient >= 0, coefficient.isFinite else { throw LossError("Lp-Reg's ppo_kl_coef must be ≥ 0, got \(coefficient)") }
    guard minP > 0, minP <= 1 else { throw LossError("minp_p_threshold must lie in (0, 1], got \(minP)") }
  }

  /// `log π_proxy(label)` of one row of raw logits `z` (length `V`): the min-p filter on
  /// `softmax(z)` (`p_v ≥ κ max p`, i.e. `e^{z_v − max z} ≥ κ`), filtered logits set to −10⁴,
  /// then `log softmax(z'/T)[label]`.
  ///
  /// - Complexity: O(V).
  public static func proxyLogProb(_ z: UnsafeBufferPointer<Double>, label: Int, minP: Double, temperature: Double) -> Double {
    var top = -Double.infinity
    for x in z { top = Swift.max(top, x) }
    let floor = top + Double.log(minP)  // e^{z − top} ≥ κ ⇔ z ≥ top + log κ
    func filtered(_ x: Double) -> Double { x >= floor ? x : -1e4 }
    var m = -Double.infinity
    for x in z { m = Swift.max(m, filtered(x) / temperature) }
    var s = 0.0
    for x in z { s += Double.exp(filtered(x) / temperature - m) }
    return filtered(z[label]) / temperature - m - Double.log(s)
  }

  /// The proxy of every position of `batch` from its own logits (the on-policy case, where
  /// the old and current policy coincide); NaN at masked positions.
  ///
  /// - Complexity: O(B·L·V).
  public static func proxyLogProbs(_ batch: TokenBatch, minP: Double) throws(LossError) -> [Double] {
    guard let logits = batch.logits, let labels = batch.labels else {
      throw LossError("Lp-Reg needs proxy_log_prob or logits to form the min-p proxy")
    }
    let v = batch.vocabulary
    return logits.withUnsafeBufferPointer { z in
      (0..<batch.count).map { i in
        batch.mask[i] == 0 ? .nan
          : proxyLogProb(UnsafeBufferPointer(rebasing: z[(i * v)..<((i + 1) * v)]), label: labels[i], minP: minP, temperature: batch.temperature)
      }
    }
  }

  /// Replaces the loss `lambda` and its slope `slope` (`dλ/dℓ`) of the selected tokens, marks
  /// them in `selected`, and returns how many were selected.
  func apply(_ batch: TokenBatch, proxy: [Double], lambda: inout [Double], slope: inout [Double], selected: inout [Double]) -> Int {
    let l = batch.logProb, old = batch.oldLogProb, adv = batch.advantages
    let valid = (0..<batch.count).filter { batch.mask[$0] > 0 }
    var count = 0
    for (group, ratio) in [(valid.filter { adv[$0] > 0 }, positiveRatio), (valid.filter { adv[$0] < 0 }, negativeRatio)] where !group.isEmpty {
      let k = Swift.max(1, Int((Double(group.count) * ratio).rounded(.towardZero)))
      guard k > 1 else { continue }
      // The k smallest current log-probs (ties: the earlier position first).
      let candidates = group.sorted { l[$0] != l[$1] ? l[$0] < l[$1] : $0 < $1 }.prefix(k)
      for i in candidates where l[i] < proxy[i] {
        let r = Double.exp(l[i] - old[i]), x = proxy[i] - l[i]
        let k3 = Double.exp(x) - x - 1
        lambda[i] = -adv[i] * r + coefficient * Swift.min(Swift.max(k3, -10), 10)
        slope[i] = -adv[i] * r + (k3 <= 10 ? coefficient * (1 - Double.exp(x)) : 0)
        selected[i] = 1
        count += 1
      }
    }
    return count
  }
}
