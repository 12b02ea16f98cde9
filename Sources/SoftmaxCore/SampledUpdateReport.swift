import RealModule

/// Everything seed 002 and seeds 003/004 predict about one sampled policy-gradient step on
/// the logits, next to what the step measurably did.
///
/// For `p = softmax(βz)`, chosen action `c`, advantage `A` and step size `η`:
/// `Δz = ηAβ(e_c − p)`; measured `‖Δz‖₂` next to the closed form `η|A|β√(1 − 2p_c + C(p))`;
/// the zero-sum residual `Σ Δz`; the first-order entropy change `−β Cov_p(log p, Δz)` next
/// to the exact change `H(z + Δz) − H(z)`.
public struct SampledUpdateReport<T: SoftmaxScalar>: Sendable where T: Sendable {
  /// The policy before the step.
  public let policy: SoftmaxDistribution<T>
  /// The chosen action `c`.
  public let action: Int
  /// The advantage `A`.
  public let advantage: T
  /// The step size `η`.
  public let learningRate: T
  /// `Δz = ηAβ(e_c − p)`.
  public let deltaZ: [T]
  /// `‖Δz‖₂` measured on the vector.
  public let updateNorm: T
  /// `η|A|β√(1 − 2p_c + C(p))`.
  public let updateNormClosedForm: T
  /// `Σ_j Δz_j` (0 in exact arithmetic).
  public let zeroSumResidual: T
  /// `−β Cov_p(log p, Δz)`.
  public let entropyChangePredicted: T
  /// `H(z + Δz) − H(z)`.
  public let entropyChangeActual: T

  /// Performs the step and measures it.
  ///
  /// - Precondition: `action` is a valid index of `policy`.
  @inlinable
  public init(policy: SoftmaxDistribution<T>, action: Int, advantage: T, learningRate: T) {
    self.policy = policy
    self.action = action
    self.advantage = advantage
    self.learningRate = learningRate
    let dz = policy.sampledUpdate(action: action, advantage: advantage, learningRate: learningRate)
    deltaZ = dz
    updateNorm = euclideanNorm(dz)
    updateNormClosedForm = policy.updateNormClosedForm(
      action: action, advantage: advantage, learningRate: learningRate)
    zeroSumResidual = SoftmaxCore.zeroSumResidual(dz)
    entropyChangePredicted = policy.entropyChangeFirstOrder(dz)
    entropyChangeActual = policy.entropyChangeExact(dz)
  }

  /// The chosen-action factor `Δz_c / (ηAβ) = 1 − p_c` (seed 002, Table 1).
  @inlinable
  public var chosenActionFactor: T {
    deltaZ[action] / (learningRate * advantage * policy.inverseTemperature)
  }
}
