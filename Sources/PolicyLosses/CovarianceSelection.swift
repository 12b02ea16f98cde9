import RealModule
import SeededRandom

/// Which tokens Clip-Cov and KL-Cov (Cui et al., arXiv 2505.22617; verl `core_algos.py`)
/// would touch in a batch, given the token covariances.
public enum CovarianceSelection {
  /// verl's config defaults (`actor.policy_loss`): `clip_cov_ratio` 2e-4 and `kl_cov_ratio`
  /// 2e-4 — what `logitdyn loss` and `logitdyn analyze` default to.
  public static let verlClipCovRatio = 2e-4, verlKLCovRatio = 2e-4
  /// The paper's KL-Cov ratios per model (Cui et al.'s scripts, verl-recipe): 7B 2e-3, 32B 2e-4.
  public static let paperKLCovRatio7B = 2e-3, paperKLCovRatio32B = 2e-4

  /// The token rows of `count` micro-batches of a `[sequences, length]` batch, split as verl's
  /// `torch.split(batch, ⌈sequences/count⌉)` splits sequences (the last may be shorter; fewer
  /// than `count` when `count` does not divide evenly).
  public static func microBatchRows(sequences: Int, length: Int, count: Int) -> [Range<Int>] {
    let size = (sequences + count - 1) / count
    return stride(from: 0, to: sequences, by: size).map { ($0 * length)..<(Swift.min(sequences, $0 + size) * length) }
  }

  /// How the token covariance is centred, as verl's two losses centre it.
  public enum Centering: Sendable {
    /// Clip-Cov: `masked_mean`, `Σ m x / (Σ m + 10⁻⁸)`.
    case maskedMean
    /// KL-Cov (and seed 003's tables): the exact mean over the valid tokens.
    case exactMean
  }

  /// The token covariance `cov_i = (A_i − Ā)(ℓ_i − ℓ̄)` over the valid tokens (NaN elsewhere),
  /// the means as `centering` takes them. The loss's selections and the analyzer's both read
  /// it, so what `analyze` reports Clip-Cov and KL-Cov would select is what the loss selects.
  ///
  /// - Complexity: O(N) for `N` positions.
  public static func tokenCovariance(logProbs: [Double], advantages: [Double], valid: [Bool], centering: Centering) -> [Double] {
    var n = 0.0, sumL = 0.0, sumA = 0.0
    for i in valid.indices where valid[i] {
      n += 1
      sumL += logProbs[i]
      sumA += advantages[i]
    }
    let d = centering == .maskedMean ? n + 1e-8 : n
    let meanL = sumL / d, meanA = sumA / d
    return valid.indices.map { valid[$0] ? (advantages[$0] - meanA) * (logProbs[$0] - meanL) : .nan }
  }

  /// Clip-Cov's candidates: valid tokens with `lb < cov < ub` (strict) that PPO has not
  /// already clipped (`ppoClipped[i]`).
  ///
  /// - Complexity: O(N) for `N` positions.
  public static func clipCovEligible(cov: [Double], valid: [Bool], lowerBound lb: Double, upperBound ub: Double,
                                     ppoClipped: [Bool]?) -> [Int] {
    cov.indices.filter { i in
      valid[i] && cov[i] > lb && cov[i] < ub && !(ppoClipped?[i] ?? false)
    }
  }

  /// Clip-Cov's count: `max(1, ⌊r·N⌋)` for `N` valid tokens (truncation: 0.29·100 → 28),
  /// capped at the number of candidates.
  public static func clipCovCount(ratio: Double, validCount: Int, eligible: Int) -> Int {
    Swift.min(eligible, Swift.max(1, Int((ratio * Double(validCount)).rounded(.down))))
  }

  /// Clip-Cov's random draw: `count` of the candidates uniformly without replacement, by a
  /// partial Fisher–Yates shuffle on `Xoshiro256StarStar(seed:)`. Returned in row order.
  ///
  /// - Complexity: O(M + k log k) for `M` candidates and `k = count` (a copy, `k` swaps, a sort).
  public static func clipCovDraw(eligible: [Int], count: Int, seed: UInt64) -> [Int] {
    var pool = eligible
    var rng = Xoshiro256StarStar(seed: seed)
    for i in 0..<count {
      let j = i + rng.nextInt(below: pool.count - i)
      pool.swapAt(i, j)
    }
    return pool[0..<count].sorted()
  }

  /// KL-Cov's selection: the top `max(1, ⌊k·N⌋)` valid tokens by covariance (ties broken by
  /// row order), returned in row order. They may have negative covariance.
  ///
  /// - Complexity: O(N log N) for `N` positions (the ranking's sort).
  public static func klCovSelection(cov: [Double], valid: [Bool], ratio: Double) -> [Int] {
    klCovRanking(cov: cov, valid: valid, ratio: ratio).sorted()
  }

  /// KL-Cov's selection in order of decreasing covariance (ties by row order).
  ///
  /// - Complexity: O(N log N) for `N` positions (a sort of the valid ones by covariance).
  public static func klCovRanking(cov: [Double], valid: [Bool], ratio: Double) -> [Int] {
    let candidates = cov.indices.filter { valid[$0] }
    let k = Swift.min(candidates.count, Swift.max(1, Int((ratio * Double(candidates.count)).rounded(.down))))
    return Array(candidates.sorted { cov[$0] != cov[$1] ? cov[$0] > cov[$1] : $0 < $1 }.prefix(k))
  }

  /// Whether PPO's clipped surrogate is active for a token: `−A·clip(ρ, 1−ε_l, 1+ε_h) > −A·ρ`
  /// with `ρ = exp(log π − log π_old)` (verl's `clip_by_origin`).
  public static func ppoClipped(logProb: Double, oldLogProb: Double, advantage: Double, low: Double, high: Double) -> Bool {
    PPOClip.isClipped(ratio: Double.exp(Swift.min(logProb - oldLogProb, 700)), advantage: advantage, low: low, high: high)
  }
}
