import Foundation
import PolicyLosses
import Testing
import _TestSupport

/// Lp-Reg against cases taken by hand from the official code's formulas
/// (`CarlanLark/Lp-Reg-dev` @ 33b27e2: `apply_min_p` in `dp_actor.py` L76–110, then `/T` and
/// `log_softmax`; `compute_policy_loss_lp_reg` in `core_algos.py` L648–745), transcribed to
/// float64 numpy. The official token-mean divides by `Σm + 1e-8`, ours by `Σm` (today's verl):
/// a relative difference of 1e-9, inside the tolerance.
@Suite struct LowProbabilityRegularizationTests {
  /// The old policy's raw logits `[2][5][6]` of the three cases.
  static let z: [[[Double]]] = [
    [[3, 1, 0, -1, -2, -4], [2, 2, -1, -2, -3, -3], [0.5, 0, -0.5, -1, -4, -5], [4, 0, 0, -1, -1, -2], [1, 0, 0, 0, 0, 0]],
    [[2, 1, 0, -2, -3, -5], [3, 2, 1, -3, -4, -4], [1, 1, 1, -2, -2, -6], [0, 0, 0, 0, 0, -5], [0, 0, 0, 0, 0, 0]],
  ]
  static let mask: [Double] = [1, 1, 1, 1, 1, 1, 1, 1, 1, 0]

  struct Case {
    var ids: [Int], advantages: [Double], logProb: [Double], temperature: Double, minP: Double
    var oldLogProb: [Double], proxy: [Double]
  }

  /// Case 1 (the script's settings but `ρ_neg` 0.5): flat 3 is a candidate the filter removed
  /// (proxy −10004), flat 1 is pulled; the positives' `k = ⌊4·0⌋ → 1` regularise nothing.
  static let first = Case(
    ids: [1, 2, 3, 1, 0, 3, 1, 0, 5, 0], advantages: [-1, -1, -1, -1, -1, 0.5, 0.5, 0.5, 0.5, 0.5],
    logProb: [-2.2, -3.8, -2.9, -4.3, -1.2, -4.0, -1.0, -1.6, -7.5, -1.0], temperature: 1, minP: 0.02,
    oldLogProb: [-2.1915189800736417, -3.7331265487726353, -2.2942297719882396, -4.051249921201638, -1.0435917781858577,
                 -4.424731769749055, -1.4104640860485538, -1.1315588794285856, -6.610784594650238, -1.791759469228055],
    proxy: [-2.1698460195562856, -3.7177359186667025, -2.2873386716983295, -10004.0, -1.0435917781858577,
            -10002.407605964445, -1.4076059644443804, -1.1312647268077178, -10001.609437912433, -1.791759469228055])

  /// Case 2 (T = 0.7, κ = 0.1, both ratios 0.5, β = 0.5, ε 0.2/0.28): flat 2 lies 2.84 below
  /// its proxy, past the k3 clamp at 10 (no pull, and no PPO clip either); flat 8 is a
  /// selected positive-advantage token.
  static let second = Case(
    ids: [1, 2, 3, 1, 0, 3, 1, 1, 2, 0], advantages: [-0.8, -0.8, -0.8, -0.8, -0.8, 1.2, 1.2, 1.2, 1.2, 1.2],
    logProb: [-1.9, -4.4, -5.6, -3.5, -1.3, -6.0, -0.9, -1.3, -2.2, -1.0], temperature: 0.7, minP: 0.1,
    oldLogProb: [-2.929771194185058, -4.988139924508774, -2.7572389973879887, -5.72261833535503, -0.7876639466989105,
                 -5.977586502937664, -1.6889058630920248, -1.1077612996710124, -1.6095959980025425, -1.791759469228055],
    proxy: [-2.912986770046521, -14289.26457575199, -2.7561555222428353, -14291.428571428572, -0.7876639466989105,
            -14288.831546974074, -1.6886898312161733, -1.0986122886681098, -1.6094379124341003, -1.791759469228055])

  static func batch(_ c: Case) -> TokenBatch {
    var b = TokenBatch(rows: 2, columns: 5, logProb: c.logProb, oldLogProb: c.oldLogProb, advantages: c.advantages, mask: mask)
    b.proxyLogProb = c.proxy
    return b
  }

