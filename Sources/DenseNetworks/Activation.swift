import VectorMath

/// A pointwise nonlinearity `σ` of a layer, with its derivative written in terms of the
/// layer's output `y = σ(a)` (what the forward pass keeps):
///
/// - `identity`: `σ(a) = a`, `σ' = 1`;
/// - `tanh`: `σ(a) = tanh a`, `σ' = 1 − y²` (``tanh16(_:)``: relative error ~3e-7);
/// - `relu`: `σ(a) = max(0, a)`, `σ' = [y > 0]`.
public enum Activation: String, Sendable, CaseIterable, Hashable {
  case identity, tanh, relu

  /// `σ` on 16 lanes.
  @inlinable @inline(__always)
  public func apply(_ v: SIMD16<Float>) -> SIMD16<Float> {
    switch self {
    case .identity: return v
    case .tanh: return tanh16(v)
    case .relu: return v.replacing(with: 0, where: v .< 0)
    }
  }

  /// `g ⊙ σ'` on 16 lanes, from the output `y` and the incoming gradient `g`.
  @inlinable @inline(__always)
  public func backward(_ g: SIMD16<Float>, output y: SIMD16<Float>) -> SIMD16<Float> {
    switch self {
    case .identity: return g
    case .tanh: return g * (1 - y * y)
    case .relu: return g.replacing(with: 0, where: y .<= 0)
    }
  }

  /// `σ(a)` for one value (the same formulas as the vector paths).
  @inlinable
  public func apply(_ a: Float) -> Float { apply(SIMD16<Float>(repeating: a))[0] }
}
