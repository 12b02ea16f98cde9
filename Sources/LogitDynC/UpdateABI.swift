import LogitAnalysis
import OutputFormats
import SoftmaxCore

/// `ld_update_report`: one sampled policy-gradient step on `n` free logits, as
/// `logitdyn update --json`: `Δz = ηAβ(e_c − p)` with `p = softmax(βz)`, `β = 1/τ`; its norm
/// next to the closed form `η|A|β√(1 − 2p_c + C(p))` (seed 002), the zero-sum residual
/// `Σ Δz`, and the first-order entropy change `−β Cov_p(log p, Δz)` (seeds 003/004) next to the
/// exact `H(z + Δz) − H(z)`. The JSON object goes to `*json_out` (free with `ld_free`).
@_cdecl("ld_update_report")
public func ld_update_report(
  _ logits: UnsafePointer<Double>?, _ count: Int64, _ action: Int64, _ advantage: Double, _ learningRate: Double,
  _ temperature: Double, _ jsonOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
  _ error: UnsafeMutablePointer<CChar>?, _ errorCapacity: Int64
) -> Int32 {
  guarded(error, errorCapacity) {
    guard jsonOut != nil else { throw ABIError("json_out is NULL") }
    let (_, _, n) = try checkedShape(1, count, "the logits")
    let z = try requiredDoubles(logits, n, "logits")
    try validateLogits(z)
    try validateTemperature(temperature)
    guard action >= 0, action < count else { throw ABIError("action \(action) is outside 0..<\(count)") }
    guard advantage.isFinite else { throw ABIError("advantage must be a finite number, got \(advantage)") }
    guard learningRate.isFinite, learningRate >= 0 else { throw ABIError("lr must be a finite number ≥ 0, got \(learningRate)") }
    let policy = SoftmaxDistribution(logits: z, temperature: temperature)
    let report = SampledUpdateReport(policy: policy, action: Int(action), advantage: advantage, learningRate: learningRate)
    let after = policy.updated(by: report.deltaZ)
    guard after.entropy.isFinite, report.deltaZ.allSatisfy(\.isFinite) else {
      throw ABIError("the update overflows: η·A = \(learningRate * advantage) is too large for these logits")
    }
    try emit(report.document, to: jsonOut)
  }
}
