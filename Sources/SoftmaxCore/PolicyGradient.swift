import RealModule

extension SoftmaxDistribution {
  /// The score on logits, `∂ log p_c / ∂ z_j = β (δ_cj − p_j)`; `e_c − p` at `τ = 1`.
  ///
  /// The chosen entry is `β (1 − p_c)` with `1 − p_c` from ``complementProbability(of:)``.
  /// - Complexity: O(K).
  @inlinable
  public func score(action c: Int) -> [T] {
    let complement = complementProbability(of: c)
    var g = probabilities.map { -inverseTemperature * $0 }
    g[c] = inverseTemperature * complement
    return g
  }

  /// One sampled policy-gradient step on the logits (seed 002, eq. 6–7):
  /// `Δz = η A β (e_c − p)`, i.e. `Δz_c = η A β (1 − p_c)`, `Δz_o = −η A β p_o`.
  /// The entries sum to zero; see ``updateNormClosedForm(action:advantage:learningRate:)``.
  /// - Complexity: O(K).
  @inlinable
  public func sampledUpdate(action c: Int, advantage: T, learningRate eta: T) -> [T] {
    let scale = eta * advantage
    return score(action: c).map { scale * $0 }
  }

  /// The exact expected policy-gradient step on a bandit with known rewards `r`:
  /// `Δz_j = η ∂J/∂z_j = η β p_j (r_j − Σ_a p_a r_a)` for `J = Σ_a p_a r_a`.
  /// - Complexity: O(K).
  @inlinable
  public func expectedUpdate(rewards r: [T], learningRate eta: T) -> [T] {
    let baseline = expectation(r)
    return (0..<count).map { j in eta * inverseTemperature * probabilities[j] * (r[j] - baseline) }
  }

  /// The natural policy-gradient step for a tabular softmax policy:
  /// `Δz_j = (η/β) (r_j − Σ_a p_a r_a)`, a solution of `F Δz = η ∇J` with Fisher matrix
  /// `F = β² (diag p − p pᵀ)`. `F` is singular along `1`, so solutions differ by constant
  /// shifts, which leave the policy unchanged; this is the standard choice, `Δz = ηA` at
  /// `τ = 1` (Kakade 2001; Agarwal et al. 2021).
  /// - Complexity: O(K).
  @inlinable
  public func naturalUpdate(rewards r: [T], learningRate eta: T) -> [T] {
    let baseline = expectation(r)
    return r.map { eta / inverseTemperature * ($0 - baseline) }
  }

  /// The factor `√(1 − 2p_c + C(p))` of the update norm (seed 002, eq. 10), evaluated as
  /// `√((1 − p_c)² + Σ_{i≠c} p_i²)`: the same number, but a sum of squares of accurately
  /// known terms, so it keeps full relative accuracy as `p_c → 1` where the textbook form
  /// cancels. Lies in `[0, √2)`.
  /// - Complexity: O(K).
  @inlinable
  public func updateNormFactor(action c: Int) -> T {
    let complement = complementProbability(of: c)
    // Scale by the largest term so that squares of tiny probabilities cannot underflow.
    var scale = complement
    for i in 0..<count where i != c { scale = Swift.max(scale, probabilities[i]) }
    guard scale > 0 else { return 0 }
    let a = complement / scale
    var others = CompensatedSum<T>()
    for i in 0..<count where i != c {
      let q = probabilities[i] / scale
      others.add(q * q)
    }
    return scale * (a * a + others.value).squareRoot()
  }

  /// The closed-form norm of the sampled update, `‖Δz‖₂ = η |A| β √(1 − 2p_c + C(p))`.
  /// - Complexity: O(K).
  @inlinable
  public func updateNormClosedForm(action c: Int, advantage: T, learningRate eta: T) -> T {
    abs(eta * advantage) * inverseTemperature * updateNormFactor(action: c)
  }

  /// The softmax Jacobian–vector product `J v` with `J = ∂p/∂z = β (diag p − p pᵀ)`:
  /// `(J v)_i = β p_i (v_i − Σ_j p_j v_j)`. `J` is symmetric, so this is also `vᵀ J`.
  /// Never forms the K×K matrix.
  /// - Complexity: O(K).
  @inlinable
  public func jacobianVectorProduct(_ v: [T]) -> [T] {
    let mean = expectation(v)
    return (0..<count).map { i in inverseTemperature * probabilities[i] * (v[i] - mean) }
  }
}

/// The Euclidean norm `‖v‖₂ = √(Σ v_i²)`, computed with scaling by `max |v_i|` so that
/// neither overflow nor underflow occurs for any finite input.
/// - Complexity: O(K).
@inlinable
public func euclideanNorm<T: SoftmaxScalar>(_ v: [T]) -> T where T: Sendable {
  var scale: T = 0
  for x in v { scale = Swift.max(scale, abs(x)) }
  guard scale > 0, scale.isFinite else { return scale }
  var acc = CompensatedSum<T>()
  for x in v {
    let y = x / scale
    acc.add(y * y)
  }
  return scale * acc.value.squareRoot()
}

/// The zero-sum residual `Σ_j Δz_j` of a logit update (plain left-to-right sum, so that it
/// reports what the update's rounding actually left). Exactly 0 in exact arithmetic for
/// every softmax policy-gradient update; of order `ε · Σ|Δz_j|` in floating point.
/// - Complexity: O(K).
@inlinable
public func zeroSumResidual<T: SoftmaxScalar>(_ delta: [T]) -> T where T: Sendable {
  var s: T = 0
  for d in delta { s += d }
  return s
}
