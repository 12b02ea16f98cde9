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

  /// Clip-Cov's candidates: valid tokens with `lb < cov < ub` (strict) that PPO has not
  /// already clipped (`ppoClipped[i]`).
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
  public static func klCovSelection(cov: [Double], valid: [Bool], ratio: Double) -> [Int] {
    let candidates = cov.indices.filter { valid[$0] }
    let k = Swift.min(candidates.count, Swift.max(1, Int((ratio * Double(candidates.count)).rounded(.down))))
    let ranked = candidates.sorted { cov[$0] != cov[$1] ? cov[$0] > cov[$1] : $0 < $1 }
    return ranked[0..<k].sorted()
  }

  /// Whether PPO's clipped surrogate is active for a token: `−A·clip(ρ, 1−ε_l, 1+ε_h) > −A·ρ`
  /// with `ρ = exp(log π − log π_old)` (verl's `clip_by_origin`).
  public static func ppoClipped(logProb: Double, oldLogProb: Double, advantage: Double, low: Double, high: Double) -> Bool {
    PPOClip.isClipped(ratio: Double.exp(Swift.min(logProb - oldLogProb, 700)), advantage: advantage, low: low, high: high)
  }
}
