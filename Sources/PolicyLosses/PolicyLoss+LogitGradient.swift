import SoftmaxCore

extension PolicyLoss {
  /// `∂loss/∂z` (`[B][L][V]`) when the batch has logits: `∂ℓ/∂z_j = (δ_jc − p_j)/T` times
  /// `∂loss/∂ℓ`, the entropy bonus's `∂H/∂z_j = −p_j(log p_j + H)/T`, SIREN's gradient, and the
  /// `(1 − p_c)` clamp ablation; nil without logits.
  func logitGradient(_ batch: TokenBatch, grad: [Double], weights: [Double], sirenGradient: [Double]?) throws(LossError) -> [Double]? {
    let n = batch.count
    // Through the logits: ∂ℓ/∂z_j = (δ_jc − p_j)/T, ∂H/∂z_j = −p_j(log p_j + H)/T.
    if let logits = batch.logits, let labels = batch.labels {
      if complementClamp, batch.vocabulary < 2 { throw LossError("complement_clamp needs at least 2 actions") }
      let v = batch.vocabulary, t = batch.temperature
      var g = [Double](repeating: 0, count: n * v)
      // The softmax of each position, as the batch computed it from its logits.
      let p = batch.softmaxProbabilities, logP = batch.softmaxLogProbabilities, h = batch.softmaxEntropies
      precondition(p.count == n * v && logP.count == n * v && h.count == n, "a token batch with logits but no softmax")
      for i in 0..<n where weights[i] != 0 || grad[i] != 0 {
        let c = labels[i], row = i * v
        // δ_jc − p_j, with 1 − p_c as the sum of the other probabilities (stable near p_c = 1),
        // compensated as SoftmaxDistribution.complementProbability(of:).
        var others = CompensatedSum<Double>()
        for j in 0..<v where j != c { others.add(p[row + j]) }
        let complement = others.value
        for j in 0..<v {
          var value = grad[i] * (j == c ? complement : -p[row + j]) / t
          if entropyCoefficient != 0, p[row + j] > 0 {
            value += entropyCoefficient * weights[i] * p[row + j] * (logP[row + j] + h[i]) / t
          }
          g[row + j] = value
        }
        if complementClamp {
          // (1 − p_c) → 1 in the chosen logit's factor.
          g[row + c] += grad[i] * p[row + c] / t
        }
      }
      _ = logits
      if let sirenGradient { for j in g.indices { g[j] += sirenGradient[j] } }
      return g
    } else if complementClamp {
      throw LossError("complement_clamp acts on the logit gradient and needs logits")
    }
    return nil
  }
}
