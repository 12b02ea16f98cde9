/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014): a 64-bit counter `x += 0x9E3779B97F4A7C15` passed through a bijective mixer.
///
/// Used to seed ``Xoshiro256StarStar`` and to derive independent stream keys.
@frozen
public struct SplitMix64: RandomNumberGenerator, Sendable, Hashable {
  /// The counter; the next output is `mix(state + γ)`.
  public var state: UInt64

  /// A generator starting at counter `state`.
  @inlinable
  public init(state: UInt64) { self.state = state }

  /// Advances the counter by the golden-ratio increment and returns its mixed value.
  @inlinable
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    return SplitMix64.mix(state)
  }

  /// The SplitMix64 finaliser: `z ← (z ⊕ z≫30)·0xBF58476D1CE4E5B9`,
  /// `z ← (z ⊕ z≫27)·0x94D049BB133111EB`, `z ⊕ z≫31`. A bijection of `UInt64`.
  @inlinable
  public static func mix(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
