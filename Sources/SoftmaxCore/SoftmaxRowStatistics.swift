import RealModule

/// What a loss needs of one row of logits, computed without allocating: the same arithmetic,
/// in the same order, as ``SoftmaxDistribution`` (so every value is bit-identical to
/// `SoftmaxDistribution(logits:inverseTemperature:)` and its
/// ``SoftmaxDistribution/updateNormFactor(action:)``), written into caller-owned rows.
///
/// With `m = max z`, `u_i = β(z_i − m)`, `t = Σ_{i≠argmax} e^{u_i}` (compensated) and
/// `log s = log1p(t)`: `log p_i = u_i − log s`, `p_i = e^{u_i}/(1 + t)`,
/// `H = log s + Σ p_i(−u_i)`, `C = Σ p_i²`, and the update-norm factor
/// `√((1 − p_c)² + Σ_{i≠c} p_i²)` (scaled by its largest term).
public enum SoftmaxRowStatistics {
  /// The statistics of a row with action `label`.
  public struct Values: Sendable {
    /// `log p_label`, `H(p)`, `C(p) = Σ p²` and `√(1 − 2p_label + C(p))`.
    public var logProb: Double, entropy: Double, collision: Double, updateNormFactor: Double
    /// The four values.
    @inlinable
    public init(logProb: Double, entropy: Double, collision: Double, updateNormFactor: Double) {
      self.logProb = logProb
      self.entropy = entropy
      self.collision = collision
      self.updateNormFactor = updateNormFactor
    }
  }

  /// Fills `probabilities` and `logProbabilities` (`count` values each) with `softmax(βz)`
  /// and `log softmax(βz)` of the `count` logits at `z`, and returns the row's statistics
  /// for action `label` (`0 ≤ label < count`). The logits must be finite or `−∞`, at least
  /// one finite.
  @inlinable
  public static func compute(
    _ z: UnsafePointer<Double>, count k: Int, inverseTemperature beta: Double, label c: Int,
    probabilities p: UnsafeMutablePointer<Double>, logProbabilities logp: UnsafeMutablePointer<Double>
  ) -> Values {
    var m = z[0]
    var arg = 0
    for i in 1..<max(1, k) where z[i] > m {
      m = z[i]
      arg = i
    }
    // logp holds the shifted logits u_i and p their exponentials until log s is known.
    var tail = CompensatedSum<Double>()
    for i in 0..<k {
      let u = beta * (z[i] - m)
      logp[i] = u
      let e = Double.exp(u)
      p[i] = e
      if i != arg { tail.add(e) }
    }
    let t = tail.value
    let logS = Double.log(onePlus: t)
    let s = 1 + t
    var negCross = CompensatedSum<Double>()
    var collision = CompensatedSum<Double>()
    for i in 0..<k {
      let u = logp[i]
      logp[i] = u - logS
      let pi = p[i] / s
      p[i] = pi
      if pi > 0 {
        negCross.add(pi * -u)
        collision.add(pi * pi)
      }
    }
    // The update-norm factor, as SoftmaxDistribution.updateNormFactor(action:).
    var complementSum = CompensatedSum<Double>()
    for i in 0..<k where i != c { complementSum.add(p[i]) }
    let complement = complementSum.value
    var scale = complement
    for i in 0..<k where i != c { scale = Swift.max(scale, p[i]) }
    var factor = 0.0
    if scale > 0 {
      let a = complement / scale
      var others = CompensatedSum<Double>()
      for i in 0..<k where i != c {
        let q = p[i] / scale
        others.add(q * q)
      }
      factor = scale * (a * a + others.value).squareRoot()
    }
    return Values(logProb: logp[c], entropy: logS + negCross.value, collision: collision.value, updateNormFactor: factor)
  }
}
