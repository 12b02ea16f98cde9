import OutputFormats
import RealModule
import SampleStatistics

/// Small statistics for verdicts: means, spreads, correlation, Welch's t-test.
public enum Stats {
  /// `Σv / n` (NaN when empty): ``SampleStatistics/mean(_:)``.
  public static func mean(_ v: [Double]) -> Double { SampleStatistics.mean(v) }

  /// Sample standard deviation `√(Σ(v − v̄)² / (n − 1))` (NaN below two values):
  /// ``SampleStatistics/standardDeviation(_:)``.
  public static func standardDeviation(_ v: [Double]) -> Double { SampleStatistics.standardDeviation(v) }

  /// Pearson correlation `Σ(a − ā)(b − b̄) / √(Σ(a − ā)² Σ(b − b̄)²)`:
  /// ``SampleStatistics/correlation(_:_:)``.
  public static func correlation(_ a: [Double], _ b: [Double]) -> Double { SampleStatistics.correlation(a, b) }

  /// Mean and standard error `sd/√n`.
  public static func meanAndStandardError(_ v: [Double]) -> (Double, Double) {
    (mean(v), standardDeviation(v) / Double(v.count).squareRoot())
  }

  /// `"m ± sd"` with `digits` significant digits.
  public static func meanSD(_ v: [Double], _ digits: Int = 3) -> String { "\(formatNumber(mean(v), digits: digits)) ± \(formatNumber(standardDeviation(v), digits: 2))" }

  /// Welch's unequal-variance t-test of `mean(a) − mean(b)`:
  /// `t = (ā − b̄)/√(s_a²/n_a + s_b²/n_b)`, Welch–Satterthwaite degrees of freedom
  /// `ν = (s_a²/n_a + s_b²/n_b)² / ((s_a²/n_a)²/(n_a − 1) + (s_b²/n_b)²/(n_b − 1))`, and the
  /// one-sided p-value `P(T_ν ≥ t)` of the hypothesis `mean(a) > mean(b)`.
  public static func welch(_ a: [Double], _ b: [Double]) -> WelchTest {
    let va = Double.pow(standardDeviation(a), 2) / Double(a.count), vb = Double.pow(standardDeviation(b), 2) / Double(b.count)
    let difference = mean(a) - mean(b)
    let se = (va + vb).squareRoot()
    let nu = (va + vb) * (va + vb) / (va * va / Double(a.count - 1) + vb * vb / Double(b.count - 1))
    if se == 0 {
      // No spread at all: the difference is exact.
      let t: Double = difference == 0 ? 0 : (difference > 0 ? .infinity : -.infinity)
      return WelchTest(difference: difference, t: t, degreesOfFreedom: .infinity, pGreater: difference > 0 ? 0 : (difference < 0 ? 1 : 0.5))
    }
    let t = difference / se
    return WelchTest(difference: difference, t: t, degreesOfFreedom: nu, pGreater: studentTUpperTail(t, nu))
  }

  /// `P(T_ν ≥ t)` for Student's t with `ν` degrees of freedom, from the regularised incomplete
  /// beta function: `P(|T| ≥ |t|) = I_{ν/(ν+t²)}(ν/2, 1/2)`.
  public static func studentTUpperTail(_ t: Double, _ nu: Double) -> Double {
    guard t.isFinite else { return t > 0 ? 0 : 1 }
    let twoSided = regularizedIncompleteBeta(nu / (nu + t * t), nu / 2, 0.5)
    return t >= 0 ? twoSided / 2 : 1 - twoSided / 2
  }

  /// `I_x(a, b)`, by the continued fraction of Lentz's method (converges for `x < (a+1)/(a+b+2)`,
  /// the symmetry `I_x(a, b) = 1 − I_{1−x}(b, a)` otherwise).
  public static func regularizedIncompleteBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
    if x <= 0 { return 0 }
    if x >= 1 { return 1 }
    if x > (a + 1) / (a + b + 2) { return 1 - regularizedIncompleteBeta(1 - x, b, a) }
    let logFront = Double.logGamma(a + b) - Double.logGamma(a) - Double.logGamma(b) + a * Double.log(x) + b * Double.log(1 - x)
    let tiny = 1e-300
    var c = 1.0, d = 1 - (a + b) * x / (a + 1)
    if abs(d) < tiny { d = tiny }
    d = 1 / d
    var f = d
    for m in 1...300 {
      let m = Double(m)
      let even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
      d = 1 + even * d; if abs(d) < tiny { d = tiny }
      c = 1 + even / c; if abs(c) < tiny { c = tiny }
      d = 1 / d
      f *= d * c
      let odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
      d = 1 + odd * d; if abs(d) < tiny { d = tiny }
      c = 1 + odd / c; if abs(c) < tiny { c = tiny }
      d = 1 / d
      let delta = d * c
      f *= delta
      if abs(delta - 1) < 1e-15 { break }
    }
    return Double.exp(logFront) * f / a
  }
}

/// Welch's t-test of `mean(a) − mean(b)` (``Stats/welch(_:_:)``).
public struct WelchTest: Sendable, Equatable {
  /// `ā − b̄`.
  public var difference: Double
  /// The t statistic.
  public var t: Double
  /// Welch–Satterthwaite degrees of freedom.
  public var degreesOfFreedom: Double
  /// One-sided p-value of `mean(a) > mean(b)`.
  public var pGreater: Double

  /// The verdict on the claim that the difference has the sign of `direction` (+1: `a > b`,
  /// −1: `a < b`): `holds` when significant that way at one-sided level `alpha`, `fails` when
  /// the measured difference points the other way (or is zero), `inconclusive` when it points
  /// the claimed way without reaching significance.
  public func verdict(direction: Double, alpha: Double = 0.01) -> Verdict {
    let p = direction >= 0 ? pGreater : 1 - pGreater
    if p < alpha { return .holds }
    return direction * difference > 0 ? .inconclusive : .fails
  }

  /// The verdict of a comparison judged by the size of `t` (issue 20's rule for the RLVR
  /// methods): `holds` when `direction · t ≥ threshold`, `fails` when `direction · t ≤ −threshold`
  /// (the other side is better by as much), `inconclusive` in between.
  public func verdict(direction: Double, tAtLeast threshold: Double) -> Verdict {
    let signed = (direction >= 0 ? 1 : -1) * t
    if signed >= threshold { return .holds }
    return signed <= -threshold ? .fails : .inconclusive
  }

  /// `t = …, ν = …, p = …` (one-sided in `direction`).
  public func text(direction: Double = 1) -> String {
    "Welch t = \(formatNumber(t, digits: 3)), ν = \(formatNumber(degreesOfFreedom, digits: 3)), one-sided p = \(formatNumber(direction >= 0 ? pGreater : 1 - pGreater, digits: 2))"
  }
}
