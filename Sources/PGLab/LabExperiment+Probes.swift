import RealModule
import SoftmaxCore

extension LabExperiment {
  /// The probes of a step at its first context `x₀` (indexed by `Probe.rawValue`), from the
  /// distribution before the step, the measured logit change `Δz` there, the logit-space
  /// prediction, the samples and the mean reward.
  func probeValues(
    before: SoftmaxDistribution<Double>, probe: Context, delta: [Double], predicted: [Double], samples: [Sample], meanReward: Double, rate: Double
  ) -> [Double] {
    let k = delta.count
    let norm = euclideanNorm(delta)
    var values = [Double](repeating: .nan, count: Probe.allCases.count)
    values[Probe.reward.rawValue] = meanReward
    values[Probe.regret.rawValue] = probe.meanRewards.max()! - before.expectation(probe.meanRewards)
    values[Probe.entropy.rawValue] = before.entropy
    values[Probe.collision.rawValue] = before.collisionProbability
    values[Probe.updateNorm.rawValue] = norm
    if let first = samples.first {
      values[Probe.chosenProbability.rawValue] = before.probabilities[first.action]
      if samples.count == 1, surrogate == .policyGradient {
        let closed = before.updateNormClosedForm(action: first.action, advantage: first.advantage, learningRate: rate)
        values[Probe.updateNormClosedForm.rawValue] = closed
        values[Probe.normRelativeError.rawValue] = closed > 0 ? abs(norm - closed) / closed : abs(norm - closed)
      }
    }
    if estimator != .natural { values[Probe.zeroSum.rawValue] = zeroSumResidual(delta) }
    values[Probe.entropyChangePredicted.rawValue] = before.entropyChangeFirstOrder(delta)
    values[Probe.entropyChangeActual.rawValue] = before.entropyChangeExact(delta)
    // The J Jᵀ / optimiser effect (ratio 1 and cosine 1 for tabular SGD).
    let predictedNorm = euclideanNorm(predicted)
    values[Probe.logitSpaceNorm.rawValue] = predictedNorm
    if predictedNorm > 0 {
      values[Probe.jacobianRatio.rawValue] = norm / predictedNorm
      var dot = 0.0
      for j in 0..<k { dot += delta[j] * predicted[j] }
      values[Probe.jacobianCosine.rawValue] = norm > 0 ? dot / (norm * predictedNorm) : .nan
    }
    return values
  }
}
