import RealModule
import SeededRandom
import SoftmaxCore
import Testing
import _TestSupport

/// Extreme logits: magnitude 1e4, vocabularies of 10⁶, chosen probabilities within 1e-12 of 0
/// and of 1, masked entries. Expected values are analytic where the case allows, else the
/// `Float80` reference. Tolerance 1e-12 relative throughout (these quantities are well
/// conditioned in the forms the library evaluates).
@Suite struct ExtremeCaseTests {
  static let tol = 1e-12

  @Test func uniformMillionActions() {
    let k = 1_000_000
    let dist = SoftmaxDistribution(logits: [Double](repeating: 3.25, count: k))
    #expect(relClose(dist.entropy, Double.log(Double(k)), rel: Self.tol))
    #expect(relClose(dist.collisionProbability, 1e-6, rel: Self.tol))
    #expect(relClose(dist.probabilities[123_456], 1e-6, rel: Self.tol))
    #expect(relClose(dist.logSumExp, 3.25 + Double.log(Double(k)), rel: Self.tol))
    let report = SampledUpdateReport(policy: dist, action: 999_999, advantage: -2, learningRate: 0.5)
    // √(1 − 2/K + 1/K) = √(1 − 1/K).
    #expect(relClose(report.updateNormClosedForm, 1.0 * (1 - 1e-6).squareRoot(), rel: Self.tol))
    #expect(relClose(report.updateNorm, report.updateNormClosedForm, rel: Self.tol))
    // Plain summation of 10⁶ terms: bounded by K·ε·Σ|Δz| (here Σ|Δz| ≈ 2).
    #expect(abs(report.zeroSumResidual) < Double(k) * Double.ulpOfOne * 2)
    // Uniform policy: log p is constant, so the covariance and the first-order change vanish.
    #expect(abs(report.entropyChangePredicted) < 1e-15)
  }

  @Test func randomMillionActionsAgainstWideReference() {
    var rng = Xoshiro256StarStar(seed: 314)
    let z = (0..<1_000_000).map { _ in 2.5 * rng.nextGaussian() }
    let dist = SoftmaxDistribution(logits: z)
    let ref = WideSoftmax(z)
    #expect(relClose(dist.entropy, Double(ref.entropy), rel: Self.tol))
    #expect(relClose(dist.collisionProbability, Double(ref.collision), rel: Self.tol))
    #expect(relClose(dist.logSumExp, Double(ref.lse), rel: Self.tol))
    for c in [dist.argmax, 17] {
      let report = SampledUpdateReport(policy: dist, action: c, advantage: 1.25, learningRate: 0.1)
      let refNorm = Double(WideSoftmax.norm(ref.sampledUpdate(action: c, advantage: 1.25, lr: 0.1)))
      #expect(relClose(report.updateNorm, refNorm, rel: Self.tol))
      #expect(relClose(report.updateNormClosedForm, refNorm, rel: Self.tol))
    }
  }

  @Test func logitsOfMagnitude1e4() {
    let cases: [[Double]] = [
      [1e4, -1e4, 9990, 0],
      [-1e4, -1e4 + 1, -1e4 + 0.5, -1e4 - 3],
      [1e4, 1e4, 1e4 - 1e-3, -1e4],
      [1e4, -1e4],
    ]
    for z in cases {
      for tau in [1.0, 0.25, 100] {
        let dist = SoftmaxDistribution(logits: z, temperature: tau)
        let ref = WideSoftmax(z, temperature: tau)
        #expect(dist.logSumExp.isFinite && dist.entropy.isFinite)
        #expect(close(dist.logSumExp, Double(ref.lse), tol: Self.tol, scale: Double(ref.lseScale)))
        #expect(relClose(dist.entropy, Double(ref.entropy), rel: Self.tol, abs: 1e-300))
        #expect(relClose(dist.collisionProbability, Double(ref.collision), rel: Self.tol))
        for c in z.indices {
          let r = SampledUpdateReport(policy: dist, action: c, advantage: 3, learningRate: 0.01)
          let refNorm = Double(WideSoftmax.norm(ref.sampledUpdate(action: c, advantage: 3, lr: 0.01)))
          #expect(relClose(r.updateNorm, refNorm, rel: Self.tol, abs: 1e-300), "\(z) τ=\(tau) c=\(c)")
          #expect(relClose(r.updateNormClosedForm, refNorm, rel: Self.tol, abs: 1e-300), "\(z) τ=\(tau) c=\(c)")
        }
      }
    }
  }

  /// Two actions, `z = [0, −L]`: `q = p₂ = 1/(1 + e^L)`, `p₁ = 1 − q`, analytically.
  static func twoActionCase(q: Double) -> (z: [Double], q: Wide) {
    let L = Double.log((1 - q) / q)
    let qWide = 1 / (1 + Wide.exp(Wide(L)))
    return ([0, -L], qWide)
  }

