import RealModule

/// A softmax policy `p = softmax(β z)` built from logits `z` and inverse temperature
/// `β = 1/τ`, with the quantities every other formula needs computed once, stably.
///
/// Construction is shift-stable: with `m = max_i z_i` and `u_i = β (z_i − m) ≤ 0`,
/// `s = Σ_i e^{u_i} = 1 + t` where `t` sums every term but the (first) maximal one, so
/// `log s = log1p(t)` keeps full relative accuracy even when `p_max` is within 1e-12 of 1.
/// Then `lse(βz) = βm + log s`, `log p_i = u_i − log s` and `p_i = e^{u_i} / s`; no unshifted
/// logit is ever exponentiated.
///
/// Logits equal to `−∞` mark excluded actions (a masked vocabulary entry): their probability
/// is exactly 0, their log-probability `−∞`, and they contribute nothing to any sum
/// (`0 · log 0 = 0`). Logits must otherwise be finite, and at least one must be finite:
/// use ``validateLogits(_:)`` on untrusted input.
///
/// - Complexity: O(K) time and memory for K logits; every derived quantity is O(K).
public struct SoftmaxDistribution<T: SoftmaxScalar>: Sendable where T: Sendable {
  /// The logits `z` as given (before the inverse temperature is applied).
  public let logits: [T]
  /// The inverse temperature `β = 1/τ`.
  public let inverseTemperature: T
  /// `m = max_i z_i`.
  public let maxLogit: T
  /// The index of the first maximal logit.
  public let argmax: Int
  /// `log s = log Σ_i e^{β(z_i − m)}`, computed as `log1p` of the non-maximal terms.
  public let logPartition: T
  /// `log p_i = β(z_i − m) − log s` (log-softmax; never `log(softmax)`).
  public let logProbabilities: [T]
  /// `p_i = e^{β(z_i − m)} / s`.
  public let probabilities: [T]
  /// Shannon entropy `H(p) = −Σ p_i log p_i = log s − Σ_i p_i β(z_i − m)`, a sum of
  /// non-negative terms (no cancellation). In nats; range `[0, log K]`.
  public let entropy: T
  /// Collision probability `C(p) = Σ_i p_i²`, range `[1/K, 1]`.
  public let collisionProbability: T

  /// Builds `softmax(z / τ)`.
  ///
  /// - Parameters:
  ///   - logits: `z`, non-empty; finite or `−∞`, with at least one finite entry.
  ///   - temperature: `τ > 0`; `β = 1/τ`.
  /// - Precondition: `logits` is non-empty and `temperature > 0`.
  @inlinable
  public init(logits: [T], temperature: T = 1) {
    precondition(!logits.isEmpty, "softmax of an empty logit vector")
    precondition(temperature > 0 && temperature.isFinite, "temperature must be positive and finite")
    self.init(logits: logits, inverseTemperature: 1 / temperature)
  }

  /// Builds `softmax(β z)` from the inverse temperature `β > 0` directly.
  @inlinable
  public init(logits: [T], inverseTemperature beta: T) {
    precondition(!logits.isEmpty, "softmax of an empty logit vector")
    self.logits = logits
    self.inverseTemperature = beta
    var m = logits[0]
    var arg = 0
    for i in 1..<logits.count where logits[i] > m {
      m = logits[i]
      arg = i
    }
    maxLogit = m
    argmax = arg
    let k = logits.count
    // Shifted, scaled logits and their exponentials; the maximal one is exactly e⁰ = 1.
    var shifted = [T](repeating: 0, count: k)
    var expShifted = [T](repeating: 0, count: k)
    var tail = CompensatedSum<T>()
    for i in 0..<k {
      let u = beta * (logits[i] - m)
      shifted[i] = u
      let e = T.exp(u)
      expShifted[i] = e
      if i != arg { tail.add(e) }
    }
    let t = tail.value
    let logS = T.log(onePlus: t)
    let s = 1 + t
    logPartition = logS
    var logp = [T](repeating: 0, count: k)
    var p = [T](repeating: 0, count: k)
    var negCross = CompensatedSum<T>()  // Σ p_i · (−u_i) ≥ 0
    var collision = CompensatedSum<T>()
    for i in 0..<k {
      logp[i] = shifted[i] - logS
      let pi = expShifted[i] / s
      p[i] = pi
      if pi > 0 {
        negCross.add(pi * -shifted[i])
        collision.add(pi * pi)
      }
    }
    logProbabilities = logp
    probabilities = p
    entropy = logS + negCross.value
    collisionProbability = collision.value
  }

  /// The number of actions `K`.
  @inlinable public var count: Int { logits.count }

  /// `lse(βz) = log Σ_i e^{β z_i} = βm + log s`.
  @inlinable public var logSumExp: T { inverseTemperature * maxLogit + logPartition }

  /// Rényi entropy of order 2, `H₂(p) = −log C(p)`; `H₂ ≤ H`.
  @inlinable public var renyi2Entropy: T { -T.log(collisionProbability) }

  /// `1 − p_c`, computed as `Σ_{i≠c} p_i` so that it keeps full relative accuracy when
  /// `p_c` is within 1e-12 of 1 (where `1 − p_c` would lose every significant digit).
  @inlinable
  public func complementProbability(of c: Int) -> T {
    precondition(probabilities.indices.contains(c), "action \(c) is out of range 0..<\(count)")
    var acc = CompensatedSum<T>()
    for i in probabilities.indices where i != c { acc.add(probabilities[i]) }
    return acc.value
  }

  /// The expectation `Σ_i p_i v_i` of a vector under the policy (compensated).
  @inlinable
  public func expectation(_ v: [T]) -> T {
    precondition(v.count == count, "vector of length \(v.count) for \(count) actions")
    var acc = CompensatedSum<T>()
    for i in 0..<count where probabilities[i] > 0 { acc.add(probabilities[i] * v[i]) }
    return acc.value
  }
}
