/// The xoshiro256** generator of Blackman and Vigna ("Scrambled linear pseudorandom number
/// generators", ACM TOMS 2021): 256 bits of state, period 2²⁵⁶ − 1, passes BigCrush.
///
/// Every random stream of the project is one of these, seeded explicitly. The state is
/// filled from a `(seed, stream)` pair through ``SplitMix64``, so that run `i` of an
/// experiment seeded with `s` draws from `Xoshiro256StarStar(seed: s, stream: i)` and its
/// numbers do not depend on how runs are scheduled over threads.
///
/// - Complexity: O(1) per draw; about 1 ns per 64-bit word.
@frozen
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable, Hashable {
  @usableFromInline internal var s0: UInt64
  @usableFromInline internal var s1: UInt64
  @usableFromInline internal var s2: UInt64
  @usableFromInline internal var s3: UInt64

  /// A generator whose state is the first four outputs of `SplitMix64(seed)`.
  @inlinable
  public init(seed: UInt64) {
    var mixer = SplitMix64(state: seed)
    s0 = mixer.next(); s1 = mixer.next(); s2 = mixer.next(); s3 = mixer.next()
    // SplitMix64 never yields four zero words in a row, but keep the invariant explicit.
    if s0 | s1 | s2 | s3 == 0 { s0 = 0x9E37_79B9_7F4A_7C15 }
  }

  /// The generator of stream `stream` under experiment seed `seed`.
  ///
  /// The pair is mixed as `SplitMix64.mix(seed) ^ SplitMix64.mix(stream ⊕ golden)` before
  /// seeding, so neighbouring seeds and neighbouring streams give unrelated states.
  @inlinable
  public init(seed: UInt64, stream: UInt64) {
    self.init(seed: SplitMix64.mix(seed) ^ SplitMix64.mix(stream &+ 0x6A09_E667_F3BC_C909))
  }

  /// The next 64 random bits: `rotl(s1 · 5, 7) · 9`, then the xoshiro state transition.
  @inlinable
  public mutating func next() -> UInt64 {
    let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = s3 << 45 | s3 >> 19
    return result
  }
}

extension Xoshiro256StarStar {
  /// A uniform `Double` in `[0, 1)`: the top 53 bits of a draw times 2⁻⁵³.
  @inlinable
  public mutating func nextDouble() -> Double {
    Double(next() >> 11) * 0x1.0p-53
  }

  /// A uniform `Double` in `(0, 1]`: `(top 53 bits + 1) · 2⁻⁵³`; safe to take the log of.
  @inlinable
  public mutating func nextOpenDouble() -> Double {
    Double((next() >> 11) &+ 1) * 0x1.0p-53
  }

  /// A uniform `Float` in `[0, 1)`: the top 24 bits of a draw times 2⁻²⁴.
  @inlinable
  public mutating func nextFloat() -> Float {
    Float(next() >> 40) * 0x1.0p-24
  }

  /// A uniform integer in `0 ..< bound` without modulo bias (Lemire's multiply-and-reject).
  ///
  /// - Precondition: `bound > 0`.
  @inlinable
  public mutating func nextInt(below bound: Int) -> Int {
    precondition(bound > 0, "nextInt(below:) needs a positive bound")
    let b = UInt64(bound)
    var product = next().multipliedFullWidth(by: b)
    if product.low < b {
      let threshold = (0 &- b) % b
      while product.low < threshold { product = next().multipliedFullWidth(by: b) }
    }
    return Int(product.high)
  }

  /// A standard normal draw by the Box–Muller transform `√(−2 log u₁) · cos(2π u₂)`.
  ///
  /// Uses two uniforms per draw and keeps no cached second value, so a stream's draws
  /// depend only on how many draws came before.
  @inlinable
  public mutating func nextGaussian() -> Double {
    let u1 = nextOpenDouble()
    let u2 = nextDouble()
    return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
  }

  /// An index drawn from the categorical distribution with the given probabilities, by
  /// inversion: the first `i` with `u · Σp < p₀ + … + p_i`. Probabilities need not sum to
  /// exactly 1; zero entries are never drawn.
  ///
  /// - Complexity: O(K).
  @inlinable
  public mutating func nextCategorical<C: Collection>(_ probabilities: C) -> Int
  where C.Element == Double {
    var total = 0.0
    for p in probabilities { total += p }
    let u = nextDouble() * total
    var cumulative = 0.0
    var last = 0
    for (i, p) in probabilities.enumerated() {
      if p > 0 {
        cumulative += p
        last = i
        if u < cumulative { return i }
      }
    }
    return last
  }
}

extension Xoshiro256StarStar {
  /// The four state words `(s0, s1, s2, s3)`; with ``init(stateWords:)`` a generator can be
  /// moved into a vectorised one (``Xoshiro256StarStarX8``) and back without changing its stream.
  @inlinable
  public var stateWords: (UInt64, UInt64, UInt64, UInt64) { (s0, s1, s2, s3) }

  /// A generator with the given state words (not all zero).
  @inlinable
  public init(stateWords: (UInt64, UInt64, UInt64, UInt64)) {
    precondition(stateWords.0 | stateWords.1 | stateWords.2 | stateWords.3 != 0, "xoshiro state must not be all zero")
    (s0, s1, s2, s3) = stateWords
  }
}