  @Test(arguments: [1e-12, 3e-13, 1e-9, 1e-15])
  func chosenProbabilityNearOne(q: Double) {
    // p_c = 1 − q with q ≈ 1e-12: 1 − p_c, the norm factor √((1−p_c)² + q²) = √2·q and the
    // entropy must keep 12 digits. The textbook √(1 − 2p_c + C) keeps none.
    let (z, qWide) = Self.twoActionCase(q: q)
    let dist = SoftmaxDistribution(logits: z)
    #expect(relClose(dist.complementProbability(of: 0), Double(qWide), rel: Self.tol))
    #expect(relClose(dist.updateNormFactor(action: 0), Double(Wide(2).squareRoot() * qWide), rel: Self.tol))
    let binaryEntropy = -qWide * Wide.log(qWide) - (1 - qWide) * Wide.log(onePlus: -qWide)
    #expect(relClose(dist.entropy, Double(binaryEntropy), rel: Self.tol))
    let report = SampledUpdateReport(policy: dist, action: 0, advantage: 1, learningRate: 1)
    #expect(relClose(report.updateNorm, report.updateNormClosedForm, rel: Self.tol))
    #expect(relClose(report.chosenActionFactor, Double(qWide), rel: Self.tol))

    let p = dist.probabilities
    let collision: Double = p[0] * p[0] + p[1] * p[1]
    let textbook: Double = (1 - 2 * p[0] + collision).squareRoot()
    let exact = Double(Wide(2).squareRoot() * qWide)
    let textbookError: Double = abs(textbook - exact) / exact
    #expect(!(textbookError < 1e-6), "the textbook form should lose its digits here; error \(textbookError)")
  }

  @Test(arguments: [1e-12, 3e-13, 1e-15])
  func chosenProbabilityNearZero(q: Double) {
    // p_c = q: the factor is √((1−q)² + (1−q)²) = √2 (1 − q).
    let (z, qWide) = Self.twoActionCase(q: q)
    let dist = SoftmaxDistribution(logits: z)
    #expect(relClose(dist.probabilities[1], Double(qWide), rel: Self.tol))
    #expect(relClose(dist.updateNormFactor(action: 1), Double(Wide(2).squareRoot() * (1 - qWide)), rel: Self.tol))
    let report = SampledUpdateReport(policy: dist, action: 1, advantage: -0.5, learningRate: 0.2)
    #expect(relClose(report.updateNorm, report.updateNormClosedForm, rel: Self.tol))
  }

  @Test func manyActionsWithOneNearCertain() {
    // K = 1000, p_0 = 1 − 999e^{−L}/(1 + 999e^{−L}) with 1 − p_0 ≈ 1e-12.
    let k = 1000
    let L = Double.log(999 / 1e-12)
    let z = [0] + [Double](repeating: -L, count: k - 1)
    let dist = SoftmaxDistribution(logits: z)
    let ref = WideSoftmax(z)
    let e = Wide.exp(-Wide(L))
    let complement = Wide(k - 1) * e / (1 + Wide(k - 1) * e)
    #expect(relClose(dist.complementProbability(of: 0), Double(complement), rel: Self.tol))
    #expect(relClose(dist.complementProbability(of: 0), Double(ref.complement(0)), rel: Self.tol))
    let each = e / (1 + Wide(k - 1) * e)
    let factor = (complement * complement + Wide(k - 1) * each * each).squareRoot()
    #expect(relClose(dist.updateNormFactor(action: 0), Double(factor), rel: Self.tol))
    #expect(relClose(dist.entropy, Double(ref.entropy), rel: Self.tol))
  }

  @Test func maskedActionsHaveZeroProbabilityAndNoUpdate() {
    let z = [1.0, -.infinity, 0.5, -.infinity]
    let dist = SoftmaxDistribution(logits: z)
    #expect(dist.probabilities[1] == 0 && dist.probabilities[3] == 0)
    #expect(dist.logProbabilities[1] == -.infinity)
    let twoAction = SoftmaxDistribution(logits: [1.0, 0.5])
    #expect(relClose(dist.entropy, twoAction.entropy, rel: Self.tol))
    let r = SampledUpdateReport(policy: dist, action: 2, advantage: 1, learningRate: 0.1)
    #expect(r.deltaZ[1] == 0 && r.deltaZ[3] == 0)
    #expect(r.entropyChangePredicted.isFinite && r.entropyChangeActual.isFinite)
    let r2 = SampledUpdateReport(policy: twoAction, action: 1, advantage: 1, learningRate: 0.1)
    #expect(relClose(r.updateNorm, r2.updateNorm, rel: Self.tol))
    #expect(relClose(r.entropyChangePredicted, r2.entropyChangePredicted, rel: 1e-10))
  }

