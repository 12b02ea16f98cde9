import PolicyLosses
import RealModule
import SoftmaxCore

extension LabExperiment {
  /// The batch-mean logit gradient `v` of the sampled surrogates, context by context
  /// (`v[c·K + j]` for every context of `rows`, overwritten):
  /// - policy gradient: `v_c = (1/B) Σ_{b at c} A_b (e_{a_b} − p_c)`, `1 − p_a` as the sum of
  ///   the other probabilities (stable near `p_a = 1`);
  /// - PPO-clip: the same with weight `r A` (`r = π/π_old`), 0 where the clip is active
  ///   (`A > 0, r > 1 + ε_high` or `A < 0, r < 1 − ε_low`);
  /// - a token loss: `v = −∂loss/∂z` of the samples as one-token responses (with the KL
  ///   reference at the run's initial parameters, and the adaptive entropy coefficient).
  func sampledLogitGradient(
    _ samples: [Sample], _ rows: RowSoftmax, _ run: Run, into v: UnsafeMutablePointer<Double>
  ) throws(LossError) {
    let k = rows.actions
    v.update(repeating: 0, count: rows.rows * k)
    if case .tokenLoss(var loss, _) = surrogate {
      if let adaptive = run.adaptiveEntropy { loss.entropyCoefficient += adaptive.coefficient(meanEntropy: rows.meanEntropy(samples)) }
      let n = samples.count
      var batch = try TokenBatch(
        rows: n, columns: 1, logits: samples.flatMap { rows.logits[($0.context * k)..<(($0.context + 1) * k)] }, vocabulary: k,
        labels: samples.map(\.action), oldLogProb: samples.map(\.oldLogProbability),
        advantages: samples.map(\.advantage), mask: [Double](repeating: 1, count: n))
      if loss.klPenalty != nil {
        batch.refLogProb = samples.map { s in
          SoftmaxDistribution<Double>(logits: policy.logits(run.reference, run.contextBatch.context(s.context))).logProbabilities[s.action]
        }
      }
      let result = try loss.evaluate(batch)
      let g = result.gradLogits ?? []
      for (b, s) in samples.enumerated() {
        for j in 0..<k { v[s.context * k + j] -= g[b * k + j] }
      }
    } else {
      let scale = 1 / Double(samples.count)
      rows.probabilities.withUnsafeBufferPointer { pb in
        let p = pb.baseAddress!
        for s in samples {
          let row = s.context * k
          var weight = s.advantage
          if case .ppoClip(_, let low, let high) = surrogate {
            let ratio = Double.exp(rows.logProbabilities[row + s.action] - s.oldLogProbability)
            weight = PPOClip.isClipped(ratio: ratio, advantage: s.advantage, low: low, high: high) ? 0 : ratio * s.advantage
          }
          let w = scale * weight
          var complement = 0.0
          for j in 0..<k where j != s.action {
            v[row + j] -= w * p[row + j]
            complement += p[row + j]
          }
          v[row + s.action] += w * complement
        }
      }
    }
  }
}
