/// Eight independent ``Xoshiro256StarStar`` streams advanced together in SIMD lanes.
///
/// Lane `i` produces exactly the sequence of the scalar generator it was loaded from, so a
/// vectorised runner and a scalar one draw the same numbers for the same run. The uniform and
/// Gaussian draws match ``Xoshiro256StarStar/nextDouble()``,
/// ``Xoshiro256StarStar/nextOpenDouble()`` bit for bit; ``nextGaussian(log:cos2pi:)`` takes
/// the vector `log` and `cos 2π·` from the caller (the kernels module has them).
@frozen
public struct Xoshiro256StarStarX8: Sendable {
  /// The four state words of xoshiro256**, lane `i` holding generator `i`'s.
  public var s0: SIMD8<UInt64>, s1: SIMD8<UInt64>, s2: SIMD8<UInt64>, s3: SIMD8<UInt64>

  /// Loads the states of eight scalar generators, one per lane.
  @inlinable
  public init(lanes: [Xoshiro256StarStar]) {
    precondition(lanes.count == 8, "Xoshiro256StarStarX8 needs exactly 8 generators")
    s0 = .zero; s1 = .zero; s2 = .zero; s3 = .zero
    for (i, g) in lanes.enumerated() {
      let w = g.stateWords
      s0[i] = w.0; s1[i] = w.1; s2[i] = w.2; s3[i] = w.3
    }
  }

  /// The scalar generator of lane `i`, at its current position.
  @inlinable
  public func lane(_ i: Int) -> Xoshiro256StarStar {
    Xoshiro256StarStar(stateWords: (s0[i], s1[i], s2[i], s3[i]))
  }

  /// The next 64 bits of every lane: `rotl(s1 · 5, 7) · 9`, then the xoshiro transition.
  @inlinable @inline(__always)
  public mutating func next() -> SIMD8<UInt64> {
    let five = s1 &+ (s1 &<< 2)
    let rotated = (five &<< 7) | (five &>> 57)
    let result = rotated &+ (rotated &<< 3)
    let t = s1 &<< 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 &<< 45) | (s3 &>> 19)
    return result
  }

  /// `Double(n)` for integers `n < 2⁵³` in lanes, exactly: the two 26/27-bit halves through the
  /// `2⁵²` exponent trick (no integer-to-float instruction needed).
  @inlinable @inline(__always)
  static func exactDouble(_ n: SIMD8<UInt64>) -> SIMD8<Double> {
    let magic = SIMD8<UInt64>(repeating: 0x4330_0000_0000_0000)  // 2⁵²
    let two52 = SIMD8<Double>(repeating: 0x1.0p52)
    let hi = unsafeBitCast((n &>> 26) | magic, to: SIMD8<Double>.self) - two52
    let lo = unsafeBitCast((n & SIMD8(repeating: (1 << 26) - 1)) | magic, to: SIMD8<Double>.self) - two52
    return hi * SIMD8(repeating: 0x1.0p26) + lo  // exact: every value is an integer below 2⁵³
  }

  /// Uniforms in `[0, 1)`: `(top 53 bits) · 2⁻⁵³`, as ``Xoshiro256StarStar/nextDouble()``.
  @inlinable @inline(__always)
  public mutating func nextDouble() -> SIMD8<Double> {
    Self.exactDouble(next() &>> 11) * SIMD8(repeating: 0x1.0p-53)
  }

  /// Uniforms in `(0, 1]`: `(top 53 bits + 1) · 2⁻⁵³`, as ``Xoshiro256StarStar/nextOpenDouble()``.
  @inlinable @inline(__always)
  public mutating func nextOpenDouble() -> SIMD8<Double> {
    Self.exactDouble((next() &>> 11) &+ 1) * SIMD8(repeating: 0x1.0p-53)
  }

  /// Standard normal draws by Box–Muller `√(−2 log u₁) · cos(2π u₂)`, consuming the stream as
  /// ``Xoshiro256StarStar/nextGaussian()`` does (`u₁` open, then `u₂`).
  @inlinable @inline(__always)
  public mutating func nextGaussian(
    log: (SIMD8<Double>) -> SIMD8<Double>, cos2pi: (SIMD8<Double>) -> SIMD8<Double>
  ) -> SIMD8<Double> {
    let u1 = nextOpenDouble()
    let u2 = nextDouble()
    return (SIMD8<Double>(repeating: -2) * log(u1)).squareRoot() * cos2pi(u2)
  }
}
