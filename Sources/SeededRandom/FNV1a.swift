/// The 64-bit FNV-1a hash (Fowler–Noll–Vo): `h₀ = 0xcbf29ce484222325`, then per byte
/// `h ← (h ⊕ b) · 0x100000001b3` (mod 2⁶⁴). The project's stable identities and file checksums
/// (sweep run ids, policy files) use it.
public enum FNV1a {
  /// The offset basis and the prime.
  public static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325, prime: UInt64 = 0x0000_0100_0000_01B3

  /// The hash of `bytes`.
  @inlinable
  public static func hash64<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
    var hash = offsetBasis
    for b in bytes { hash = (hash ^ UInt64(b)) &* prime }
    return hash
  }
}
