import RealModule

/// Log-sum-exp with temperature, `lse(z/τ) = log Σ_i e^{z_i/τ} = m/τ + log Σ_i e^{(z_i − m)/τ}`,
/// `m = max_i z_i`. Shift-stable; `log1p` of the non-maximal terms keeps it accurate when one
/// logit dominates. Its gradient with respect to `z/τ` is `softmax(z/τ)`.
///
/// Accuracy: relative error a few ulps of `max(|m/τ|, log s)`; the result itself can be
/// small by cancellation when `m/τ ≈ −log s`.
/// - Complexity: O(K).
@inlinable
public func logSumExp<T: SoftmaxScalar>(_ logits: [T], temperature: T = 1) -> T where T: Sendable {
  SoftmaxDistribution(logits: logits, temperature: temperature).logSumExp
}

/// The softmax `p_i = e^{z_i/τ − lse(z/τ)}`, computed as `e^{(z_i − m)/τ} / Σ_j e^{(z_j − m)/τ}`.
///
/// Each `p_i` has relative error a few ulps (times `|z_i − m|/τ` ulps of `exp`'s argument).
/// - Complexity: O(K).
@inlinable
public func softmax<T: SoftmaxScalar>(_ logits: [T], temperature: T = 1) -> [T] where T: Sendable {
  SoftmaxDistribution(logits: logits, temperature: temperature).probabilities
}

/// Log-softmax `log p_i = (z_i − m)/τ − log Σ_j e^{(z_j − m)/τ}`; finite wherever `z_i` is,
/// even when `p_i` underflows to 0. Never computed as `log(softmax)`.
/// - Complexity: O(K).
@inlinable
public func logSoftmax<T: SoftmaxScalar>(_ logits: [T], temperature: T = 1) -> [T] where T: Sendable {
  SoftmaxDistribution(logits: logits, temperature: temperature).logProbabilities
}

/// Shannon entropy of `softmax(z/τ)` in nats: `H = log s − Σ_i p_i (z_i − m)/τ`, a sum of
/// non-negative terms, so it is accurate to a few ulps relative even near `H = 0`.
/// - Complexity: O(K).
@inlinable
public func entropy<T: SoftmaxScalar>(logits: [T], temperature: T = 1) -> T where T: Sendable {
  SoftmaxDistribution(logits: logits, temperature: temperature).entropy
}

/// Shannon entropy `H(p) = −Σ p_i log p_i` of a probability vector (terms with `p_i = 0`
/// contribute 0). Prefer ``entropy(logits:temperature:)`` when logits are available: from
/// probabilities the relative accuracy of a tiny entropy is limited by that of `p`.
/// - Complexity: O(K).
@inlinable
public func entropy<T: SoftmaxScalar>(probabilities p: [T]) -> T where T: Sendable {
  var acc = CompensatedSum<T>()
  for pi in p where pi > 0 { acc.add(-pi * T.log(pi)) }
  return acc.value
}

/// Collision probability `C(p) = Σ_i p_i²` of `softmax(z/τ)`: the chance that two
/// independent draws agree; `1/K ≤ C ≤ 1`, `C = e^{−H₂}`.
/// - Complexity: O(K).
@inlinable
public func collisionProbability<T: SoftmaxScalar>(logits: [T], temperature: T = 1) -> T
where T: Sendable {
  SoftmaxDistribution(logits: logits, temperature: temperature).collisionProbability
}

/// Rényi entropy of order 2, `H₂ = −log Σ_i p_i²`, of `softmax(z/τ)`.
/// - Complexity: O(K).
@inlinable
public func renyi2Entropy<T: SoftmaxScalar>(logits: [T], temperature: T = 1) -> T where T: Sendable {
  SoftmaxDistribution(logits: logits, temperature: temperature).renyi2Entropy
}

