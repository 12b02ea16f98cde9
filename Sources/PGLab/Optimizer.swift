@_exported import DenseNetworks
import RealModule

/// How a run turns the gradient `g` of its objective (ascent) into a parameter step.
///
/// - `sgd`: `θ ← θ + η_t g`;
/// - `adam(β₁, β₂, ε)` (Kingma & Ba 2015): `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`,
///   `θ ← θ + η_t m̂ / (√v̂ + ε)` with `m̂ = m/(1−β₁ᵗ)`, `v̂ = v/(1−β₂ᵗ)`.
///
/// Adam's per-coordinate scaling does not keep tabular logit steps zero-sum: a probe shows it.
public enum Optimizer: Sendable, Equatable {
  /// `θ ← θ + η_t g`.
  case sgd
  /// Adam: `θ ← θ + η_t m̂/(√v̂ + ε)` with bias-corrected moments (see the type).
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

/// An optimiser's per-run state: the engine's ``Adam`` (`DenseNetworks`) in `Double` for
/// `adam`, nothing for `sgd`. The lab ascends its objective, so its steps pass the gradient
/// with scale −1 to the engine's descent.
public struct OptimizerState: Sendable {
  /// The Adam moments (nil for SGD).
  public private(set) var adam: Adam<Double>?

  /// First moment estimate `m` (empty for SGD).
  public var m: [Double] { adam?.m ?? [] }
  /// Second moment estimate `v` (empty for SGD).
  public var v: [Double] { adam?.v ?? [] }
  /// Steps taken.
  public private(set) var t: Int

  /// Fresh state for `count` parameters.
  public init(_ optimizer: Optimizer, count: Int) {
    switch optimizer {
    case .sgd: adam = nil
    case .adam(let b1, let b2, let eps): adam = Adam<Double>(count: count, learningRate: 0, beta1: b1, beta2: b2, epsilon: eps)
    }
    t = 0
  }

  /// Applies one ascent step of size `rate` along `gradient` to `theta`, adding the
  /// increment `Δθ` it applied to `applied`.
  public mutating func step(_ optimizer: Optimizer, theta: inout [Double], gradient: [Double], learningRate rate: Double, applied: inout [Double]) {
    t += 1
    let n = theta.count
    precondition(gradient.count == n && applied.count == n, "an optimiser step of \(n) parameters given \(gradient.count) gradients")
    theta.withUnsafeMutableBufferPointer { th in
      gradient.withUnsafeBufferPointer { g in
        applied.withUnsafeMutableBufferPointer { a in
          if adam != nil {
            adam!.learningRate = rate
            adam!.step(th.baseAddress!, gradient: g.baseAddress!, scale: -1, applied: a.baseAddress!)
          } else {
            SGD<Double>(learningRate: rate).step(th.baseAddress!, gradient: g.baseAddress!, count: n, scale: -1, applied: a.baseAddress!)
          }
        }
      }
    }
  }

  /// Applies one ascent step (see ``step(_:theta:gradient:learningRate:applied:)``).
  public mutating func step(_ optimizer: Optimizer, theta: inout [Double], gradient: [Double], learningRate rate: Double) {
    var applied = [Double](repeating: 0, count: theta.count)
    step(optimizer, theta: &theta, gradient: gradient, learningRate: rate, applied: &applied)
  }
}
