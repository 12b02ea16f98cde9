import RealModule

/// How a run turns the gradient `g` of its objective (ascent) into a parameter step.
///
/// - `sgd`: `θ ← θ + η_t g`;
/// - `adam(β₁, β₂, ε)` (Kingma & Ba 2015): `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`,
///   `θ ← θ + η_t m̂ / (√v̂ + ε)` with `m̂ = m/(1−β₁ᵗ)`, `v̂ = v/(1−β₂ᵗ)`.
///
/// Adam's per-coordinate scaling does not keep tabular logit steps zero-sum: a probe shows it.
public enum Optimizer: Sendable, Equatable {
  case sgd
  case adam(beta1: Double, beta2: Double, epsilon: Double)

  /// Adam with the usual defaults `β₁ = 0.9`, `β₂ = 0.999`, `ε = 1e-8`.
  public static let adamDefault = Optimizer.adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8)

  /// Parses `sgd` or `adam`.
  public init?(name: String) {
    switch name {
    case "sgd": self = .sgd
    case "adam": self = .adamDefault
    default: return nil
    }
  }

  /// The names accepted by ``init(name:)``.
  public static let names = ["sgd", "adam"]

  /// Checks the hyper-parameters.
  public func validate() throws(LabError) {
    if case .adam(let b1, let b2, let eps) = self {
      guard b1 >= 0, b1 < 1, b2 >= 0, b2 < 1 else { throw LabError("Adam's β₁ and β₂ must lie in [0, 1), got \(b1), \(b2)") }
      guard eps > 0, eps.isFinite else { throw LabError("Adam's ε must be > 0, got \(eps)") }
    }
  }
}

/// An optimiser's per-run state.
public struct OptimizerState: Sendable {
  /// First and second moment estimates (empty for SGD) and the step count.
  public var m: [Double], v: [Double], t: Int

  /// Fresh state for `count` parameters.
  public init(_ optimizer: Optimizer, count: Int) {
    switch optimizer {
    case .sgd: m = []; v = []
    case .adam: m = [Double](repeating: 0, count: count); v = m
    }
    t = 0
  }

  /// Applies one ascent step of size `rate` along `gradient` to `theta`, adding the
  /// increment `Δθ` it applied to `applied`.
  public mutating func step(_ optimizer: Optimizer, theta: inout [Double], gradient: [Double], rate: Double, applied: inout [Double]) {
    t += 1
    switch optimizer {
    case .sgd:
      for i in theta.indices {
        let d = rate * gradient[i]
        theta[i] += d
        applied[i] += d
      }
    case .adam(let b1, let b2, let eps):
      let c1 = 1 - Double.pow(b1, Double(t)), c2 = 1 - Double.pow(b2, Double(t))
      for i in theta.indices {
        let g = gradient[i]
        m[i] = b1 * m[i] + (1 - b1) * g
        v[i] = b2 * v[i] + (1 - b2) * g * g
        let d = rate * (m[i] / c1) / ((v[i] / c2).squareRoot() + eps)
        theta[i] += d
        applied[i] += d
      }
    }
  }

  /// Applies one ascent step (see ``step(_:theta:gradient:rate:applied:)``).
  public mutating func step(_ optimizer: Optimizer, theta: inout [Double], gradient: [Double], rate: Double) {
    var applied = [Double](repeating: 0, count: theta.count)
    step(optimizer, theta: &theta, gradient: gradient, rate: rate, applied: &applied)
  }
}

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
  public func validate() throws(LabError) {
    guard warmup >= 0 else { throw LabError("warm-up steps must be ≥ 0, got \(warmup)") }
    switch shape {
    case .linear(let f), .cosine(let f):
      guard f >= 0, f <= 1 else { throw LabError("the final learning-rate fraction must lie in [0, 1], got \(f)") }
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