/// Kullback–Leibler divergence `KL(p ‖ q) = Σ_i p_i (log p_i − log q_i)` between
/// `p = softmax(z/τ)` and `q = softmax(w/τ)`.
///
/// Evaluated from the logit differences: with `δ_i = β(w_i − z_i) − E_p[β(w − z)]`,
/// `KL = log E_p[e^{δ}] = log1p(Σ_i p_i (e^{δ_i} − 1 − δ_i))`, a sum of non-negative terms
/// (`e^δ − 1 − δ` by its Taylor series for small `|δ|`). So KL keeps full relative accuracy
/// even when `p ≈ q`, where `Σ p (log p − log q)` cancels to noise. `+∞` when some
/// `p_i > 0` has `q_i = 0` (`w_i = −∞`).
/// - Complexity: O(K).
@inlinable
public func klDivergence<T: SoftmaxScalar>(logits z: [T], from w: [T], temperature: T = 1) -> T
where T: Sendable {
  precondition(z.count == w.count, "KL between \(z.count) and \(w.count) logits")
  let p = SoftmaxDistribution(logits: z, temperature: temperature)
  let q = SoftmaxDistribution(logits: w, temperature: temperature)
  return p.klDivergence(from: q)
}

extension SoftmaxDistribution {
  /// `KL(self ‖ q)`; see ``klDivergence(logits:from:temperature:)``.
  ///
  /// - Precondition: both policies have the same number of actions and temperature.
  @inlinable
  public func klDivergence(from q: SoftmaxDistribution<T>) -> T {
    precondition(q.count == count, "KL between \(count) and \(q.count) actions")
    precondition(q.inverseTemperature == inverseTemperature, "KL between policies at different temperatures")
    // Every action with a finite logit has p_i > 0 mathematically, even where p_i
    // underflows; such terms are carried in log space (log p_i stays finite).
    var meanD = CompensatedSum<T>()
    for i in 0..<count where logits[i].isFinite {
      if q.logits[i] == -.infinity { return .infinity }
      meanD.add(probabilities[i] * inverseTemperature * (q.logits[i] - logits[i]))
    }
    let mean = meanD.value
    // Far tails (p_i e^{δ_i} beyond the float range): the log-sum-exp form is safe and, the
    // divergence then being large, accurate.
    var largest = -T.infinity
    for i in 0..<count where logits[i].isFinite {
      largest = Swift.max(largest, logProbabilities[i] + inverseTemperature * (q.logits[i] - logits[i]) - mean)
    }
    if largest > 600 {
      var terms = CompensatedSum<T>()
      for i in 0..<count where logits[i].isFinite {
        terms.add(T.exp(logProbabilities[i] + inverseTemperature * (q.logits[i] - logits[i]) - mean - largest))
      }
      return largest + T.log(terms.value)
    }
    let normalFloor = T.leastNormalMagnitude * 0x1p64
    var acc = CompensatedSum<T>()
    for i in 0..<count where logits[i].isFinite {
      let delta = inverseTemperature * (q.logits[i] - logits[i]) - mean
      let p = probabilities[i]
      if p >= normalFloor {
        acc.add(p * _expm1MinusIdentity(delta))
      } else if delta != 0 {
        // p_i tiny or underflowed: p_i (e^δ − 1 − δ) = exp(log p_i + log(e^δ − 1 − δ)), which
        // stays non-negative and may still matter when δ is large.
        let logPhi = delta > 30
          ? delta + T.log(onePlus: -(1 + delta) * T.exp(-delta))
          : T.log(_expm1MinusIdentity(delta))
        acc.add(T.exp(logProbabilities[i] + logPhi))
      }
    }
    return T.log(onePlus: acc.value)
  }
}

/// `e^δ − 1 − δ ≥ 0` without cancellation: its Taylor series `δ²/2! + δ³/3! + …` (to 16
/// terms) for `|δ| < 1/4`, `expm1(δ) − δ` (cancellation at most 8 ulps) otherwise.
@inlinable
internal func _expm1MinusIdentity<T: SoftmaxScalar>(_ delta: T) -> T {
  if abs(delta) < 0.25 {
    var term: T = delta * delta / 2
    var sum: T = term
    var n: T = 3
    while n <= 17 {
      term *= delta / n
      sum += term
      n += 1
    }
    return sum
  }
  return T.expMinusOne(delta) - delta
}
