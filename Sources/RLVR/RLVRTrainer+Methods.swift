import PolicyLosses
import SeededRandom

extension RLVRTrainer {
  /// AEPO's extra rollout (``AEPOSampling``): samples the first quarter of the prompts again
  /// at the switched temperature, and puts its positive responses (advantage 1) in place of
  /// the batch's first rows. Returns how many rows were replaced.
  func aepoInjection(_ aepo: AEPOSampling, policy: SequencePolicy, engine: PolicyEngine, batch: inout RolloutBatch, advantages: inout [Double],
                     prompts: [Prompt], groups: [String], previous: Double, rng: inout Xoshiro256StarStar) -> Int {
    let hot = previous <= aepo.target
    let count = settings.promptsPerUpdate / 4 * settings.group
    guard count > 0, aepo.sampleCount > 0 else { return 0 }  // off: no extra rollout, the run is GRPO's
    let extra = engine.generate(policy, prompts: Array(prompts[0..<count]), temperature: hot ? aepo.highTemperature : aepo.lowTemperature, rng: &rng)
    let extraAdvantages = OutcomeAdvantages.grpo(scores: extra.correct.map { $0 ? 1.0 : 0.0 }, groups: Array(groups[0..<count]))
    let positive = (0..<count).filter { extraAdvantages[$0] > 0.05 }
    var k = min(aepo.sampleCount, positive.count)
    if !hot { k /= 2 }
    guard k > 0 else { return 0 }  // the official code fails here; an update without injection instead
    batch.replaceFirst(with: extra, rows: Array(positive.prefix(k)), temperature: settings.temperature)
    for s in 0..<k { advantages[s] = 1 }
    return k
  }

  /// The whole rollout as one token batch (its logits; advantages 0), for SIREN's anchor.
  func wholeBatch(_ batch: RolloutBatch) throws(LossError) -> TokenBatch {
    let rows = batch.sequences * batch.length
    return try TokenBatch(rows: batch.sequences, columns: batch.length, logits: batch.logits.map(Double.init), vocabulary: batch.vocabulary,
                          labels: batch.tokens, temperature: settings.temperature, oldLogProb: batch.logProbs,
                          advantages: [Double](repeating: 0, count: rows), mask: [Double](repeating: 1, count: rows))
  }

  /// Lp-Reg's min-p proxy of every token from the rollout policy's logits.
  func proxyLogProbs(_ batch: RolloutBatch, minP: Double) -> [Double] {
    let v = batch.vocabulary
    var row = [Double](repeating: 0, count: v)
    return (0..<(batch.sequences * batch.length)).map { i in
      for j in 0..<v { row[j] = Double(batch.logits[i * v + j]) }
      return row.withUnsafeBufferPointer {
        LowProbabilityRegularization.proxyLogProb($0, label: batch.tokens[i], minP: minP, temperature: settings.temperature)
      }
    }
  }
}
