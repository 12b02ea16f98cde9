/// The adaptive entropy coefficient of Skywork-OR1 as TRL implements it
/// (`use_adaptive_entropy`): after every optimiser step the coefficient rises by `δ` when the
/// mean entropy is at or below the target and falls by `δ` otherwise, clamped to
/// `[minimum, maximum]`; the bonus is applied only while the entropy is at or below the target.
/// TRL's defaults: `δ = 0.005`, target 0.2 nats, bounds `[0, 1]`, start 0.
public struct AdaptiveEntropyCoefficient: Sendable, Equatable {
  /// Current coefficient.
  public var value: Double
  /// Step `δ`, target entropy (nats), bounds.
  public var delta: Double, target: Double, minimum: Double, maximum: Double

  /// A controller starting at `value`.
  public init(value: Double = 0, delta: Double = 0.005, target: Double = 0.2, minimum: Double = 0, maximum: Double = 1) {
    self.value = value
    self.delta = delta
    self.target = target
    self.minimum = minimum
    self.maximum = maximum
  }

  /// The coefficient to use at mean entropy `h`: the current value while `h ≤ target`, else 0.
  public func coefficient(meanEntropy h: Double) -> Double { h <= target ? value : 0 }

  /// The update after an optimiser step at mean entropy `h`.
  public mutating func update(meanEntropy h: Double) {
    value = Swift.min(Swift.max(value + (h <= target ? delta : -delta), minimum), maximum)
  }

  /// Checks the fields.
  public func validate() throws(LossError) {
    guard delta >= 0, minimum <= maximum, value.isFinite, target.isFinite else {
      throw LossError("the adaptive entropy coefficient needs δ ≥ 0 and minimum ≤ maximum")
    }
  }
}
