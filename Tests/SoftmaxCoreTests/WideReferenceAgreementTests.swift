import SeededRandom
import SoftmaxCore
import Testing
import _TestSupport

/// Every quantity of `SoftmaxCore` (Double) against the independent `Float80` reference on
/// thousands of random logit vectors.
///
/// Tolerance 1e-12 relative wherever the quantity is well conditioned (entropy, collision
/// probability, probabilities, the update norm and its factor, 1 − p_c: sums of non-negative
/// terms). Where it is not, the error is bounded by 1e-12 times the quantity's condition
/// scale, stated per check: log-sum-exp (cancellation of βm against log s), log-probabilities
/// (absolute in units of |log p|), covariances and differences (ΔH, KL, JVP, Δz entries:
/// sums of terms of both signs).
@Suite struct WideReferenceAgreementTests {
  static let tol = 1e-12

  @Test(arguments: 0..<4)
  func randomCasesAgree(batch: Int) {
    var rng = Xoshiro256StarStar(seed: 2026, stream: UInt64(batch))
    for index in 0..<1000 {
      let tc = rng.nextLogitCase(index: batch * 1000 + index)
      check(tc)
    }
  }

  @Test func largeVocabularyCasesAgree() {
    var rng = Xoshiro256StarStar(seed: 77)
    for index in 0..<6 {
      let tc = rng.nextLogitCase(sizes: 1000...200_000, index: index)
      check(tc)
    }
  }

  func check(_ tc: RandomLogitCase) {
    let tol = Self.tol
    let dist = SoftmaxDistribution(logits: tc.logits, temperature: tc.temperature)
    let ref = WideSoftmax(tc.logits, temperature: tc.temperature)
    let k = tc.logits.count

    #expect(close(dist.logSumExp, Double(ref.lse), tol: tol, scale: Double(ref.lseScale)), "lse \(tc)")
    #expect(relClose(dist.entropy, Double(ref.entropy), rel: tol, abs: 1e-300), "H \(tc)")
    #expect(relClose(dist.collisionProbability, Double(ref.collision), rel: tol), "C \(tc)")
    #expect(relClose(dist.renyi2Entropy, Double(-Wide.log(ref.collision)), rel: tol, abs: tol * 1e-3), "H2 \(tc)")
    for i in 0..<k {
      // Subnormal probabilities carry fewer digits: absolute floor at the normal range.
      #expect(relClose(dist.probabilities[i], Double(ref.p[i]), rel: tol, abs: 1e-300), "p[\(i)] \(tc)")
      if ref.logp[i].isFinite {
        #expect(close(dist.logProbabilities[i], Double(ref.logp[i]), tol: tol,
                      scale: max(1, abs(Double(ref.logp[i])))), "log p[\(i)] \(tc)")
      } else {
        #expect(dist.logProbabilities[i] == -.infinity)
      }
    }

    let c = tc.action
    #expect(relClose(dist.complementProbability(of: c), Double(ref.complement(c)), rel: tol, abs: 1e-300), "1-p_c \(tc)")

    // The sampled update, its norm (measured and closed form) and the zero-sum residual.
    let report = SampledUpdateReport(
      policy: dist, action: c, advantage: tc.advantage, learningRate: tc.learningRate)
    let refDz = ref.sampledUpdate(action: c, advantage: tc.advantage, lr: tc.learningRate)
    let refNorm = Double(WideSoftmax.norm(refDz))
    let dzScale = refDz.reduce(0) { max($0, abs(Double($1))) }
    for i in 0..<k {
      #expect(close(report.deltaZ[i], Double(refDz[i]), tol: tol, scale: max(dzScale, 1e-300)), "dz[\(i)] \(tc)")
    }
    #expect(relClose(report.updateNorm, refNorm, rel: tol, abs: 1e-300), "norm \(tc)")
    #expect(relClose(report.updateNormClosedForm, refNorm, rel: tol, abs: 1e-300), "closed form \(tc)")
    #expect(relClose(report.updateNorm, report.updateNormClosedForm, rel: tol, abs: 1e-300), "measured vs closed \(tc)")
    let absSum = report.deltaZ.reduce(0) { $0 + abs($1) }
    #expect(abs(report.zeroSumResidual) <= Double(k) * Double.ulpOfOne * absSum, "zero sum \(tc)")

    // First-order entropy change: bounded by the covariance's condition scale.
    let scale = dist.entropyChangeConditionScale(report.deltaZ)
    #expect(close(report.entropyChangePredicted, Double(ref.entropyChangeFirstOrder(refDz)), tol: tol,
                  scale: max(scale, 1e-300)), "dH predicted \(tc)")

    // Exact change: a difference of two entropies.
    let refAfter = WideSoftmax(
      zip(tc.logits, report.deltaZ).map { $0 + $1 }, temperature: tc.temperature)
    let refActual = Double(refAfter.entropy - ref.entropy)
    #expect(close(report.entropyChangeActual, refActual, tol: tol,
                  scale: max(Double(ref.entropy + refAfter.entropy), 1e-300)), "dH actual \(tc)")

    // KL between the policy before and after the update: 1e-12 relative, plus the floor of
    // the straightforward reference itself (its Σ p (log p − log q) cancels: 100 Float80 ulps
    // of Σ p (|log p| + |log q|)), and an absolute floor at the edge of the normal range.
    let kl = dist.klDivergence(from: dist.updated(by: report.deltaZ))
    let refKL = Double(ref.kl(from: refAfter))
    var refFloor: Wide = 0
    for i in 0..<k where ref.p[i] > 0 { refFloor += ref.p[i] * (abs(ref.logp[i]) + abs(refAfter.logp[i])) }
    let klTolerance = tol * abs(refKL) + 100 * Double(Wide.ulpOfOne * refFloor) + 1e-300
    #expect(abs(kl - refKL) <= klTolerance, "KL \(tc)")
    #expect(kl >= 0)
  }
}
