import Foundation
import PolicyLosses
import Testing
import _TestSupport

/// BAPO against cases taken by hand from the official code's formulas (`WooooDyy/BAPO` @
/// 7287044, `recipe/bapo/policy_loss.py` L21–181), transcribed to float64 numpy. The official
/// token-mean divides by `Σm + 1e-8`, ours by `Σm`: a relative 1e-9, inside the tolerance.
@Suite struct BalancedClippingTests {

  /// 2 × 5, the last column padded: ratios 1.93, 1.38, 0.5, 1, (9), 0.55, 2.5, 1.1, 3.5, (0.1).
  static func batch() -> TokenBatch {
    TokenBatch(rows: 2, columns: 5,
               logProb: [-0.54247999708320582, -0.37791650083088674, -2.6931471805599454, -0.29999999999999999, -2.8027754226637804,
                         -2.0978370007556206, 0.016290731874155084, -0.30468982019567509, -0.94723703150463212, -6.302585092994045],
               oldLogProb: [-1.2, -0.7, -2, -0.3, -5, -1.5, -0.9, -0.4, -2.2, -4],
               advantages: [3, 1, 1, 0, 7, -1, -1, -1, -0.5, -7], mask: [1, 1, 1, 1, 0, 1, 1, 1, 1, 0])
  }

  static func loss(_ bapo: BalancedClipping) -> PolicyLoss {
    var loss = PolicyLoss(.ppoDefault)
    loss.balancedClipping = bapo
    return loss
  }

  /// The yaml's search: `c_low` 0.6 → 0.8 in four steps (the statistic falls 0.891 → 0.862),
  /// then `c_high` 1.2 → 1.45 in five (0.894 … 1.013 ≥ 1).
  @Test func yamlSearchAndLoss() throws {
    let bapo = BalancedClipping()
    let b = bapo.bounds(Self.batch(), dualClip: 3, logRatioClamp: 20)
    #expect(b.low == 0.8 && b.high == 1.4500000000000002 && b.steps == 9)
    #expect(isClose(b.statistic, 1.0130081284341332, 3e-9))
    let r = try Self.loss(bapo).evaluate(Self.batch())
    #expect(isClose(r.loss, -0.041249999948437505, 3e-9))
    #expect(isClose(r.metric("pg_clipfrac")!, 0.25, 3e-9) && isClose(r.metric("pg_clipfrac_lower")!, 0.125, 3e-9))
    #expect(isClose(r.metric("ppo_kl")!, -0.24412289981287003, 3e-9))
    #expect(r.metric("bapo_clip_high") == 1.4500000000000002)
    let want = [0, -0.17249999978437497, -0.062499999921874987, 0, 0, 0, 0.31249999960937497, 0.137499999828125, 0, 0]
    for i in 0..<10 { #expect(isClose(r.gradLogProb[i], want[i], 3e-9), "∂loss/∂ℓ at \(i)") }
  }

  /// The example script (target 0.5, `c_low` 0.8 → 0.95): the start already meets it, no search;
  /// with target 1 the script's steps end at (0.95, 1.5).
  @Test func scriptSettings() throws {
    let script = BalancedClipping(target: 0.5, lowerStart: 0.8, lowerMax: 0.95, upperStep: 0.1)
    let b = script.bounds(Self.batch(), dualClip: 3, logRatioClamp: 20)
    #expect(b.steps == 0 && b.low == 0.8 && b.high == 1.2)
    #expect(isClose(try Self.loss(script).evaluate(Self.batch()).loss, 0.074999999906250059, 3e-9))
    var one = script
    one.target = 1
    let c = one.bounds(Self.batch(), dualClip: 3, logRatioClamp: 20)
    #expect(c.low == 0.94999999999999996 && c.high == 1.5000000000000002)
    #expect(isClose(c.statistic, 1.0126984110909552, 3e-9))
    #expect(isClose(try Self.loss(one).evaluate(Self.batch()).loss, -0.041249999948437616, 3e-9))
  }

  /// METHODS.md's caveat: as `c_low` rises the value statistic falls and the
  /// gradient-carrying one rises.
  @Test func valueAndGradientStatisticsMoveApart() {
    let r = [1.5, 1.1, 0.9, 0.65, 0.75, 0.95, 1.05, 0.5]
    let batch = TokenBatch(rows: 1, columns: 8, logProb: r.map { Foundation.log($0) }, oldLogProb: [Double](repeating: 0, count: 8),
                           advantages: [1, 1, 1, -1, -1, -1, -1, -1], mask: [Double](repeating: 1, count: 8))
    let cases: [(Double, Double, Double)] = [(0.6, 0.79999999799999999, 0.58823529411764708), (0.7, 0.7710843354913629, 0.72727272727272729),
                                             (0.8, 0.72727272561983458, 1), (0.9, 0.68085106238116788, 1)]
    for (low, value, gradient) in cases {
      let fixed = BalancedClipping(lowerStart: low, lowerMax: low, upperStart: 1.2, upperMax: 1.2)
      var g = fixed
      g.statistic = .gradient
      #expect(isClose(fixed.bounds(batch, dualClip: 3, logRatioClamp: 20).statistic, value, 1e-12), "value at c_low \(low)")
      #expect(isClose(g.bounds(batch, dualClip: 3, logRatioClamp: 20).statistic, gradient, 1e-7), "gradient at c_low \(low)")
    }
    // The yaml's search never meets the target here: (0.8, 2.0), the statistic saturated.
    let b = BalancedClipping().bounds(batch, dualClip: 3, logRatioClamp: 20)
    #expect(b.low == 0.8 && b.high == 2 && isClose(b.statistic, 0.79545454364669421, 3e-9))
  }

  /// The losses by name: aliases, defaults, and refusals naming the bad parameter.
  @Test func lossesByName() throws {
    #expect(try PolicyLoss(named: "grpo") == PolicyLoss(.ppoDefault))
    #expect(try PolicyLoss(named: "clip-cov", parameters: ["clip_cov_ratio": "0.1"]) == PolicyLoss(named: "clip_cov", parameters: ["clip_cov_ratio": "0.1"]))
    #expect(try PolicyLoss(named: "bapo").balancedClipping == BalancedClipping())
    #expect(try PolicyLoss(named: "lp_reg").lowProbability == LowProbabilityRegularization())
    #expect(throws: LossError.self) { try PolicyLoss(named: "magic") }
    do { _ = try PolicyLoss(named: "bapo", parameters: ["ratio_lower_sta": "0.7"]) } catch {
      #expect(error.description.contains("unknown parameter 'ratio_lower_sta'") && error.description.contains("ratio_lower_start"))
    }
    do { _ = try PolicyLoss(named: "bapo", parameters: ["ratio_lower_start": "x"]) } catch {
      #expect(error.description.contains("ratio_lower_start must be a finite number"))
    }
  }

  @Test func refusals() {
    var loss = PolicyLoss(.reinforce)
    loss.balancedClipping = BalancedClipping()
    #expect(throws: LossError("BAPO adapts the clip of the vanilla (PPO-clip) surrogate")) { try loss.evaluate(Self.batch()) }
    #expect(throws: LossError.self) { try Self.loss(BalancedClipping(lowerStart: 0.9, lowerMax: 0.8)).evaluate(Self.batch()) }
  }
}
