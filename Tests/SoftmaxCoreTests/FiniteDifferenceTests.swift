import SeededRandom
import SoftmaxCore
import Testing
import _TestSupport

/// Derivatives of `SoftmaxCore` against central finite differences `(f(z+he) − f(z−he)) / 2h`.
///
/// With h = 1e-5 the truncation error is O(h²|f‴|) ≈ 1e-10 and the rounding error
/// O(ε|f|/h) ≈ 1e-11, so the stated tolerance is 1e-7 (absolute, on values of order one).
@Suite struct FiniteDifferenceTests {
  static let h = 1e-5
  static let tol = 1e-7

  /// Random well-scaled cases (logit scale ≤ 3, where derivatives are of order one).
  static func cases(count: Int, seed: UInt64) -> [(z: [Double], tau: Double, c: Int)] {
    var rng = Xoshiro256StarStar(seed: seed)
    return (0..<count).map { _ in
      let k = 2 + rng.nextInt(below: 15)
      let scale = [0.1, 1, 3][rng.nextInt(below: 3)]
      let tau = [1.0, 0.5, 2][rng.nextInt(below: 3)]
      return ((0..<k).map { _ in scale * rng.nextGaussian() }, tau, rng.nextInt(below: k))
    }
  }

  static func gradient(_ f: ([Double]) -> Double, at z: [Double]) -> [Double] {
    z.indices.map { j in
      var plus = z, minus = z
      plus[j] += h
      minus[j] -= h
      return (f(plus) - f(minus)) / (2 * h)
    }
  }

  @Test func softmaxIsTheGradientOfLogSumExp() {
    for (z, tau, _) in Self.cases(count: 300, seed: 1) {
      let p = softmax(z, temperature: tau)
      let g = Self.gradient({ logSumExp($0, temperature: tau) }, at: z)
      // ∇_z lse(z/τ) = p/τ.
      for j in z.indices { #expect(abs(g[j] - p[j] / tau) < Self.tol) }
    }
  }

  @Test func entropyGradientMatchesFiniteDifferences() {
    for (z, tau, _) in Self.cases(count: 300, seed: 2) {
      let analytic = SoftmaxDistribution(logits: z, temperature: tau).entropyGradient()
      let numeric = Self.gradient({ entropy(logits: $0, temperature: tau) }, at: z)
      for j in z.indices { #expect(abs(analytic[j] - numeric[j]) < Self.tol) }
    }
  }

  @Test func scoreIsTheGradientOfTheChosenLogProbability() {
    for (z, tau, c) in Self.cases(count: 300, seed: 3) {
      let analytic = SoftmaxDistribution(logits: z, temperature: tau).score(action: c)
      let numeric = Self.gradient({ logSoftmax($0, temperature: tau)[c] }, at: z)
      for j in z.indices { #expect(abs(analytic[j] - numeric[j]) < Self.tol) }
    }
  }

  @Test func expectedUpdateIsTheGradientOfExpectedReward() {
    var rng = Xoshiro256StarStar(seed: 4)
    for (z, tau, _) in Self.cases(count: 300, seed: 4) {
      let r = z.map { _ in rng.nextGaussian() }
      let analytic = SoftmaxDistribution(logits: z, temperature: tau).expectedUpdate(rewards: r, learningRate: 1)
      let numeric = Self.gradient({ zz in
        zip(softmax(zz, temperature: tau), r).reduce(0) { $0 + $1.0 * $1.1 }
      }, at: z)
      for j in z.indices { #expect(abs(analytic[j] - numeric[j]) < Self.tol) }
    }
  }

  @Test func jacobianVectorProductMatchesFiniteDifferences() {
    var rng = Xoshiro256StarStar(seed: 5)
    for (z, tau, _) in Self.cases(count: 300, seed: 5) {
      let v = z.map { _ in rng.nextGaussian() }
      let analytic = SoftmaxDistribution(logits: z, temperature: tau).jacobianVectorProduct(v)
      let plus = softmax(zip(z, v).map { $0 + Self.h * $1 }, temperature: tau)
      let minus = softmax(zip(z, v).map { $0 - Self.h * $1 }, temperature: tau)
      for i in z.indices { #expect(abs(analytic[i] - (plus[i] - minus[i]) / (2 * Self.h)) < Self.tol) }
    }
  }

  @Test func naturalUpdateSolvesTheFisherSystem() {
    // Brute force: form F = β²(diag p − p pᵀ) and check F Δz = η ∇J entry by entry.
    var rng = Xoshiro256StarStar(seed: 6)
    for (z, tau, _) in Self.cases(count: 300, seed: 6) {
      let r = z.map { _ in rng.nextGaussian() }
      let dist = SoftmaxDistribution(logits: z, temperature: tau)
      let eta = 0.3
      let natural = dist.naturalUpdate(rewards: r, learningRate: eta)
      let grad = dist.expectedUpdate(rewards: r, learningRate: eta)
      let beta = 1 / tau
      let p = dist.probabilities
      for i in z.indices {
        var fx = 0.0
        for j in z.indices { fx += beta * beta * ((i == j ? p[i] : 0) - p[i] * p[j]) * natural[j] }
        #expect(abs(fx - grad[i]) < 1e-12 * max(1, abs(grad[i])))
      }
    }
  }

  @Test func firstOrderEntropyChangeIsTheDirectionalDerivative() {
    var rng = Xoshiro256StarStar(seed: 7)
    for (z, tau, _) in Self.cases(count: 300, seed: 7) {
      let v = z.map { _ in rng.nextGaussian() }
      let dist = SoftmaxDistribution(logits: z, temperature: tau)
      let plus = entropy(logits: zip(z, v).map { $0 + Self.h * $1 }, temperature: tau)
      let minus = entropy(logits: zip(z, v).map { $0 - Self.h * $1 }, temperature: tau)
      #expect(abs(dist.entropyChangeFirstOrder(v) - (plus - minus) / (2 * Self.h)) < Self.tol)
    }
  }
}
