import RealModule

extension SoftmaxDistribution {
  /// The entropy gradient `∂H/∂z_j = −β p_j (log p_j + H)` (seeds 003/004).
  /// - Complexity: O(K).
  @inlinable
  public func entropyGradient() -> [T] {
    (0..<count).map { j in
      probabilities[j] > 0 ? -inverseTemperature * probabilities[j] * (logProbabilities[j] + entropy) : 0
    }
  }

  /// The first-order entropy change under a logit change `Δz` (seeds 003/004):
  /// `ΔH ≈ −β Cov_{a∼p}(log p_a, Δz_a) = −β Σ_a p_a (log p_a + H)(Δz_a − Σ_b p_b Δz_b)`.
  ///
  /// Evaluated in the centred form. Accuracy: absolute error a few ulps of
  /// ``entropyChangeConditionScale(_:)``; the covariance itself may be small by cancellation.
  /// - Complexity: O(K).
  @inlinable
  public func entropyChangeFirstOrder(_ delta: [T]) -> T {
    precondition(delta.count == count, "logit change of length \(delta.count) for \(count) actions")
    let mean = expectation(delta)
    var acc = CompensatedSum<T>()
    for a in 0..<count where probabilities[a] > 0 {
      acc.add(probabilities[a] * (logProbabilities[a] + entropy) * (delta[a] - mean))
    }
    return -inverseTemperature * acc.value
  }

  /// `β Σ_a p_a |log p_a + H| |Δz_a − Σ_b p_b Δz_b|`: the scale against which the rounding
  /// error of ``entropyChangeFirstOrder(_:)`` is measured.
  @inlinable
  public func entropyChangeConditionScale(_ delta: [T]) -> T {
    let mean = expectation(delta)
    var acc = CompensatedSum<T>()
    for a in 0..<count where probabilities[a] > 0 {
      acc.add(probabilities[a] * abs(logProbabilities[a] + entropy) * abs(delta[a] - mean))
    }
    return inverseTemperature * acc.value
  }

  /// The exact entropy change `H(softmax(β(z + Δz))) − H(softmax(βz))`, by recomputing the
  /// entropy after the update. Absolute error a few ulps of `H(z) + H(z + Δz)`.
  /// - Complexity: O(K).
  @inlinable
  public func entropyChangeExact(_ delta: [T]) -> T {
    updated(by: delta).entropy - entropy
  }

  /// The policy after the logit change: `softmax(β (z + Δz))` at the same temperature.
  @inlinable
  public func updated(by delta: [T]) -> SoftmaxDistribution<T> {
    precondition(delta.count == count, "logit change of length \(delta.count) for \(count) actions")
    return SoftmaxDistribution(
      logits: (0..<count).map { logits[$0] + delta[$0] }, inverseTemperature: inverseTemperature)
  }
}
