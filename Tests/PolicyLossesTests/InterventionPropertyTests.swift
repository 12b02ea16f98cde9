import Foundation
import PolicyLosses
import SeededRandom
import Testing

/// Each intervention's defining property on synthetic batches, gradients against finite
/// differences, and bad input.
@Suite struct InterventionPropertyTests {
  /// A random batch: `rows × columns`, ragged valid lengths, log-probs in (−4, 0), the old ones
  /// perturbed by up to ±`spread`, Gaussian advantages (one per row, as outcome rewards give).
  static func batch(seed: UInt64, rows: Int = 6, columns: Int = 20, spread: Double = 0.4, logits vocabulary: Int = 0) throws -> TokenBatch {
    var rng = Xoshiro256StarStar(seed: seed)
    var mask = [Double](repeating: 0, count: rows * columns)
    for b in 0..<rows {
      let length = 1 + rng.nextInt(below: columns)
      for t in 0..<length { mask[b * columns + t] = 1 }
    }
    let rowAdvantage = (0..<rows).map { _ in rng.nextGaussian() }
    let advantages = (0..<(rows * columns)).map { rowAdvantage[$0 / columns] + 0.3 * rng.nextGaussian() }
    if vocabulary > 0 {
      let logits = (0..<(rows * columns * vocabulary)).map { _ in 2 * rng.nextGaussian() }
      let labels = (0..<(rows * columns)).map { _ in rng.nextInt(below: vocabulary) }
      let probe = try TokenBatch(rows: rows, columns: columns, logits: logits, vocabulary: vocabulary, labels: labels,
                                 oldLogProb: [Double](repeating: 0, count: rows * columns), advantages: advantages, mask: mask)
      let old = probe.logProb.map { $0 + spread * (2 * rng.nextDouble() - 1) }
      var b = try TokenBatch(rows: rows, columns: columns, logits: logits, vocabulary: vocabulary, labels: labels,
                             oldLogProb: old, advantages: advantages, mask: mask)
      b.refLogProb = probe.logProb.map { $0 + 0.3 * rng.nextGaussian() }
      return b
    }
    let logProb = (0..<(rows * columns)).map { _ in -4 * rng.nextDouble() - 0.01 }
    let old = logProb.map { $0 + spread * (2 * rng.nextDouble() - 1) }
    var b = TokenBatch(rows: rows, columns: columns, logProb: logProb, oldLogProb: old, advantages: advantages, mask: mask)
    b.refLogProb = logProb.map { $0 + 0.3 * rng.nextGaussian() }
    b.entropy = (0..<(rows * columns)).map { _ in 3 * rng.nextDouble() }
    b.sumPiSquared = logProb.map { l in let p = Foundation.exp(l); return min(1, p * p + 0.5 * (1 - p) * (1 - p) * rng.nextDouble()) }
    // Lp-Reg's proxy: mostly above the current log-prob (a renormalised nucleus), some filtered.
    b.proxyLogProb = logProb.map { l in rng.nextDouble() < 0.15 ? -1e4 : l + 0.6 * rng.nextDouble() - 0.1 }
    return b
  }

