/// Adam (Kingma & Ba 2015), descending a loss, in torch.optim.Adam's arithmetic:
/// `g ← s·g` (a scale: −1 to ascend an objective, or a clipping factor),
/// `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`,
/// `θ ← θ − (η/(1−β₁ᵗ)) · m / (√v/√(1−β₂ᵗ) + ε)`.
///
/// A value holding its moments; ``learningRate`` may change between steps (schedules).
public struct Adam<Scalar: BinaryFloatingPoint & Sendable>: Sendable {
  /// Step size `η`.
  public var learningRate: Scalar
  /// Decay rates and the denominator's `ε`.
  public let beta1: Scalar, beta2: Scalar, epsilon: Scalar
  @usableFromInline var moments1: [Scalar], moments2: [Scalar]
  @usableFromInline var steps = 0
  @usableFromInline var beta1Power = 1.0, beta2Power = 1.0
  /// First moments `m`.
  public var m: [Scalar] { moments1 }
  /// Second moments `v`.
  public var v: [Scalar] { moments2 }
  /// Steps taken `t`.
  public var t: Int { steps }

  /// Fresh moments for `count` parameters.
  public init(count: Int, learningRate: Scalar, beta1: Scalar = 0.9, beta2: Scalar = 0.999, epsilon: Scalar = 1e-8) {
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    moments1 = [Scalar](repeating: 0, count: count)
    moments2 = moments1
  }

  /// Zero moments and step count (a fresh optimiser, without allocating).
  @inlinable
  public mutating func reset() {
    moments1.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    moments2.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    steps = 0
    beta1Power = 1
    beta2Power = 1
  }

  /// One step on `parameters` along `gradient` (both ``m``.count values), the gradient
  /// multiplied by `scale`; adds the applied increment `Δθ` to `applied` where given.
  @inlinable
  public mutating func step(
    _ parameters: UnsafeMutablePointer<Scalar>, gradient: UnsafePointer<Scalar>, scale: Scalar = 1,
    applied: UnsafeMutablePointer<Scalar>? = nil
  ) {
    steps += 1
    beta1Power *= Double(beta1)
    beta2Power *= Double(beta2)
    let stepSize = learningRate / Scalar(1 - beta1Power)
    let root2 = Scalar((1 - beta2Power).squareRoot())
    let b1 = beta1, b2 = beta2, c1 = 1 - beta1, c2 = 1 - beta2, eps = epsilon
    moments1.withUnsafeMutableBufferPointer { mb in
      moments2.withUnsafeMutableBufferPointer { vb in
        for i in 0..<mb.count {
          let g = scale * gradient[i]
          let mi = b1 * mb[i] + c1 * g
          let vi = b2 * vb[i] + c2 * g * g
          mb[i] = mi
          vb[i] = vi
          let d = -stepSize * mi / (vi.squareRoot() / root2 + eps)
          parameters[i] += d
          applied?[i] += d
        }
      }
    }
  }

  /// ``step(_:gradient:scale:applied:)`` on arrays.
  @inlinable
  public mutating func step(_ parameters: inout [Scalar], gradient: [Scalar], scale: Scalar = 1) {
    precondition(parameters.count == moments1.count && gradient.count == moments1.count, "Adam for \(moments1.count) parameters given \(parameters.count) and \(gradient.count)")
    parameters.withUnsafeMutableBufferPointer { p in gradient.withUnsafeBufferPointer { g in step(p.baseAddress!, gradient: g.baseAddress!, scale: scale) } }
  }
}

/// Stochastic gradient descent: `θ ← θ − η s g` (`s` a scale: −1 to ascend an objective).
public struct SGD<Scalar: BinaryFloatingPoint & Sendable>: Sendable {
  /// Step size `η`.
  public var learningRate: Scalar
  /// SGD with step size `learningRate`.
  public init(learningRate: Scalar) { self.learningRate = learningRate }

  /// One step on `count` parameters; adds the applied increment to `applied` where given.
  @inlinable
  public func step(
    _ parameters: UnsafeMutablePointer<Scalar>, gradient: UnsafePointer<Scalar>, count: Int, scale: Scalar = 1,
    applied: UnsafeMutablePointer<Scalar>? = nil
  ) {
    let f = -learningRate * scale
    for i in 0..<count {
      let d = f * gradient[i]
      parameters[i] += d
      applied?[i] += d
    }
  }
}

/// The factor `min(1, c/(‖g‖₂ + 10⁻⁶))` that clips a gradient to global norm `c`, as
/// `torch.nn.utils.clip_grad_norm_` does (the norm summed in `Double`).
public func clippingScale(_ gradient: UnsafePointer<Float>, count: Int, maxNorm: Double) -> Float {
  var s = 0.0
  for i in 0..<count { s += Double(gradient[i]) * Double(gradient[i]) }
  return Float(min(1, maxNorm / (s.squareRoot() + 1e-6)))
}