  /// The min-p proxy of the official `apply_min_p` (raw logits, then `/T`), at both temperatures.
  @Test(arguments: [first, second]) func proxyMatchesTheOfficialFilter(_ c: Case) {
    for i in 0..<10 {
      let row = Self.z[i / 5][i % 5]
      let value = row.withUnsafeBufferPointer {
        LowProbabilityRegularization.proxyLogProb($0, label: c.ids[i], minP: c.minP, temperature: c.temperature)
      }
      #expect(isClose(value, c.proxy[i], 1e-12), "position \(i): \(value) against \(c.proxy[i])")
    }
  }

  @Test func firstCase() throws {
    var loss = PolicyLoss(LowProbabilityRegularization.scriptSurrogate)
    loss.lowProbability = LowProbabilityRegularization(negativeRatio: 0.5)
    let r = try loss.evaluate(Self.batch(Self.first))
    #expect(isClose(r.loss, 0.23046213475246977, 3e-9))
    #expect(r.selectedMask == [0, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    #expect(r.metric("lp_reg_selected") == 1)
    #expect(r.metric("pg_clipfrac") == 0)
    let expected = [0.11017276015184102, 0.09439678437630691, 0.06062822068351066, 0.08664164782561697, 0.09502333364151534,
                    -0.08495445503124106, -0.08375095771337839, -0.03477651836507614, -0.02283211539072219, 0.0]
    for i in 0..<10 { #expect(isClose(r.gradLogProb[i], expected[i], 3e-9), "∂loss/∂ℓ at \(i)") }
  }

  @Test func secondCaseCrossesTheKThreeClamp() throws {
    var loss = PolicyLoss(.vanilla(clipLow: 0.2, clipHigh: 0.28, dualClip: nil, logRatioClamp: nil))
    loss.lowProbability = LowProbabilityRegularization(negativeRatio: 0.5, positiveRatio: 0.5, coefficient: 0.5, minP: 0.1)
    let r = try loss.evaluate(Self.batch(Self.second))
    #expect(isClose(r.loss, 1.3883775667791023, 3e-9))
    #expect(r.selectedMask == [0, 0, 1, 0, 0, 0, 0, 0, 1, 0])
    #expect(isClose(r.metric("pg_clipfrac")!, 3.0 / 9, 3e-9))
    let expected = [0.24892666708904265, 0.16005653134378775, 0.00517907333084417, 0.8205751399446988, 0.0,
                    -0.13037810908258893, 0.0, -0.11001465200854699, -0.11860282283563722, 0.0]
    for i in 0..<10 { #expect(isClose(r.gradLogProb[i], expected[i], 3e-9), "∂loss/∂ℓ at \(i)") }
  }

  /// At the recipe's `ρ_neg` 0.01, five negative tokens give `k = 1`: the gate leaves plain PPO.
  @Test func recipeRatioOnASmallBatchIsPlainPPO() throws {
    var loss = PolicyLoss(LowProbabilityRegularization.scriptSurrogate)
    loss.lowProbability = LowProbabilityRegularization()
    let r = try loss.evaluate(Self.batch(Self.first))
    let plain = try PolicyLoss(LowProbabilityRegularization.scriptSurrogate).evaluate(Self.batch(Self.first))
    #expect(isClose(r.loss, 0.2300756442010822, 3e-9))
    #expect(r.loss == plain.loss && r.gradLogProb == plain.gradLogProb)
    #expect(isClose(r.gradLogProb[1], 0.10392372839901594, 3e-9))
    #expect(r.metric("lp_reg_selected") == 0)
  }

  /// With logits and no proxy column the batch's own logits form the proxy; `∂loss/∂z` then
  /// matches central differences of the loss (proxy and selection held fixed, as detached).
  @Test func proxyFromLogitsAndLogitGradient() throws {
    let logits = Self.z.flatMap { $0.flatMap { $0 } }
    let c = Self.first
    var b = try TokenBatch(rows: 2, columns: 5, logits: logits, vocabulary: 6, labels: c.ids, oldLogProb: c.logProb, advantages: c.advantages, mask: Self.mask)
    var loss = PolicyLoss(LowProbabilityRegularization.scriptSurrogate)
    loss.lowProbability = LowProbabilityRegularization(negativeRatio: 0.5, minP: 0.02)
    let r = try loss.evaluate(b)
    let proxy = try LowProbabilityRegularization.proxyLogProbs(b, minP: 0.02)
    b.proxyLogProb = proxy
    let fixed = try loss.evaluate(b)
    #expect(fixed.loss == r.loss)
    #expect(r.metric("lp_reg_selected")! >= 1, "the case must exercise the pull")
    let g = try #require(r.gradLogits)
    let h = 1e-6
    for i in [0, 7, 13, 20, 31, 47] {
      var up = logits, down = logits
      up[i] += h
      down[i] -= h
      func value(_ z: [Double]) throws -> Double {
        var x = try TokenBatch(rows: 2, columns: 5, logits: z, vocabulary: 6, labels: c.ids, oldLogProb: c.logProb, advantages: c.advantages, mask: Self.mask)
        x.proxyLogProb = proxy
        return try loss.evaluate(x).loss
      }
      let numeric = (try value(up) - value(down)) / (2 * h)
      #expect(abs(numeric - g[i]) < 1e-7, "∂loss/∂z[\(i)]: \(g[i]) against \(numeric)")
    }
  }

  /// Hand-built selections: every token negative (the positive branch has nothing), ties at
  /// the k-th log-prob broken by position, candidates above their proxy dropped, `A = 0`
  /// never a candidate.
  @Test func selectionRules() throws {
    // Six negative tokens with log-probs −3, −3, −3, −1, −2, −3 (ties), one A = 0 token at −9.
    let l: [Double] = [-3, -3, -3, -1, -2, -3, -9]
    var b = TokenBatch(rows: 1, columns: 7, logProb: l, oldLogProb: l, advantages: [-1, -1, -1, -1, -1, -1, 0], mask: [1, 1, 1, 1, 1, 1, 1])
    b.proxyLogProb = [-2, -2, -4, -0.5, -1, -2, -1]
    var loss = PolicyLoss(LowProbabilityRegularization.scriptSurrogate)
    loss.lowProbability = LowProbabilityRegularization(negativeRatio: 0.5, positiveRatio: 0.5)
    // k = ⌊6 · 0.5⌋ = 3 smallest: positions 0, 1, 2 (the ties at −3 by position; 5 is the fourth);
    // position 2 lies above its proxy (−3 > −4) and is dropped.
    let r = try loss.evaluate(b)
    #expect(r.selectedMask == [1, 1, 0, 0, 0, 0, 0], "\(r.selectedMask)")
    // Each pulled token: −A r + β(e^x − x − 1) with x = 1, r = 1: 1 + (e − 2).
    let plain = try PolicyLoss(LowProbabilityRegularization.scriptSurrogate).evaluate(b)
    #expect(abs((r.loss - plain.loss) * 7 - 2 * (Foundation.exp(1) - 2)) < 1e-12)
    // Every candidate above its proxy: nothing selected.
    b.proxyLogProb = [Double](repeating: -10, count: 7)
    #expect(try loss.evaluate(b).selectedMask.allSatisfy { $0 == 0 })
  }

  @Test func badParametersAreRefused() {
    var loss = PolicyLoss(LowProbabilityRegularization.scriptSurrogate)
    loss.lowProbability = LowProbabilityRegularization(negativeRatio: 1.5)
    #expect(throws: LossError.self) { try loss.evaluate(Self.batch(Self.first)) }
    loss.lowProbability = LowProbabilityRegularization(minP: 0)
    #expect(throws: LossError.self) { try loss.evaluate(Self.batch(Self.first)) }
    loss.lowProbability = LowProbabilityRegularization()
    let noProxy = TokenBatch(rows: 2, columns: 5, logProb: Self.first.logProb, oldLogProb: Self.first.oldLogProb, advantages: Self.first.advantages, mask: Self.mask)
    #expect(throws: LossError("Lp-Reg needs proxy_log_prob or logits to form the min-p proxy")) { try loss.evaluate(noProxy) }
  }
}