  static let losses: [(String, PolicyLoss)] = {
    var out: [(String, PolicyLoss)] = []
    for mode in Aggregation.Mode.allCases {
      out.append(("ppo/\(mode.rawValue)", PolicyLoss(.ppoDefault, aggregation: Aggregation(mode))))
    }
    out.append(("reinforce", PolicyLoss(.reinforce, aggregation: Aggregation(.seqMeanTokenSum))))
    out.append(("clip-higher, no dual clip", PolicyLoss(.vanilla(clipLow: 0.2, clipHigh: 0.28, dualClip: nil, logRatioClamp: nil))))
    out.append(("kl-cov", PolicyLoss(.klCov(ratio: 0.1, coefficient: 1))))
    out.append(("clip-cov", PolicyLoss(.clipCov(clipLow: 0.2, clipHigh: 0.2, ratio: 0.1, lowerBound: -0.5, upperBound: 5, draw: .seeded(3)))))
    var kl = PolicyLoss(.ppoDefault)
    kl.klPenalty = KLPenalty(KLEstimator(.k3), coefficient: 0.1)
    out.append(("ppo + k3", kl))
    kl.klPenalty = KLPenalty(KLEstimator(.k2), coefficient: 0.3)
    out.append(("ppo + k2", kl))
    var steer = PolicyLoss(.vanilla(clipLow: 0.2, clipHigh: 0.28, dualClip: 10, logRatioClamp: 20))
    steer.steer = SteerWeighting(.linear)
    out.append(("steer linear", steer))
    steer.steer = SteerWeighting(.exponential)
    out.append(("steer exponential", steer))
    var top = PolicyLoss(.ppoDefault)
    top.topEntropyRatio = 0.2
    out.append(("top-entropy 20%", top))
    var norm = PolicyLoss(.ppoDefault)
    norm.normalizedStep = true
    out.append(("normalised step", norm))
    var lp = PolicyLoss(.ppoDefault)
    lp.lowProbability = LowProbabilityRegularization(negativeRatio: 0.3, positiveRatio: 0.2, coefficient: 0.7)
    out.append(("lp-reg", lp))
    var bapo = PolicyLoss(.ppoDefault)
    bapo.balancedClipping = BalancedClipping()
    out.append(("bapo", bapo))
    bapo.balancedClipping!.statistic = .gradient
    out.append(("bapo gradient statistic", bapo))
    var epo = PolicyLoss(.ppoDefault)
    epo.entropyCoefficient = 0.01
    epo.entropySmoothing = EntropySmoothing(history: [1.5])
    out.append(("epo", epo))
    return out
  }()

  /// `∂loss/∂ℓ_i` against central differences of the loss for every valid token (the
  /// selections held fixed: the perturbation is far below any selection boundary here).
  /// STEER and the normalised step weigh tokens by functions of `ℓ` that carry no gradient
  /// (as in their reference code), so they are checked against the unweighted loss instead.
  @Test func gradientsMatchFiniteDifferences() throws {
    for (name, loss) in Self.losses where !name.hasPrefix("steer") && name != "normalised step" {
      let base = try Self.batch(seed: 17, spread: 0.15)
      let r = try loss.evaluate(base)
      let h = 1e-6
      var worst = 0.0
      for i in 0..<base.count where base.mask[i] != 0 {
        var plus = base, minus = base
        plus.logProb[i] += h
        minus.logProb[i] -= h
        let lp = try loss.evaluate(plus), lm = try loss.evaluate(minus)
        guard lp.selectedMask == r.selectedMask, lm.selectedMask == r.selectedMask else { continue }
        let fd = (lp.loss - lm.loss) / (2 * h)
        worst = max(worst, abs(fd - r.gradLogProb[i]) / max(1e-3, abs(fd)))
      }
      #expect(worst < 1e-5, "\(name): worst relative error \(worst)")
    }
  }

  /// SIREN's gradient through the kept tokens' logits, with PPO, against central differences
  /// (a nucleus of 4 candidates at p 0.9; an anchor away from the batch's statistic).
  @Test func sirenLogitGradientMatchesFiniteDifferences() throws {
    let base = try Self.batch(seed: 23, rows: 3, columns: 6, spread: 0.1, logits: 7)
    var loss = PolicyLoss(.ppoDefault)
    loss.siren = SelectiveEntropyRegularization(coefficient: 0.5, topK: 4, topP: 0.9, maskRatio: 0.5, anchor: 0.2)
    let r = try loss.evaluate(base)
    #expect(r.metric("siren_peaks")! > 0 && r.metric("siren_entropy")! != 0.2)
    let g = try #require(r.gradLogits)
    let logits = try #require(base.logits), labels = try #require(base.labels)
    let h = 1e-6
    var worst = 0.0
    for k in logits.indices where base.mask[k / base.vocabulary] != 0 {
      var plus = logits, minus = logits
      plus[k] += h
      minus[k] -= h
      func lossAt(_ z: [Double]) throws -> Double {
        try loss.evaluate(try TokenBatch(rows: base.rows, columns: base.columns, logits: z, vocabulary: base.vocabulary, labels: labels,
                                         oldLogProb: base.oldLogProb, advantages: base.advantages, mask: base.mask)).loss
      }
      let fd = (try lossAt(plus) - (try lossAt(minus))) / (2 * h)
      worst = max(worst, abs(fd - g[k]) / max(1e-3, abs(fd)))
    }
    #expect(worst < 1e-5, "SIREN logit gradient worst relative error \(worst)")
  }

