/// The per-token results of the fused kernel for one row of logits `z` (one token position)
/// at inverse temperature `β`, with `p = softmax(βz)` and chosen token `c`.
@frozen
public struct RowStatistics: Sendable, Equatable {
  /// `lse(βz) = log Σ_i e^{β z_i}`.
  public var logSumExp: Double
  /// Shannon entropy `H = −Σ p_i log p_i` (nats).
  public var entropy: Double
  /// Collision probability `C = Σ p_i²`.
  public var collision: Double
  /// `Σ_i p_i² log p_i`, needed for `Cov_p(log p, p)`.
  public var sumSquaredPLogP: Double
  /// `log p_c` (NaN when no chosen token was given).
  public var chosenLogProb: Double
  /// `p_c`.
  public var chosenProb: Double
  /// `√(1 − 2p_c + C)`: the update norm per unit `η|A|β` (seed 002).
  public var normFactor: Double
  /// Whether the row was usable: no NaN or `+∞` logit and at least one finite logit.
  public var isFinite: Bool

  /// A row flagged as unusable; every number is NaN.
  public static let flagged = RowStatistics(
    logSumExp: .nan, entropy: .nan, collision: .nan, sumSquaredPLogP: .nan, chosenLogProb: .nan,
    chosenProb: .nan, normFactor: .nan, isFinite: false)

  /// Builds a result.
  @inlinable
  public init(logSumExp: Double, entropy: Double, collision: Double, sumSquaredPLogP: Double,
              chosenLogProb: Double, chosenProb: Double, normFactor: Double, isFinite: Bool) {
    self.logSumExp = logSumExp
    self.entropy = entropy
    self.collision = collision
    self.sumSquaredPLogP = sumSquaredPLogP
    self.chosenLogProb = chosenLogProb
    self.chosenProb = chosenProb
    self.normFactor = normFactor
    self.isFinite = isFinite
  }

  /// The first-order entropy change of the sampled logit step `Δz = ηAβ(e_c − p)` per unit
  /// `ηA`: `−β² (Cov_p(log p, e_c) − Cov_p(log p, p))
  /// = −β² (p_c (log p_c + H) − Σ p_i² log p_i − H C)` (seeds 002-004).
  @inlinable
  public func entropyChangePerUnitStep(inverseTemperature beta: Double) -> Double {
    -beta * beta * (chosenProb * (chosenLogProb + entropy) - sumSquaredPLogP - entropy * collision)
  }
}
