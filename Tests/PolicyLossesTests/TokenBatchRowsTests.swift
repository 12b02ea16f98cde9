import PolicyLosses
import SeededRandom
import SoftmaxCore
import Testing

/// The token batch's per-row softmax statistics (computed in place) are
/// ``SoftmaxDistribution``'s, bit for bit, including extreme rows and `−∞` entries.
@Suite struct TokenBatchRowsTests {
  @Test(arguments: [1.0, 0.7, 2.5])
  func rowStatisticsAreSoftmaxDistributions(_ temperature: Double) throws {
    var rng = Xoshiro256StarStar(seed: 5, stream: 1)
    let v = 7, n = 12
    var logits = (0..<(n * v)).map { _ in rng.nextGaussian() * 3 }
    for j in 0..<v { logits[v + j] = j == 2 ? 1e4 : -1e4 }  // p ≈ 1 on one token
    logits[2 * v + 4] = -.infinity  // an excluded token
    logits[3 * v] = 40  // a near-deterministic row
    let labels = (0..<n).map { $0 % v }
    let batch = try TokenBatch(rows: 3, columns: 4, logits: logits, vocabulary: v, labels: labels, temperature: temperature,
                               oldLogProb: [Double](repeating: -1, count: n), advantages: [Double](repeating: 1, count: n), mask: [Double](repeating: 1, count: n))
    for i in 0..<n {
      let d = SoftmaxDistribution<Double>(logits: Array(logits[(i * v)..<((i + 1) * v)]), temperature: temperature)
      #expect(batch.logProb[i] == d.logProbabilities[labels[i]])
      #expect(batch.entropy![i] == d.entropy)
      #expect(batch.sumPiSquared![i] == d.collisionProbability)
      #expect(batch.updateNormFactor![i] == d.updateNormFactor(action: labels[i]))
    }
  }
}