  /// Through the logits: the gradient of the full loss (PPO + entropy bonus + KL) with respect
  /// to every logit of every valid position, against central differences.
  @Test func logitGradientsMatchFiniteDifferences() throws {
    let base = try Self.batch(seed: 21, rows: 3, columns: 5, spread: 0.1, logits: 6)
    for clamp in [false, true] {
      var loss = PolicyLoss(.vanilla(clipLow: 0.2, clipHigh: 0.28, dualClip: 3, logRatioClamp: 20), aggregation: Aggregation(.seqMeanTokenMean))
      loss.entropyCoefficient = 0.05
      loss.klPenalty = KLPenalty(KLEstimator(.k3), coefficient: 0.1)
      let r = try loss.evaluate(base)
      let g = try #require(r.gradLogits)
      let logits = try #require(base.logits), labels = try #require(base.labels)
      func lossAt(_ z: [Double]) throws -> Double {
        var b = try TokenBatch(rows: base.rows, columns: base.columns, logits: z, vocabulary: base.vocabulary, labels: labels,
                               oldLogProb: base.oldLogProb, advantages: base.advantages, mask: base.mask)
        b.refLogProb = base.refLogProb
        return try loss.evaluate(b).loss
      }
      if clamp {
        // The (1 − p_c) clamp changes only the chosen logit's component, by +G·p_c/T.
        loss.complementClamp = true
        let c = try loss.evaluate(base)
        let cg = try #require(c.gradLogits)
        for i in 0..<base.count where base.mask[i] != 0 {
          let v = base.vocabulary, label = labels[i]
          let p = Foundation.exp(base.logProb[i])
          #expect(abs(cg[i * v + label] - (g[i * v + label] + r.gradLogProb[i] * p)) < 1e-12)
          for j in 0..<v where j != label { #expect(cg[i * v + j] == g[i * v + j]) }
        }
        continue
      }
      var worst = 0.0
      let h = 1e-6
      for k in logits.indices where base.mask[k / base.vocabulary] != 0 {
        var plus = logits, minus = logits
        plus[k] += h
        minus[k] -= h
        let fd = (try lossAt(plus) - (try lossAt(minus))) / (2 * h)
        worst = max(worst, abs(fd - g[k]) / max(1e-3, abs(fd)))
      }
      #expect(worst < 1e-5, "logit gradient worst relative error \(worst)")
    }
  }

  /// Detached token weights (STEER, normalised step): the loss is the weighted sum and the
  /// gradient is the weight times the unweighted gradient, token by token.
  @Test func detachedWeightsScaleLossAndGradient() throws {
    let b = try Self.batch(seed: 23)
    for (name, loss) in Self.losses where name.hasPrefix("steer") || name == "normalised step" {
      var plain = loss
      plain.steer = nil
      plain.normalizedStep = false
      let weighted = try loss.evaluate(b), base = try plain.evaluate(b)
      var w = [Double](repeating: 1, count: b.count)
      if let steer = loss.steer { w = steer.weights(b, entropy: b.entropy!) }
      if loss.normalizedStep {
        for i in 0..<b.count {
          let p = Foundation.exp(b.logProb[i])
          w[i] = 1 / ((1 - p) * (1 - p) + max(b.sumPiSquared![i] - p * p, 0)).squareRoot()
        }
      }
      for i in 0..<b.count where b.mask[i] != 0 {
        #expect(abs(weighted.gradLogProb[i] - w[i] * base.gradLogProb[i]) <= 1e-14 * max(1, abs(base.gradLogProb[i])), "\(name) token \(i)")
      }
      if let steer = loss.steer {
        let valid = (0..<b.count).filter { b.mask[$0] != 0 }.map { w[$0] }
        #expect(valid.min()! >= steer.minimum - 1e-15 && valid.max()! <= steer.maximum + 1e-15)
        #expect(valid.max()! - valid.min()! > 0.05, "\(name): the weights spread")
      }
    }
  }

  /// Clip-Cov never selects a token outside `(lb, ub)` or one PPO already clipped, and selects
  /// `min(max(1, ⌊r·N⌋), M)` tokens — one even when `r·N < 1`.
  @Test func clipCovSelectsOnlyEligibleTokensAndTheDocumentedCount() throws {
    for seed in UInt64(0)..<40 {
      let b = try Self.batch(seed: seed, rows: 8, columns: 30, spread: 0.5)
      let ratio = [1e-4, 0.01, 0.05, 0.2][Int(seed % 4)]
      let (lb, ub) = (-0.2, 2.0)
      let loss = PolicyLoss(.clipCov(clipLow: 0.2, clipHigh: 0.2, ratio: ratio, lowerBound: lb, upperBound: ub, draw: .seeded(seed)))
      let r = try loss.evaluate(b)
      let n = b.validCount
      let valid = (0..<b.count).filter { b.mask[$0] != 0 }
      let meanA = valid.reduce(0.0) { $0 + b.advantages[$1] } / Double(n)
      let meanL = valid.reduce(0.0) { $0 + b.logProb[$1] } / Double(n)
      let chosen = (0..<b.count).filter { r.selectedMask[$0] == 1 }
      for i in chosen {
        let cov = (b.advantages[i] - meanA) * (b.logProb[i] - meanL)
        #expect(b.mask[i] == 1 && cov > lb && cov < ub, "selected token \(i) has cov \(cov)")
        #expect(!CovarianceSelection.ppoClipped(logProb: b.logProb[i], oldLogProb: b.oldLogProb[i], advantage: b.advantages[i], low: 0.2, high: 0.2))
        #expect(r.gradLogProb[i] == 0)
      }
      let expectedCount = min(max(1, Int(ratio * Double(n))), r.eligibleCount)
      #expect(chosen.count == expectedCount, "ratio \(ratio), N \(n): \(chosen.count) selected, expected \(expectedCount)")
    }
  }

  /// KL-Cov's penalty is zero on-policy (`ℓ = ℓ_old`): the loss and gradient equal the plain
  /// `−A r` ones, although tokens are selected.
  @Test func klCovIsInertOnPolicy() throws {
    var b = try Self.batch(seed: 5)
    b.oldLogProb = b.logProb
    let kl = try PolicyLoss(.klCov(ratio: 0.2, coefficient: 1)).evaluate(b)
    let plain = try PolicyLoss(.vanilla(clipLow: 100, clipHigh: 100, dualClip: nil, logRatioClamp: nil)).evaluate(b)
    #expect(kl.selectedMask.contains(1))
    #expect(abs(kl.loss - plain.loss) < 1e-15)
    #expect(kl.gradLogProb == plain.gradLogProb)
    #expect(kl.metric("ppo_kl") == 0)
  }

  /// The top-ρ entropy mask keeps ⌈ρN⌉ tokens, the highest-entropy ones.
  @Test func topEntropyMaskKeepsTheCeilingCount() throws {
    for (seed, rho) in [(1, 0.2), (2, 0.05), (3, 0.5), (4, 1.0), (5, 0.013)] {
      let b = try Self.batch(seed: UInt64(seed))
      var loss = PolicyLoss(.ppoDefault)
      loss.topEntropyRatio = rho
      let r = try loss.evaluate(b)
      let kept = (0..<b.count).filter { r.selectedMask[$0] == 1 }
      let n = b.validCount
      #expect(kept.count == Int((rho * Double(n)).rounded(.up)), "ρ \(rho), N \(n)")
      let lowestKept = kept.map { b.entropy![$0] }.min()!
      for i in 0..<b.count where b.mask[i] == 1 && r.selectedMask[i] == 0 { #expect(b.entropy![i] <= lowestKept) }
      for i in 0..<b.count where r.selectedMask[i] == 0 { #expect(r.gradLogProb[i] == 0) }
    }
  }

  /// Dual-clip caps the loss of a negative-advantage token at `−A·c` however large the ratio,
  /// with zero gradient beyond the cap; positive advantages are untouched by it.
  @Test func dualClipCapsNegativeAdvantageLosses() throws {
    for delta in [0.5, 1.5, 3.0, 10.0, 25.0] {
      let b = TokenBatch(rows: 1, columns: 2, logProb: [-1 + delta, -1 + delta], oldLogProb: [-1, -1], advantages: [-2, 2], mask: [1, 1])
      let r = try PolicyLoss(.vanilla(clipLow: 0.2, clipHigh: 0.2, dualClip: 3, logRatioClamp: 20), aggregation: Aggregation(.tokenSum)).evaluate(b)
      let ratio = Foundation.exp(min(delta, 20))
      let negative = min(2 * ratio, 2 * 3)  // −A·r for A = −2, capped at −A·c = 6
      let positive = max(-2 * ratio, -2 * 1.2)
      #expect(abs(r.loss - (negative + positive)) < 1e-12 * max(1, abs(negative)))
      if ratio > 3 { #expect(r.gradLogProb[0] == 0) } else { #expect(r.gradLogProb[0] == 2 * ratio) }
    }
  }

  @Test func badInputIsRefusedWithAMessage() throws {
    let good = try Self.batch(seed: 9)
    func refused(_ b: TokenBatch, _ loss: PolicyLoss = PolicyLoss(.ppoDefault), _ fragment: String) {
      do {
        _ = try loss.evaluate(b)
        Issue.record("accepted: \(fragment)")
      } catch {
        #expect(error.description.contains(fragment), "\(error.description)")
      }
    }
    var b = good
    b.advantages.removeLast()
    refused(b, PolicyLoss(.ppoDefault), "advantages has 119 values, expected 6×20 = 120")
    b = good
    b.mask = b.mask.map { _ in 0 }
    refused(b, PolicyLoss(.ppoDefault), "no valid token")
    b = good
    b.logProb[0] = .nan
    refused(b, PolicyLoss(.ppoDefault), "log_prob at row 0, position 0 is nan")
    b = good
    b.mask[3] = 2
    refused(b, PolicyLoss(.ppoDefault), "must be 0 or 1")
    // An unclamped ratio that overflows: Clip-Cov has no log-ratio clamp.
    b = good
    b.logProb[0] = 800
    b.advantages[0] = 1
    refused(b, PolicyLoss(.klCov(ratio: 0.1, coefficient: 1)), "the loss is")
    refused(good, PolicyLoss(.vanilla(clipLow: 0.2, clipHigh: 0.2, dualClip: 0.5, logRatioClamp: 20)), "clip_ratio_c must be > 1")
    refused(good, PolicyLoss(.clipCov(clipLow: 0.2, clipHigh: 0.2, ratio: 0, lowerBound: 1, upperBound: 5, draw: .seeded(0))), "clip_cov_ratio")
    var needsRef = PolicyLoss(.ppoDefault)
    needsRef.klPenalty = KLPenalty(KLEstimator(.k3), coefficient: 0.1)
    b = good
    b.refLogProb = nil
    refused(b, needsRef, "needs ref_log_prob")
    var clamp = PolicyLoss(.ppoDefault)
    clamp.complementClamp = true
    refused(good, clamp, "needs logits")
    // With the ±20 clamp, the same overflowing ratio is finite: PPO keeps going.
    b = good
    b.logProb[0] = 800
    #expect(try PolicyLoss(.ppoDefault).evaluate(b).loss.isFinite)
  }

  /// Outcome advantages: RLOO is the leave-one-out baseline; a singleton keeps its score.
  @Test func rlooBaseline() {
    let a = OutcomeAdvantages.rloo(scores: [1, 0, 0, 1, 5], groups: ["a", "a", "a", "a", "b"])
    let want = [1 - 1.0 / 3, 0 - 2.0 / 3, 0 - 2.0 / 3, 1 - 1.0 / 3, 5]
    for i in a.indices { #expect(abs(a[i] - want[i]) < 1e-15) }
  }
}
