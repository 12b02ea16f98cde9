/// PPO's clip of one token, as verl decides it (`clip_by_origin`, `pg_clipfrac`): with
/// `r = π/π_old` and `L₁ = −A r`, `L₂ = −A·clip(r, 1 − ε_low, 1 + ε_high)`, the token is clipped
/// when `L₂ > L₁` — the clipped term is the larger, so `max(L₁, L₂)` carries no gradient. That
/// is `A < 0` with `r < 1 − ε_low` (the low side) or `A > 0` with `r > 1 + ε_high` (the high
/// side). The losses, the analyzer's Clip-Cov candidates, the lab's PPO surrogate and the
/// clip-low/high experiment all ask this one predicate.
public enum PPOClip {
  /// The side of the clip a token sits on.
  public enum Side: Sendable, Equatable { case low, high }

  /// `clip(r, 1 − ε_low, 1 + ε_high)`.
  @inlinable @inline(__always)
  public static func clipped(_ ratio: Double, low: Double, high: Double) -> Double {
    Swift.min(Swift.max(ratio, 1 - low), 1 + high)
  }

  /// Whether `−A·clip(r) > −A·r`.
  @inlinable @inline(__always)
  public static func isClipped(ratio: Double, advantage: Double, low: Double, high: Double) -> Bool {
    -advantage * clipped(ratio, low: low, high: high) > -advantage * ratio
  }

  /// The side a clipped token sits on (nil when it is not clipped).
  @inlinable
  public static func side(ratio: Double, advantage: Double, low: Double, high: Double) -> Side? {
    guard isClipped(ratio: ratio, advantage: advantage, low: low, high: high) else { return nil }
    return advantage < 0 ? .low : .high
  }
}
