import ArgumentParser
import Foundation
import LogitDynamics
import OutputFormats

/// `logitdyn update`: one sampled policy-gradient step on the logits, predicted and measured.
struct UpdateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "update",
    abstract: "One sampled policy-gradient step Δz = ηAβ(e_c − p): its norm, zero sum and entropy change.",
    discussion: """
      Prints Δz, the measured norm ‖Δz‖ next to the closed form η|A|β√(1 − 2p_c + C(p)) \
      (seed 002), the zero-sum residual Σ Δz, and the first-order entropy change \
      −β Cov_p(log p, Δz) (seeds 003/004) next to the exact change H(z+Δz) − H(z). \
      β = 1/τ. JSON keys: probabilities, log_probabilities, entropy, collision, delta_z, \
      update_norm, update_norm_closed_form, zero_sum_residual, dH_predicted, dH_actual, and \
      action, advantage, lr, temperature, chosen_probability, chosen_action_factor.

      Example: logitdyn update --logits 2,1,0.5,-1 --action 2 --advantage 1.5 --lr 0.1
      """)

  @OptionGroup var input: LogitInputOptions

  @Option(parsing: .unconditional, help: "The sampled action c (0-based index).")
  var action: Int

  @Option(parsing: .unconditional, help: "The advantage A (any finite number).")
  var advantage: Double

  @Option(name: .customLong("lr"), parsing: .unconditional, help: "The step size η ≥ 0.")
  var learningRate: Double

  @Flag(help: "Print JSON instead of a table.")
  var json = false

  @Option(help: "Rows shown in the table (most probable first, plus the chosen action); 0 shows all.")
  var top: Int = 20

  func run() throws {
    guard top >= 0 else { throw CLIError("--top must be 0 or more, got \(top)") }
    let (logits, temperature) = try input.load()
    guard advantage.isFinite else { throw CLIError("--advantage must be a finite number, got \(advantage)") }
    guard learningRate.isFinite, learningRate >= 0 else {
      throw CLIError("--lr must be a finite number ≥ 0, got \(learningRate)")
    }
    try validateAction(action, count: logits.count)
    let policy = SoftmaxDistribution(logits: logits, temperature: temperature)
    let report = SampledUpdateReport(
      policy: policy, action: action, advantage: advantage, learningRate: learningRate)
    let after = policy.updated(by: report.deltaZ)
    guard after.entropy.isFinite, report.deltaZ.allSatisfy(\.isFinite) else {
      throw CLIError("the update overflows: η·A = \(learningRate * advantage) is too large for these logits")
    }
    if json {
      print(Self.json(report).rendered())
    } else {
      print(Self.summary(report))
      print()
      print(ActionTable.render(policy: policy, extra: ("Δz", report.deltaZ), top: top, mark: action))
    }
  }

  static func json(_ r: SampledUpdateReport<Double>) -> JSONValue { r.document }

  static func summary(_ r: SampledUpdateReport<Double>) -> String {
    let p = r.policy
    let c = r.action
    let relErr = r.updateNormClosedForm > 0
      ? abs(r.updateNorm - r.updateNormClosedForm) / r.updateNormClosedForm : 0
    return """
      step                 Δz = η·A·β·(e_c − p)   η = \(formatNumber(r.learningRate))  A = \(formatNumber(r.advantage))  c = \(c)  τ = \(formatNumber(1 / p.inverseTemperature))
      p_c                  \(formatNumber(p.probabilities[c], digits: 10))   1 − p_c = \(formatNumber(p.complementProbability(of: c), digits: 10))
      entropy H            \(formatNumber(p.entropy, digits: 10)) nats
      collision C(p)       \(formatNumber(p.collisionProbability, digits: 10))
      ‖Δz‖ measured        \(formatNumber(r.updateNorm, digits: 12))
      ‖Δz‖ closed form     \(formatNumber(r.updateNormClosedForm, digits: 12))   η|A|β√(1 − 2p_c + C(p)); rel. diff \(formatNumber(relErr, digits: 2))
      zero-sum residual    \(formatNumber(r.zeroSumResidual, digits: 3))   Σ Δz
      ΔH predicted         \(formatNumber(r.entropyChangePredicted, digits: 10))   −β Cov_p(log p, Δz)
      ΔH actual            \(formatNumber(r.entropyChangeActual, digits: 10))   H(z + Δz) − H(z)
      """
  }
}
