/// The sample statistics every floor uses — the lab's step aggregates, the analyzer's
/// summaries, the experiments' verdicts and the commands' tables — so each is written once.
public enum SampleStatistics {
  /// `Σv / n` (NaN when empty).
  @inlinable
  public static func mean(_ v: [Double]) -> Double { v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count) }

  /// The sample standard deviation `√(Σ(v − v̄)² / (n − 1))` (NaN below two values).
  @inlinable
  public static func standardDeviation(_ v: [Double]) -> Double {
    guard v.count > 1 else { return .nan }
    let m = mean(v)
    return (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)).squareRoot()
  }

  /// The `q`-quantile of an ascending `sorted` sample by linear interpolation between order
  /// statistics (numpy's default, type 7): `x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋])`,
  /// `h = (n − 1)q` (NaN when empty).
  @inlinable
  public static func quantile(sorted x: [Double], _ q: Double) -> Double {
    guard !x.isEmpty else { return .nan }
    let h = Double(x.count - 1) * q
    let lo = Int(h.rounded(.down)), hi = Swift.min(lo + 1, x.count - 1)
    return x[lo] + (h - Double(lo)) * (x[hi] - x[lo])
  }

  /// Pearson's correlation `Σ(a − ā)(b − b̄) / √(Σ(a − ā)² Σ(b − b̄)²)` of paired samples (NaN when
  /// either has no spread).
  ///
  /// - Complexity: O(n).
  public static func correlation(_ a: [Double], _ b: [Double]) -> Double {
    let ma = mean(a), mb = mean(b)
    var sab = 0.0, saa = 0.0, sbb = 0.0
    for (x, y) in zip(a, b) {
      sab += (x - ma) * (y - mb)
      saa += (x - ma) * (x - ma)
      sbb += (y - mb) * (y - mb)
    }
    return sab / (saa * sbb).squareRoot()
  }
}
