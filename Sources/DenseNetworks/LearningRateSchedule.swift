import RealModule

/// A learning-rate schedule `η_t = η · f(t)` over `T` steps, with an optional linear warm-up.
///
/// - `constant`: `f = 1`;
/// - `linear(final)`: `f` falls linearly from 1 to `final` at the last step;
/// - `cosine(final)`: `f = final + (1 − final)(1 + cos(π t/(T−1)))/2`;
/// - `inverseSqrt`: `f = 1/√(1 + t)`.
///
/// With `warmup = W > 0`, `f` is multiplied by `(t + 1)/W` for `t < W`.
public struct LearningRateSchedule: Sendable, Equatable {
  /// The decay shape.
  public enum Shape: Sendable, Equatable {
    case constant
    case linear(final: Double)
    case cosine(final: Double)
    case inverseSqrt
  }

  /// Decay shape.
  public var shape: Shape
  /// Warm-up steps.
  public var warmup: Int

  /// A schedule.
  public init(_ shape: Shape = .constant, warmup: Int = 0) {
    self.shape = shape
    self.warmup = warmup
  }

  /// Parses `constant`, `linear`, `cosine`, `inverse-sqrt` (decaying to `final` × η).
  public init?(name: String, final: Double = 0, warmup: Int = 0) {
    switch name {
    case "constant": self.init(.constant, warmup: warmup)
    case "linear": self.init(.linear(final: final), warmup: warmup)
    case "cosine": self.init(.cosine(final: final), warmup: warmup)
    case "inverse-sqrt": self.init(.inverseSqrt, warmup: warmup)
    default: return nil
    }
  }

  /// The names accepted by ``init(name:final:warmup:)``.
  public static let names = ["constant", "linear", "cosine", "inverse-sqrt"]

  /// Checks the fields.
  public func validate() throws(NetworkError) {
    guard warmup >= 0 else { throw NetworkError("warm-up steps must be ≥ 0, got \(warmup)") }
    switch shape {
    case .linear(let f), .cosine(let f):
      guard f >= 0, f <= 1 else { throw NetworkError("the final learning-rate fraction must lie in [0, 1], got \(f)") }
    default: break
    }
  }

  /// The multiplier `f(t)` at step `t` (0-based) of `total` steps.
  public func factor(step t: Int, of total: Int) -> Double {
    let progress = total > 1 ? Double(t) / Double(total - 1) : 0
    var f: Double
    switch shape {
    case .constant: f = 1
    case .linear(let final): f = 1 - (1 - final) * progress
    case .cosine(let final): f = final + (1 - final) * (1 + Double.cos(Double.pi * progress)) / 2
    case .inverseSqrt: f = 1 / Double(1 + t).squareRoot()
    }
    if t < warmup { f *= Double(t + 1) / Double(warmup) }
    return f
  }
}
