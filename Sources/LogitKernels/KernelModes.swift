import Foundation
import KernelIntrinsics
import VectorMath

/// Whether the one-pass kernel also accumulates `Σ e^{2u} u` (for `Σ p² log p`): a type, so
/// that each choice gets its own specialised loop.
public protocol MomentMode {
  /// Whether to accumulate the second moment.
  static var secondMoment: Bool { get }
}

/// Accumulate `Σ p² log p` too.
public enum WithSecondMoment: MomentMode {
  /// Always `true`.
  @inlinable public static var secondMoment: Bool { true }
}

/// Skip `Σ p² log p` (about 5% faster).
public enum WithoutSecondMoment: MomentMode {
  /// Always `false`.
  @inlinable public static var secondMoment: Bool { false }
}

/// Whether the one-pass kernel clamps `y` at −127 (a type, so that each choice gets its own
/// loop): chunks holding a value 127 octaves or more below the reference (masked `−∞`
/// logits among them) need it; the others, known from the chunk's minimum, skip the clamp's
/// `vmaxps` per vector (~8% of the loop).
@usableFromInline protocol ClampMode {
  static var clamps: Bool { get }
}

/// Clamp `y` at −127.
@usableFromInline enum ClampedExponent: ClampMode {
  @inlinable static var clamps: Bool { true }
}

/// Every `y` of the chunk is known to be at least −127: no clamp.
@usableFromInline enum UnclampedExponent: ClampMode {
  @inlinable static var clamps: Bool { false }
}
