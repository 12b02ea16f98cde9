/// Outcome-reward advantages of a batch of responses grouped by prompt (verl's
/// `compute_grpo_outcome_advantage`, `compute_rloo_outcome_advantage`).
///
/// A response's score is the sum of its token rewards over every position (verl does not mask
/// the sum); its advantage is broadcast to its tokens and multiplied by the mask.
public enum OutcomeAdvantages {
  /// Scores `s_b = Σ_t r_{b,t}`.
  public static func scores(tokenRewards: [Double], rows: Int, columns: Int) -> [Double] {
    (0..<rows).map { b in (0..<columns).reduce(0.0) { $0 + tokenRewards[b * columns + $1] } }
  }

  /// How verl's two GRPO implementations round their group statistics.
  ///
  /// - `loop` (`compute_grpo_outcome_advantage`): mean and unbiased std in `Double`; a group of
  ///   one gets mean 0 and std 1 held as `Float`, so its divisor is `Float(1) + Float(ε)`;
  /// - `vectorized` (`compute_grpo_vectorized_outcome_advantage`): mean and std of the scores
  ///   rounded to `Float`, computed in `Float`, and the divisor `std + ε` in `Float`.
  ///
  /// The two differ by ~1e-8 relative; pick the one the logged trainer used to replay it.
  public enum Statistics: String, Sendable {
    case loop, vectorized
  }

  /// GRPO: `(s − mean_g s) / (std_g s + ε)` with the unbiased std (`normalizeByStd`), or
  /// `s − mean_g s` (Dr. GRPO). A group of one response gets mean 0 and std 1 (verl), so its
  /// advantage is its score (or `s/(1 + ε)`).
  public static func grpo(scores: [Double], groups: [String], epsilon: Double = 1e-6, normalizeByStd: Bool = true,
                          statistics: Statistics = .loop) -> [Double] {
    var members: [String: [Int]] = [:]
    for (b, g) in groups.enumerated() { members[g, default: []].append(b) }
    var out = scores
    for (_, idx) in members {
      var mean = 0.0, divisor = Double(Float(1) + Float(epsilon))
      if idx.count > 1 {
        switch statistics {
        case .loop:
          mean = idx.reduce(0.0) { $0 + scores[$1] } / Double(idx.count)
          let std = (idx.reduce(0.0) { $0 + (scores[$1] - mean) * (scores[$1] - mean) } / Double(idx.count - 1)).squareRoot()
          divisor = std + epsilon
        case .vectorized:
          let x = idx.map { Float(scores[$0]) }
          let m = x.reduce(Float(0), +) / Float(x.count)
          let variance = x.reduce(Float(0)) { $0 + ($1 - m) * ($1 - m) } / Float(x.count - 1)
          mean = Double(m)
          divisor = Double(variance.squareRoot() + Float(epsilon))
        }
      }
      for b in idx { out[b] = normalizeByStd ? (scores[b] - mean) / divisor : scores[b] - mean }
    }
    return out
  }

  /// RLOO: `s_b − (Σ_{j≠b} s_j)/(G − 1)` within each group of `G > 1`; a singleton keeps its
  /// score.
  public static func rloo(scores: [Double], groups: [String]) -> [Double] {
    var members: [String: [Int]] = [:]
    for (b, g) in groups.enumerated() { members[g, default: []].append(b) }
    var out = scores
    for (_, idx) in members where idx.count > 1 {
      let g = Double(idx.count)
      let mean = idx.reduce(0.0) { $0 + scores[$1] } / g
      for b in idx { out[b] = scores[b] * g / (g - 1) - mean * g / (g - 1) }
    }
    return out
  }

  /// Broadcasts per-response advantages to `[B][L]` tokens, times the mask.
  public static func broadcast(_ perRow: [Double], mask: [Double], columns: Int) -> [Double] {
    mask.indices.map { perRow[$0 / columns] * mask[$0] }
  }
}
