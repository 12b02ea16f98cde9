import RealModule

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
    /// `loop`: the statistics in `Double`; `vectorized`: in `Float` (see the type).
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
          (mean, divisor) = loopStatistics(idx.map { scores[$0] }, epsilon: epsilon)
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

  /// The mean and the divisor `std + ε` (unbiased std, in `Double`) of one group of two or more
  /// scores, as verl's loop computes them.
  @inlinable
  static func loopStatistics(_ s: [Double], epsilon: Double) -> (mean: Double, divisor: Double) {
    let mean = s.reduce(0.0, +) / Double(s.count)
    let std = (s.reduce(0.0) { $0 + ($1 - mean) * ($1 - mean) } / Double(s.count - 1)).squareRoot()
    return (mean, std + epsilon)
  }

  /// One group's GRPO advantages (``grpo(scores:groups:epsilon:normalizeByStd:statistics:)``
  /// with the loop statistics, for a group given on its own): `(s − mean)/(std + ε)`, or
  /// `s − mean`; a group of one gets 0 (no comparison), not verl's `s/(1 + ε)`.
  public static func grpoGroup(_ scores: [Double], epsilon: Double = 1e-6, normalizeByStd: Bool = true) -> [Double] {
    guard scores.count > 1 else { return scores.map { _ in 0 } }
    let (mean, divisor) = loopStatistics(scores, epsilon: epsilon)
    return scores.map { normalizeByStd ? ($0 - mean) / divisor : $0 - mean }
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

/// CANON's conditional advantages (arXiv 2509.23962), as the official code computes them
/// (`biuboomc/CANON`, `core_algos.py`: `compute_dr_entropy_per_token_group_outcome_advantage`
/// and the length variant): within each prompt group the responses are sorted by a metric
/// (stable: ties keep batch order) and split at `⌊n/2⌋` into a low half `S` and a high half
/// `L` (the median of an odd group goes to `L`); with the halves' mean scores `μ_S`, `μ_L`
/// (both 0 for a group of one),
///
/// - entropy metric: `i ∈ L: [λ(R_i − αμ_S + β) + (1 − λ)(R_i − μ_L)]/L_max`,
///   `i ∈ S: [λ(αR_i − μ_L − β) + (1 − λ)(R_i − μ_S)]/L_max`;
/// - length metric (α in the other places): `i ∈ L: [λ(αR_i − μ_S + β) + (1 − λ)(R_i − μ_L)]/L_max`,
///   `i ∈ S: [λ(R_i − αμ_L − β) + (1 − λ)(R_i − μ_S)]/L_max`.
///
/// No std. The metric is the response's mean token entropy under the old policy
/// (`Σ H m/(Σ m + 1e-8)`) or its length; `L_max` is the configured maximum response length
/// under `seq-mean-token-sum` aggregation and 1 otherwise. λ (the paper's μ) weighs the
/// inter-group comparison; `λ = 0.5, α = 1, β = 0` is Dr. GRPO for even groups. The group's
/// advantages sum to `λ(|L| − |S|)(μ_L − αμ_S + β)`: zero for even groups only.
/// Defaults (`scripts/setups.sh`): α = 1, λ = 1, β = 0.
public struct CANONAdvantage: Sendable, Equatable {
  /// The metric the groups are split by.
  public enum Metric: String, Sendable { case entropy, length }
  /// The metric the groups are split by: mean token entropy or response length.
  public var metric: Metric
  /// `λ`, `α`, `β`, `L_max`.
  public var interWeight: Double, alpha: Double, beta: Double, normalizer: Double

  /// CANON with the script's defaults unless given.
  public init(metric: Metric = .entropy, interWeight: Double = 1, alpha: Double = 1, beta: Double = 0, normalizer: Double = 1) {
    self.metric = metric
    self.interWeight = interWeight
    self.alpha = alpha
    self.beta = beta
    self.normalizer = normalizer
  }

  /// The advantages of responses with `scores`, `groups` and per-response `metric` values.
  ///
  /// - Complexity: O(B log B) for `B` responses (a sort within each group).
  public func advantages(scores: [Double], groups: [String], metric m: [Double]) -> [Double] {
    precondition(scores.count == groups.count && m.count == scores.count, "CANON needs one score, group and metric per response")
    var members: [String: [Int]] = [:]
    var order: [String] = []
    for (b, g) in groups.enumerated() {
      if members[g] == nil { order.append(g) }
      members[g, default: []].append(b)
    }
    var out = [Double](repeating: 0, count: scores.count)
    let lam = interWeight
    for g in order {
      let sorted = members[g]!.enumerated().sorted { x, y in m[x.element] != m[y.element] ? m[x.element] < m[y.element] : x.offset < y.offset }.map(\.element)
      let mid = sorted.count / 2
      let low = Array(sorted[..<mid]), high = Array(sorted[mid...])
      func mean(_ idx: [Int]) -> Double { idx.isEmpty || sorted.count == 1 ? 0 : idx.reduce(0.0) { $0 + scores[$1] } / Double(idx.count) }
      let muS = mean(low), muL = mean(high)
      for i in high {
        let r = scores[i]
        let inter = metric == .entropy ? r - alpha * muS + beta : alpha * r - muS + beta
        out[i] = (lam * inter + (1 - lam) * (r - muL)) / normalizer
      }
      for i in low {
        let r = scores[i]
        let inter = metric == .entropy ? alpha * r - muL - beta : r - alpha * muL - beta
        out[i] = (lam * inter + (1 - lam) * (r - muS)) / normalizer
      }
    }
    return out
  }

  /// The official `cosine_with_restart(e, total, max, min, warm, cycles = 3)`: `max·(e + 1)/warm`
  /// during the warm-up, then `min + ½(max − min)(1 + cos(π·(e′ mod c)/c))` with `e′ = e − warm`,
  /// `c = ⌊(total − warm)/cycles⌋`. The `cosine_restart` schedule sets `1 − λ` to
  /// `cosineWithRestart(step, 150, 0.6, 0, 30)`.
  public static func cosineWithRestart(_ e: Int, total: Int, maximum: Double, minimum: Double, warmup: Int, cycles: Int = 3) -> Double {
    if e < warmup { return maximum * Double(e + 1) / Double(warmup) }
    // A cycle lasts at least one epoch (a run shorter than `cycles` epochs restarts every epoch).
    let length = Swift.max(1, (total - warmup) / Swift.max(1, cycles))
    return minimum + 0.5 * (maximum - minimum) * (1 + Double.cos(Double.pi * Double((e - warmup) % length) / Double(length)))
  }
}
