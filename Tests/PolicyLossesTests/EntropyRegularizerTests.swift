import Foundation
import PolicyLosses
import Testing
import _TestSupport

/// SIREN and EPO against cases taken by hand from the official code's formulas, transcribed
/// to float64 numpy (`Linn3a/siren` @ fa59a8d, `dp_actor.py` L50–97, L516–546;
/// `WujiangXu/EPO` @ 5b6fa98, `dp_actor.py` L300–381, L744–843). The policy-gradient part is
/// REINFORCE with zero advantages, so the loss and `∂loss/∂z` are the regulariser's alone.
@Suite struct EntropyRegularizerTests {

  // MARK: - SIREN

  static let pad: [Double] = [9, 9, 9, 9, 9, 9]
  /// 3 responses × 7 positions × 6 tokens: a flat row (all 3 candidates kept), a peaked one
  /// (top-1 ≥ 0.8: empty nucleus), a response of 4 tokens and one of a single token (its peak
  /// mask is empty, and it still counts in H̄).
  static let sirenLogits: [[Double]] = [
    [0.0, 0.1, 0.2, 0.3, 0.4, 0.5], [5.0, 0.0, 0.0, 0.1, 0.2, 0.3], [2.0, 1.5, 1.0, 0.0, -1.0, 0.5], [0.3, 2.2, 1.9, -0.5, 0.8, 1.1],
    [3.0, 2.5, -2.0, 0.0, 1.0, -1.0], [1.4, 1.25, 1.2, -0.4, 0.6, -0.9], [0.9, -0.2, 2.7, 0.4, 0.1, 2.4],
    [1.2, 0.7, 0.9, -0.3, 0.0, 2.0], [0.5, 0.4, -1.0, 1.6, -0.7, 0.2], [2.1, 0.3, 0.2, 0.1, 1.8, -0.6], [4.0, 1.0, 3.5, 0.0, -1.0, 0.5],
    pad, pad, pad,
    [1.0, 0.8, 0.7, 0.65, 0.6, 0.5], pad, pad, pad, pad, pad, pad,
  ]
  static let sirenMask: [Double] = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]

  static func sirenBatch(temperature: Double = 1) throws -> TokenBatch {
    try TokenBatch(rows: 3, columns: 7, logits: sirenLogits.flatMap { $0 }, vocabulary: 6, labels: [Int](repeating: 0, count: 21),
                   temperature: temperature, oldLogProb: [Double](repeating: -1, count: 21), advantages: [Double](repeating: 0, count: 21), mask: sirenMask)
  }

  static func sirenLoss(topK: Int = 3, anchor: Double? = 0.5) -> PolicyLoss {
    var loss = PolicyLoss(.reinforce)
    loss.siren = SelectiveEntropyRegularization(coefficient: 0.005, topK: topK, topP: 0.8, maskRatio: 0.8, anchor: anchor)
    return loss
  }

  @Test func sirenTopPEntropyMaskAndValue() throws {
    let loss = Self.sirenLoss()
    let s = try loss.siren!.statistic(Self.sirenBatch())
    let expected = [1.0952872686505586, 0, 0.66284731857767953, 0.68202248942349286, 0, 1.0949034969477878, 0,
                    0.98499780527273106, 0.93633544371259858, 0.6820224894234419, 0]
    let positions = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    for (i, e) in zip(positions, expected) { #expect(abs(s.topPEntropy[i] - e) < 1e-11, "H^p at \(i): \(s.topPEntropy[i]) against \(e)") }
    #expect(abs(s.topPEntropy[14] - 1.0906356052267627) < 1e-11)
    #expect(s.peakMask == [1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    #expect(isClose(s.mean, 0.69336439602396815, 1e-11))
    let r = try loss.evaluate(Self.sirenBatch())
    #expect(isClose(r.loss, 0.00018694894824856996, 1e-9))
    #expect(r.metric("siren_entropy") == s.mean && r.metric("siren_anchor") == 0.5 && r.metric("siren_peaks") == 3)
  }

  /// `∂(α(H̄ − A)²)/∂z` at the three peak positions, every other entry 0 (the reference's
  /// non-kept tokens carry O(1e-18) through its 1e-12 guards).
  @Test func sirenLogitGradient() throws {
    let g = try #require(try Self.sirenLoss().evaluate(Self.sirenBatch()).gradLogits)
    let rows: [(Int, [Double])] = [
      (0, [0, 0, 0, 1.0332649413675779e-05, 7.1259610224411109e-07, -1.1045245515897152e-05]),
      (5, [-1.3145778445945613e-05, 4.2137882519036919e-06, 8.9319901940500808e-06, 0, 0, 0]),
      (7, [6.383969992809756e-05, 0, 8.3409320645059211e-05, 0, 0, -0.00014724902057315954]),
    ]
    for (i, want) in rows { for j in 0..<6 { #expect(abs(g[i * 6 + j] - want[j]) < 1e-14, "∂/∂z[\(i)][\(j)]") } }
    for i in 0..<21 where ![0, 5, 7].contains(i) { for j in 0..<6 { #expect(g[i * 6 + j] == 0) } }
  }

  @Test func sirenVariants() throws {
    // T = 0.7 (the logits divided first), and k = 6 (four tokens kept at the flat row).
    let cold = try Self.sirenLoss().evaluate(Self.sirenBatch(temperature: 0.7))
    #expect(isClose(cold.metric("siren_entropy")!, 0.48092788151003329, 1e-11))
    #expect(isClose(cold.loss, 1.8187285184766495e-06, 1e-8))
    let wide = try Self.sirenLoss(topK: 6).evaluate(Self.sirenBatch())
    #expect(isClose(wide.metric("siren_entropy")!, 0.74082831978891717, 1e-11))
    // No anchor: the batch is its own anchor, the term and its gradient vanish.
    let own = try Self.sirenLoss(anchor: nil).evaluate(Self.sirenBatch())
    #expect(own.loss == 0 && own.gradLogits!.allSatisfy { $0 == 0 })
    #expect(throws: LossError.self) {
      try Self.sirenLoss().evaluate(TokenBatch(rows: 1, columns: 2, logProb: [-1, -1], oldLogProb: [-1, -1], advantages: [0, 0], mask: [1, 1]))
    }
  }

  // MARK: - EPO

  static let epoLogits: [[Double]] = [
    [2.0, 1.0, 0.5, 0.0, -0.5, -1.0], [0.2, 0.1, 0.0, -0.1, 0.3, 0.05], [6.0, 0, 0, 0, 0, 0], [1.5, 1.4, -0.3, 0.2, 0.0, -2.0], [0, 0, 0, 0, 0, 0],
    [3.0, 2.9, -1.0, 0.0, 0.5, -0.5], [1.0, -1.0, 0.3, 0.7, -0.2, 0.1], [4.0, 1.0, 0.0, -1.0, 0.5, 2.0], [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0],
    [0.1, 0.4, -0.2, 0.3, 0.0, 0.2], [2.5, 0.0, 1.0, -0.5, 0.3, 1.8], [5.0, 4.0, 0, 0, 0, 0], [1.2, -0.8, 0.6, 0.9, -0.4, 0.0], [-1.0, 0.5, 2.2, 0.1, 0.0, 1.1],
  ]
  static let epoMask: [Double] = [1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1]

  static func epoBatch() throws -> TokenBatch {
    try TokenBatch(rows: 3, columns: 5, logits: epoLogits.flatMap { $0 }, vocabulary: 6, labels: [Int](repeating: 1, count: 15),
                   oldLogProb: [Double](repeating: -1, count: 15), advantages: [Double](repeating: 0, count: 15), mask: epoMask)
  }

  /// The rows' turns are 24, 25 and 29, whose historical means (two runs, the second
  /// left-padded by two turns) are 0.78, 0.80, 0.83.
  static func epoLoss(_ mode: EntropySmoothing.Mode = .token, weight: Double = 1, smoothing: Bool = true) -> PolicyLoss {
    var loss = PolicyLoss(.reinforce)
    loss.entropyCoefficient = 0.001
    if smoothing { loss.entropySmoothing = EntropySmoothing(history: [0.78, 0.80, 0.83], weight: weight, mode: mode) }
    return loss
  }

  @Test func epoValues() throws {
    let b = try Self.epoBatch()
    let smooth = try Self.epoLoss().evaluate(b), plain = try Self.epoLoss(smoothing: false).evaluate(b)
    #expect(isClose(plain.loss, -0.0012251159838943249, 3e-9))
    #expect(isClose(smooth.loss, -0.001150115983956825, 3e-9))
    #expect(isClose(smooth.metric("entropy_smooth_penalty")!, 0.1 * 9 / 12, 3e-9))
    let penalties = EntropySmoothing(history: [0.78, 0.80, 0.83]).penalties(entropy: b.entropy!, mask: Self.epoMask, rows: 3, columns: 5)
    #expect(penalties == [0.1, 0.1, 0.1, 0.1, 0.1, 0, 0.1, 0, 0.1, 0.1, 0.1, 0.1, 0, 0.1, 0.1])
    let weighted = try Self.epoLoss(weight: EntropySmoothing.phaseWeight(epoch: 100)).evaluate(b)
    #expect(isClose(weighted.loss, -0.0012030432174424323, 3e-9))
    #expect(isClose(try Self.epoLoss(.seq).evaluate(b).loss, -0.0011834493172623803, 3e-9))
  }

  /// The released code's finding: the smoothing term shifts the loss but not one bit of its
  /// gradient, so EPO's update is the entropy bonus alone.
  @Test func epoSmoothingCarriesNoGradient() throws {
    let b = try Self.epoBatch()
    let smooth = try Self.epoLoss().evaluate(b), plain = try Self.epoLoss(smoothing: false).evaluate(b)
    #expect(smooth.loss != plain.loss)
    #expect(smooth.gradLogits! == plain.gradLogits!)
    #expect(smooth.gradLogProb == plain.gradLogProb)
    let g = smooth.gradLogits!
    let want = [3.2045332388010537e-05, -4.709050153716065e-06, -7.8594150184031569e-06, -7.8015896131375263e-06, -6.572489384822473e-06, -5.1027882179313462e-06]
    for j in 0..<6 { #expect(isClose(g[j], want[j], 1e-8), "∂L/∂z[0][\(j)]") }
  }

  @Test func epoPhaseWeights() throws {
    let cases: [(Int, Double)] = [(0, 1), (1, 0.994737149870629), (30, 0.88986579282344436), (75, 0.8270670566473225),
                                  (76, 0.76863155132185856), (100, 0.29430355293715388), (149, 0.041455133738180668), (200, 0.039829654694291158)]
    for (e, w) in cases { #expect(isClose(EntropySmoothing.phaseWeight(epoch: e), w, 1e-14), "w(\(e))") }
    var loss = Self.epoLoss()
    loss.entropySmoothing!.history = [0.8, 0.8]
    #expect(throws: LossError("EPO's entropy history has 2 values for 3 rows")) { try loss.evaluate(Self.epoBatch()) }
    loss.entropySmoothing!.history = []
    #expect(throws: LossError("EPO's smoothing needs the historical entropy of the samples' turn (entropy_history)")) { try loss.evaluate(Self.epoBatch()) }
    // One value serves every row.
    loss.entropySmoothing!.history = [0.8]
    let one = try loss.evaluate(Self.epoBatch())
    loss.entropySmoothing!.history = [0.8, 0.8, 0.8]
    #expect(try loss.evaluate(Self.epoBatch()).loss == one.loss)
  }
}
