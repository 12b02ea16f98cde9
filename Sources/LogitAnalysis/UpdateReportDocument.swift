import OutputFormats
import SoftmaxCore

extension SampledUpdateReport where T == Double {
  /// The report as the JSON document of `logitdyn update --json` (and the Python binding's
  /// `update_report`): the policy `p = softmax(βz)` (probabilities, log-probabilities, entropy
  /// `H`, collision `C = Σp²`), the step `Δz = ηAβ(e_c − p)`, its norm next to the closed form
  /// `η|A|β√(1 − 2p_c + C)`, the zero-sum residual `Σ Δz`, and the entropy change predicted
  /// to first order, `−β Cov_p(log p, Δz)`, next to the exact `H(z + Δz) − H(z)`.
  public var document: JSONValue {
    let p = policy
    return .object([
      ("action", .integer(action)),
      ("advantage", .number(advantage)),
      ("lr", .number(learningRate)),
      ("temperature", .number(1 / p.inverseTemperature)),
      ("probabilities", .numbers(p.probabilities)),
      ("log_probabilities", .numbers(p.logProbabilities)),
      ("entropy", .number(p.entropy)),
      ("collision", .number(p.collisionProbability)),
      ("chosen_probability", .number(p.probabilities[action])),
      ("chosen_action_factor", .number(p.complementProbability(of: action))),
      ("delta_z", .numbers(deltaZ)),
      ("update_norm", .number(updateNorm)),
      ("update_norm_closed_form", .number(updateNormClosedForm)),
      ("zero_sum_residual", .number(zeroSumResidual)),
      ("dH_predicted", .number(entropyChangePredicted)),
      ("dH_actual", .number(entropyChangeActual)),
    ])
  }
}
