import RealModule

/// Least-squares fits shared by the experiments and the run-log analyses.
public enum LeastSquares {
  /// The line `y = slope·x + intercept` minimising `Σ(y − slope·x − intercept)²`, and its
  /// `R² = 1 − Σ residual² / Σ(y − ȳ)²` (slope NaN when all `x` are equal).
  ///
  /// - Complexity: O(n).
  public static func line(_ x: [Double], _ y: [Double]) -> (slope: Double, intercept: Double, r2: Double) {
    let mx = SampleStatistics.mean(x), my = SampleStatistics.mean(y)
    var sxy = 0.0, sxx = 0.0, syy = 0.0
    for (u, v) in zip(x, y) {
      sxy += (u - mx) * (v - my)
      sxx += (u - mx) * (u - mx)
      syy += (v - my) * (v - my)
    }
    let slope = sxy / sxx, intercept = my - slope * mx
    var residual = 0.0
    for (u, v) in zip(x, y) { residual += (v - (slope * u + intercept)) * (v - (slope * u + intercept)) }
    return (slope, intercept, 1 - residual / syy)
  }
}

/// Seed 003's entropy–performance law `R = −a·e^{κH} + b` (Cui et al., eq. 6; κ = 1): the
/// performance `R` as an exponential function of the policy entropy `H` over training. Its
/// ceiling, the performance when the entropy is spent (`H = 0`), is `b − a`.
public struct EntropyPerformanceLaw: Sendable, Equatable {
  /// The coefficients of `R = −a·e^{κH} + b`.
  public var a: Double, b: Double
  /// The exponent's scale `κ` (1 in the paper).
  public var kappa: Double
  /// `R²` of the fit.
  public var r2: Double

  /// The least-squares fit, linear in `e^{κH}`: `(−a, b)` is the line of `R` on `e^{κH}`.
  ///
  /// - Complexity: O(n).
  public init(entropy h: [Double], performance r: [Double], kappa: Double = 1) {
    let fit = LeastSquares.line(h.map { Double.exp(kappa * $0) }, r)
    a = -fit.slope
    b = fit.intercept
    self.kappa = kappa
    r2 = fit.r2
  }

  /// `R(H) = −a·e^{κH} + b`.
  public func performance(atEntropy h: Double) -> Double { -a * Double.exp(kappa * h) + b }

  /// The predicted ceiling `R(0) = b − a`.
  public var ceiling: Double { b - a }
}
