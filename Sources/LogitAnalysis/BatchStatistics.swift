import Foundation
import PolicyLosses
import SampleStatistics
import SeededRandom

/// Order statistics of a sample: quantiles by linear interpolation between order statistics
/// (numpy's default, "linear" / type 7).
public struct Quantiles: Sendable {
  /// The sorted sample.
  public let sorted: [Double]

  /// Sorts `values` (NaN excluded).
  ///
  /// - Complexity: O(n log n) for `n` values.
  public init(_ values: [Double]) { sorted = values.filter { !$0.isNaN }.sorted() }

  /// The `q`-quantile, `q ∈ [0, 1]`: `x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋])` with `h = (n−1)q`.
  public func quantile(_ q: Double) -> Double { SampleStatistics.quantile(sorted: sorted, q) }

  /// The arithmetic mean.
  public var mean: Double { SampleStatistics.mean(sorted) }

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
  /// `cov_i` for every row (NaN where `valid` is false), centred on the exact means (seed 003's
  /// tables, KL-Cov): ``CovarianceSelection/tokenCovariance(logProbs:advantages:valid:centering:)``.
  ///
  /// - Complexity: O(N) for `N` rows.
  public static func compute(logProbs: [Double], advantages: [Double], valid: [Bool]) -> [Double] {
    CovarianceSelection.tokenCovariance(logProbs: logProbs, advantages: advantages, valid: valid, centering: .exactMean)
  }

  /// The group fractions of seed 003's Table 1.
  public static let topFractions: [Double] = [0.0002, 0.002, 0.02, 0.2, 0.5, 1]

  /// Mean covariance of the top fraction `f` of valid tokens by covariance (at least one
  /// token: `max(1, ⌈f·N⌉)`), for each fraction (seed 003, Table 1).
  ///
  /// - Complexity: O(N log N + F·N) for `N` covariances and `F` fractions.
  public static func topMeans(_ cov: [Double], fractions: [Double] = topFractions) -> [(fraction: Double, count: Int, mean: Double)] {
    let sorted = cov.filter { !$0.isNaN }.sorted(by: >)
    guard !sorted.isEmpty else { return [] }
    return fractions.map { f in
      let k = Swift.min(sorted.count, Swift.max(1, Int((f * Double(sorted.count)).rounded(.up))))
      return (f, k, sorted[0..<k].reduce(0, +) / Double(k))
    }
  }
}
