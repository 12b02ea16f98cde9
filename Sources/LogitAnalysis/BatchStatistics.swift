import Foundation
import SeededRandom

/// Order statistics of a sample: quantiles by linear interpolation between order statistics
/// (numpy's default, "linear" / type 7).
public struct Quantiles: Sendable {
  /// The sorted sample.
  public let sorted: [Double]

  /// Sorts `values` (NaN excluded).
  public init(_ values: [Double]) { sorted = values.filter { !$0.isNaN }.sorted() }

  /// The `q`-quantile, `q ∈ [0, 1]`: `x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋])` with `h = (n−1)q`.
  public func quantile(_ q: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let h = Double(sorted.count - 1) * q
    let lo = Int(h.rounded(.down))
    let hi = Swift.min(lo + 1, sorted.count - 1)
    return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
  }

  /// The arithmetic mean.
  public var mean: Double { sorted.isEmpty ? .nan : sorted.reduce(0, +) / Double(sorted.count) }

  /// Counts in `bins` equal-width bins over `[lo, hi]` (values outside are clamped in).
  public func histogram(bins: Int, lo: Double, hi: Double) -> [Int] {
    var counts = [Int](repeating: 0, count: bins)
    guard hi > lo else {
      if !sorted.isEmpty { counts[0] = sorted.count }
      return counts
    }
    for x in sorted {
      let k = Int(((x - lo) / (hi - lo) * Double(bins)).rounded(.down))
      counts[Swift.max(0, Swift.min(bins - 1, k))] += 1
    }
    return counts
  }
}

/// The token-level covariance of seeds 003/004 over the valid tokens of a batch:
/// `cov_i = (log π(y_i) − mean log π)(A_i − mean A)`, means over the valid tokens.
public enum TokenCovariance {
  /// `cov_i` for every row (NaN where `valid` is false).
  public static func compute(logProbs: [Double], advantages: [Double], valid: [Bool]) -> [Double] {
    var n = 0.0, sumL = 0.0, sumA = 0.0
    for i in valid.indices where valid[i] {
      n += 1
      sumL += logProbs[i]
      sumA += advantages[i]
    }
    let meanL = sumL / n, meanA = sumA / n
    return valid.indices.map { valid[$0] ? (logProbs[$0] - meanL) * (advantages[$0] - meanA) : .nan }
  }

  /// The group fractions of seed 003's Table 1.
  public static let topFractions: [Double] = [0.0002, 0.002, 0.02, 0.2, 0.5, 1]

  /// Mean covariance of the top fraction `f` of valid tokens by covariance (at least one
  /// token: `max(1, ⌈f·N⌉)`), for each fraction (seed 003, Table 1).
  public static func topMeans(_ cov: [Double], fractions: [Double] = topFractions) -> [(fraction: Double, count: Int, mean: Double)] {
    let sorted = cov.filter { !$0.isNaN }.sorted(by: >)
    guard !sorted.isEmpty else { return [] }
    return fractions.map { f in
      let k = Swift.min(sorted.count, Swift.max(1, Int((f * Double(sorted.count)).rounded(.up))))
      return (f, k, sorted[0..<k].reduce(0, +) / Double(k))
    }
  }
}

/// Which tokens Clip-Cov and KL-Cov (Cui et al., arXiv 2505.22617; verl `core_algos.py`)
/// would touch in a batch, given the token covariances.
public enum CovarianceSelection {
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
    let ratio = Foundation.exp(Swift.min(logProb - oldLogProb, 700))
    let clipped = Swift.min(Swift.max(ratio, 1 - low), 1 + high)
    return -advantage * clipped > -advantage * ratio
  }
}
