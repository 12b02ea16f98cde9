import Foundation
import PolicyLosses
import Testing

/// CANON's advantages against cases taken by hand from the official code's formulas
/// (`biuboomc/CANON` @ 7d6f814, `core_algos.py` L281–459, L474–489), transcribed to float64
/// numpy: two interleaved groups of 4 (A) and 5 (B, a tie in the metric), one all-equal group
/// and a singleton.
@Suite struct CANONAdvantageTests {
  static let groups = ["A", "B", "A", "B", "B", "A", "B", "A", "B"]
  static let scores: [Double] = [1, 1, 1, 1, 0, 1, 0, 0, 0.7]
  static let entropy: [Double] = [0.42, 0.90, 0.31, 0.55, 0.55, 0.77, 0.20, 0.65, 1.30]
  static let length: [Double] = [812, 1500, 640, 2048, 300, 1200, 950, 400, 4096]

  static func check(_ got: [Double], _ want: [Double], _ label: String) {
    for i in want.indices { #expect(abs(got[i] - want[i]) <= 1e-15 * max(1, abs(want[i])), "\(label) response \(i): \(got[i]) against \(want[i])") }
  }

  @Test func entropySplit() {
    let c = CANONAdvantage()
    Self.check(c.advantages(scores: Self.scores, groups: Self.groups, metric: Self.entropy),
               [0.5, 0.5, 0.5, 0.43333333333333335, -0.5, 0, -0.56666666666666665, -1, 0.19999999999999996], "default")
    let odd = CANONAdvantage(interWeight: 0.7, alpha: 1.2, beta: 0.1)
    Self.check(odd.advantages(scores: Self.scores, groups: Self.groups, metric: Self.entropy),
               [0.42, 0.48, 0.42, 0.52333333333333332, -0.52, 0.080000000000000057, -0.6166666666666667, -0.92, 0.18], "α 1.2 β 0.1 λ 0.7")
    let half = CANONAdvantage(interWeight: 0.5)
    Self.check(half.advantages(scores: Self.scores, groups: Self.groups, metric: Self.entropy),
               [0.25, 0.46666666666666667, 0.25, 0.46666666666666667, -0.53333333333333333, 0.25, -0.53333333333333333, -0.75, 0.16666666666666663], "λ 0.5")
    // L_max divides: the script's 8192 under seq-mean-token-sum.
    let scaled = CANONAdvantage(normalizer: 8192).advantages(scores: Self.scores, groups: Self.groups, metric: Self.entropy)
    Self.check(scaled, [6.103515625e-05, 6.103515625e-05, 6.103515625e-05, 5.2897135416666668e-05, -6.103515625e-05, 0,
                        -6.9173177083333332e-05, -0.0001220703125, 2.4414062499999995e-05], "L_max 8192")
    // Group sums: zero for the even group, λ(|L| − |S|)(μ_L − αμ_S + β) = 0.0667 for the odd one.
    let a = c.advantages(scores: Self.scores, groups: Self.groups, metric: Self.entropy)
    #expect(abs([0, 2, 5, 7].reduce(0.0) { $0 + a[$1] }) < 1e-15)
    #expect(abs([1, 3, 4, 6, 8].reduce(0.0) { $0 + a[$1] } - 0.066666666666666652) < 1e-15)
  }

  @Test func lengthSplit() {
    Self.check(CANONAdvantage(metric: .length).advantages(scores: Self.scores, groups: Self.groups, metric: Self.length),
               [0.5, 1, 0, 1, -0.9, 0.5, -0.9, -1, 0.7], "length default")
    Self.check(CANONAdvantage(metric: .length, interWeight: 0.7, alpha: 1.2, beta: 0.1).advantages(scores: Self.scores, groups: Self.groups, metric: Self.length),
               [0.56, 0.94, -0.059999999999999915, 0.94, -0.82600000000000007, 0.56, -0.82600000000000007, -1.06, 0.59799999999999986], "length α 1.2")
  }

  @Test func equalRewardsAndSingletons() {
    let groups = ["C", "C", "C", "D"], scores: [Double] = [1, 1, 1, 1], metric = [0.3, 0.1, 0.2, 0.5]
    Self.check(CANONAdvantage().advantages(scores: scores, groups: groups, metric: metric), [0, 0, 0, 1], "α 1")
    Self.check(CANONAdvantage(alpha: 1.2).advantages(scores: scores, groups: groups, metric: metric),
               [-0.19999999999999996, 0.19999999999999996, -0.19999999999999996, 1], "α 1.2")
    Self.check(CANONAdvantage(beta: 0.1).advantages(scores: scores, groups: groups, metric: metric),
               [0.10000000000000001, -0.10000000000000001, 0.10000000000000001, 1.1], "β 0.1")
  }

  @Test func cosineRestartSchedule() {
    let table: [(Int, Double, Double)] = [(0, 0.02, 0.96666666666666667), (1, 0.04, 0.93333333333333335), (29, 0.6, 0), (30, 0.6, 0),
                                          (31, 0.59907520011993842, 0.00092479988006155533), (50, 0.3, 0.30000000000000004),
                                          (69, 0.00092479988006161085, 0.59907520011993842), (70, 0.6, 0), (150, 0.6, 0)]
    for (e, forward, reverse) in table {
      #expect(abs(CANONAdvantage.cosineWithRestart(e, total: 150, maximum: 0.6, minimum: 0, warmup: 30) - forward) < 1e-15, "cosine_restart at \(e)")
      #expect(abs(1 - CANONAdvantage.cosineWithRestart(e, total: 150, maximum: 1, minimum: 0.4, warmup: 30) - reverse) < 1e-15, "cosine_restart_r at \(e)")
    }
    // A run shorter than its cycles (total − warmup < cycles) restarts every epoch instead of
    // dividing by a zero-length cycle.
    for e in 0..<6 {
      let w = CANONAdvantage.cosineWithRestart(e, total: 4, maximum: 0.6, minimum: 0, warmup: 2)
      #expect(w.isFinite && w >= 0 && w <= 0.6)
    }
  }
}
