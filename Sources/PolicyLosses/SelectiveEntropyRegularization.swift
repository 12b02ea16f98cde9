import RealModule

/// SIREN, selective entropy regularisation (arXiv 2509.25133), as the official code computes
/// it (`Linn3a/siren`, `dp_actor.py`: `efficient_top_p_sampling`, `mask_by_quantile`, the loss;
/// `ray_trainer.py`: the anchor):
///
/// - the top-p entropy of a position: with `p = softmax(z/T)`, the `k` most probable tokens in
///   order, those whose cumulative probability (itself included) is still `< p_top` are kept —
///   the token that reaches `p_top` is not, and the nucleus is empty (`H^p = 0`) when
///   `max p ≥ p_top`; `q = p/Σ_kept p`, `H^p = −Σ_kept q log q`;
/// - the peak mask: within each response, the valid positions with `H^p` strictly above the
///   response's `maskRatio` quantile (torch's linear interpolation over its valid positions);
/// - `H̄` = the mean over the batch's responses of each response's mean `H^p` over its masked
///   positions (0 for a response with none: it still counts);
/// - the loss `+ α(H̄ − H_anchor)²`, with `H_anchor` the same statistic on the run's first
///   batch, detached. Gradient through the kept tokens' logits:
///   `∂H^p/∂z_j = −q_j(log q_j + H^p)/T`.
///
/// The official code computes `H̄` per micro-batch (each of this loss's evaluations) and adds
/// `10⁻¹²` to two denominators (here 0: a one-token nucleus has `H^p = 0` instead of ~10⁻¹²).
/// Defaults (`exp_scripts/siren.sh`): `α` (`entropy_coeff`) 0.005, `k` (`entropy_topk`) 10⁴,
/// `p_top` (`entropy_topp`) 0.8, `maskRatio` 0.8.
public struct SelectiveEntropyRegularization: Sendable, Equatable {
  /// `α`, the weight of the squared deviation.
  public var coefficient: Double
  /// `k` candidates and the nucleus mass `p_top`.
  public var topK: Int, topP: Double
  /// The per-response quantile above which a position is a peak.
  public var maskRatio: Double
  /// `H_anchor`; nil: this batch's own statistic (the term and its gradient are then 0, as
  /// on a run's first batch, whose statistic becomes the anchor).
  public var anchor: Double?

  /// SIREN with the script's defaults unless given.
  public init(coefficient: Double = 0.005, topK: Int = 10_000, topP: Double = 0.8, maskRatio: Double = 0.8, anchor: Double? = nil) {
    self.coefficient = coefficient
    self.topK = topK
    self.topP = topP
    self.maskRatio = maskRatio
    self.anchor = anchor
  }

  /// Checks the parameters.
  func validate() throws(LossError) {
    guard coefficient >= 0, coefficient.isFinite else { throw LossError("SIREN's entropy_coeff must be ≥ 0, got \(coefficient)") }
    guard topK >= 1 else { throw LossError("entropy_topk must be ≥ 1, got \(topK)") }
    guard topP > 0, topP <= 1 else { throw LossError("entropy_topp must lie in (0, 1], got \(topP)") }
    guard maskRatio >= 0, maskRatio <= 1 else { throw LossError("mask_ratio must lie in [0, 1], got \(maskRatio)") }
    if let a = anchor, !a.isFinite { throw LossError("entropy_anchor must be finite, got \(a)") }
  }

  /// What SIREN computes on a batch: `H^p` per position (0 at masked ones), the peak mask,
  /// `H̄`, and `∂H̄/∂z` (`[i·V + j]`).
  public struct Statistic: Sendable {
    /// `H^p` per position (0 at masked ones) and the peak mask (1 at the peaks).
    public var topPEntropy: [Double], peakMask: [Double]
    /// `H̄`: the mean over the responses of each one's mean `H^p` over its peaks.
    public var mean: Double
    /// `∂H̄/∂z` at `[i·V + j]` (0 outside the peaks' kept tokens).
    public var gradient: [Double]
  }

  /// The top-p entropy, peak mask and `H̄` of a batch with logits.
  ///
  /// - Complexity: O(N·V log V) for `N` valid positions of vocabulary `V` (each sorts the vocabulary
  ///   by probability), plus O(B·L·V) for the gradient and O(L log L) per response for its quantile.
  public func statistic(_ batch: TokenBatch) throws(LossError) -> Statistic {
    guard batch.logits != nil else { throw LossError("SIREN needs logits (the top-p entropy of every position)") }
    let n = batch.count, v = batch.vocabulary, t = batch.temperature
    let p = batch.softmaxProbabilities
    var entropy = [Double](repeating: 0, count: n)
    var gradient = [Double](repeating: 0, count: n * v)
    var order = Array(0..<v)
    let k = Swift.min(topK, v)
    for i in 0..<n where batch.mask[i] != 0 {
      let row = i * v
      order.sort { p[row + $0] != p[row + $1] ? p[row + $0] > p[row + $1] : $0 < $1 }
      var cumulative = 0.0, kept = 0
      while kept < k {
        cumulative += p[row + order[kept]]
        guard cumulative < topP else { break }
        kept += 1
      }
      guard kept > 0 else { continue }
      var mass = 0.0
      for r in 0..<kept { mass += p[row + order[r]] }
      var h = 0.0
      for r in 0..<kept {
        let q = p[row + order[r]] / mass
        if q > 0 { h -= q * Double.log(q) }
      }
      entropy[i] = h
      for r in 0..<kept {
        let j = order[r], q = p[row + j] / mass
        gradient[row + j] = q > 0 ? -q * (Double.log(q) + h) / t : 0
      }
    }
    // The peak mask and H̄, response by response; the gradient scaled by ∂H̄/∂H^p.
    var peak = [Double](repeating: 0, count: n)
    var mean = 0.0
    let rows = batch.rows, columns = batch.columns
    for b in 0..<rows {
      let positions = (0..<columns).map { b * columns + $0 }.filter { batch.mask[$0] != 0 }
      guard !positions.isEmpty else { continue }
      let bound = Self.quantile(positions.map { entropy[$0] }, maskRatio)
      let peaks = positions.filter { entropy[$0] > bound }
      for i in peaks { peak[i] = 1 }
      guard !peaks.isEmpty else { continue }
      mean += peaks.reduce(0.0) { $0 + entropy[$1] } / Double(peaks.count) / Double(rows)
      let scale = 1 / (Double(peaks.count) * Double(rows))
      for i in peaks { for j in 0..<v { gradient[i * v + j] *= scale } }
    }
    for i in 0..<n where peak[i] == 0 { for j in 0..<v { gradient[i * v + j] = 0 } }
    return Statistic(topPEntropy: entropy, peakMask: peak, mean: mean, gradient: gradient)
  }

  /// torch's `quantile(x, q)` with linear interpolation (rank `q(n − 1)`, torch's two-sided
  /// `lerp`).
  static func quantile(_ values: [Double], _ q: Double) -> Double {
    let s = values.sorted(), rank = q * Double(s.count - 1)
    let lo = Int(rank.rounded(.down)), hi = Swift.min(lo + 1, s.count - 1), w = rank - Double(lo)
    return w < 0.5 ? s[lo] + w * (s[hi] - s[lo]) : s[hi] - (s[hi] - s[lo]) * (1 - w)
  }
}