  @Test func deterministicPolicyHasZeroUpdate() {
    // p = [1, 0, 0, 0] (masked others): the chosen factor and the whole update vanish.
    let dist = SoftmaxDistribution<Double>(logits: [0, -.infinity, -.infinity, -.infinity])
    let r = SampledUpdateReport(policy: dist, action: 0, advantage: 1, learningRate: 1)
    #expect(r.updateNorm == 0 && r.updateNormClosedForm == 0 && dist.entropy == 0)
    #expect(dist.collisionProbability == 1)
  }

  @Test func floatAgreesWithDouble() {
    var rng = Xoshiro256StarStar(seed: 99)
    for _ in 0..<200 {
      let z = (0..<(2 + rng.nextInt(below: 100))).map { _ in 3 * rng.nextGaussian() }
      let d = SoftmaxDistribution(logits: z)
      let f = SoftmaxDistribution(logits: z.map(Float.init))
      #expect(relClose(Double(f.entropy), d.entropy, rel: 1e-5, abs: 1e-6))
      #expect(relClose(Double(f.collisionProbability), d.collisionProbability, rel: 1e-5))
      #expect(relClose(Double(f.updateNormFactor(action: 0)), d.updateNormFactor(action: 0), rel: 1e-5, abs: 1e-6))
    }
  }

  @Test func validationNamesTheProblem() {
    #expect(throws: LogitValidationError.empty) { try validateLogits([Double]()) }
    #expect(throws: LogitValidationError.notANumber(index: 1)) { try validateLogits([0, .nan, 1.0]) }
    #expect(throws: LogitValidationError.positiveInfinity(index: 2)) { try validateLogits([0, 1, Double.infinity]) }
    #expect(throws: LogitValidationError.allMasked(count: 2)) { try validateLogits([-Double.infinity, -.infinity]) }
    #expect(throws: LogitValidationError.actionOutOfRange(action: 4, count: 4)) { try validateAction(4, count: 4) }
    #expect(throws: LogitValidationError.actionOutOfRange(action: -1, count: 4)) { try validateAction(-1, count: 4) }
    #expect(throws: LogitValidationError.badTemperature(0)) { try validateTemperature(0.0) }
    #expect(throws: Never.self) { try validateLogits([0, -.infinity, 3.0]) }
    #expect("\(LogitValidationError.notANumber(index: 1))" == "logit 1 is NaN")
  }
}

@Suite struct KLDivergenceTests {
  /// For `w = z + h v`, `KL(p ‖ q) = (h²β²/2) Var_p(v) + O(h³)`: with h = 1e-8 the divergence
  /// is ~1e-17 and the straightforward `Σ p (log p − log q)` would be pure rounding noise.
  @Test func tinyPerturbationKeepsRelativeAccuracy() {
    var rng = Xoshiro256StarStar(seed: 5150)
    for _ in 0..<100 {
      let k = 2 + rng.nextInt(below: 40)
      let z = (0..<k).map { _ in 2 * rng.nextGaussian() }
      let v = (0..<k).map { _ in rng.nextGaussian() }
      let h = 1e-8
      let dist = SoftmaxDistribution(logits: z)
      let kl = klDivergence(logits: z, from: zip(z, v).map { $0 + h * $1 })
      let mean = dist.expectation(v)
      let variance = dist.expectation(v.map { ($0 - mean) * ($0 - mean) })
      // w_i = z_i + h v_i is rounded to Double, which perturbs h v_i by up to ε|z_i|: a
      // relative change of up to ~1e-7 in the tiny differences.
      #expect(relClose(kl, h * h / 2 * variance, rel: 1e-6))
    }
  }

  @Test func infiniteWhenSupportIsLost() {
    #expect(klDivergence(logits: [0.0, 1], from: [0, -.infinity]) == .infinity)
    #expect(klDivergence(logits: [0.0, -.infinity], from: [0, 1]).isFinite)
    #expect(klDivergence(logits: [1.0, 2, 3], from: [1.0, 2, 3]) == 0)
  }

  @Test func farApartPoliciesUseTheLogSumExpForm() {
    // p puts almost all mass on action 0, q on action 1, by logit gaps of 2000.
    let z = [1000.0, -1000]
    let w = [-1000.0, 1000]
    let kl = klDivergence(logits: z, from: w)
    // KL ≈ log p_0 − log q_0 = 0 − (−2000) = 2000.
    #expect(relClose(kl, 2000, rel: 1e-12))
  }
}
