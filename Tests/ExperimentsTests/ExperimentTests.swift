@testable import Experiments
import Foundation
import Reports
import SoftmaxCore
import Testing

@Suite struct ExperimentTests {
  static let context = ExperimentContext(quick: true, threads: 2, seed: 1)

  /// Experiments too slow for a debug build even when quick: they run their smoke configuration
  /// (the code path, not the claim), and `logitdyn reproduce` runs them in release.
  static let slowInDebug: Set<String> = Set(SequenceEntropyExperiments.experiments.map(\.name))

  /// Verdicts other than `holds` in the quick configuration, with why (every other experiment
  /// must hold): claims our measurements refute, and effects in the claimed direction that 8
  /// seeds do not make significant at p < 0.01.
  static let expected: [String: (Verdict, String)] = [
    "003-entropy-collapse": (.fails, "from uniform logits the bandit's entropy falls sigmoidally: under a third of the decline in the first quarter"),
    "002-exp2-clamp": (.fails, "clamping makes the late policy move more, but its late regret is lower, not higher"),
    "003-reward-entropy-law": (.fails, "the fit on the first 15% of steps extrapolates the final reward badly (error ≈ 0.8)"),
    "002-biased-advantages": (.inconclusive, "the bias raises the late regret at p ≈ 0.03 over 8 seeds"),
    "002-oq2-entropy-bonus": (.inconclusive, "the bonus lowers C(p) at p ≈ 0.011 over 8 seeds"),
    "002-oq3-normalized-step": (.inconclusive, "the normalised step lowers the late regret at p ≈ 0.035 over 8 seeds"),
  ]

  /// For claims that do not hold: a constant under which the same measurement holds (the
  /// verdict is computed, not fixed).
  static let holdsWith: [String: (String, Double)] = [
    "003-entropy-collapse": ("early share", 0.1),
  ]

  static var names: [String] { ExperimentRegistry.all.map(\.name).filter { !slowInDebug.contains($0) } }

  static func experiment(_ name: String) -> Experiment { ExperimentRegistry.all.first { $0.name == name }! }

  /// Every experiment runs in quick mode with finite evidence and the verdict it should have.
  @Test(arguments: names) func verdictInQuickMode(_ name: String) throws {
    let r = try Self.experiment(name).run(Self.context)
    #expect(!r.summary.isEmpty && !r.evidence.isEmpty, "\(name) reports no evidence")
    #expect(r.evidence.allSatisfy { $0.1.isFinite }, "\(name): non-finite evidence \(r.evidence)")
    let expected = Self.expected[name]?.0 ?? .holds
    #expect(r.verdict == expected, "\(name): \(r.verdict) — \(r.summary)")
    if let (constant, value) = Self.holdsWith[name] {
      #expect(try Self.experiment(name).setting(constant, to: value).run(Self.context).verdict == .holds, "\(name) with \(constant) = \(value)")
    }
  }

  /// Every constant of every experiment set to its wrong value makes the verdict fail.
  @Test(arguments: names) func wrongConstantFails(_ name: String) throws {
    for (constant, variant) in Self.experiment(name).wrongVariants {
      let r = try variant.run(Self.context)
      #expect(r.verdict == .fails, "\(name) with \(constant.name) = \(constant.wrong): \(r.verdict) — \(r.summary)")
    }
  }

  /// The RLVR experiments' smoke configuration runs end to end (one shared comparison and
  /// sweep) with finite evidence, tables and figures.
  @Test func rlvrSmokeConfiguration() throws {
    let smoke = ExperimentContext(smoke: true, threads: 2, seed: 1)
    for e in SequenceEntropyExperiments.experiments {
      let r = try e.run(smoke)
      #expect(r.evidence.allSatisfy { $0.1.isFinite }, "\(e.name): \(r.evidence)")
      #expect(!r.figures.isEmpty && !r.summary.isEmpty, "\(e.name)")
      for variant in e.wrongVariants { _ = try variant.1.run(smoke) }
    }
    #expect(try SequenceEntropyExperiments.collapse.run(smoke).summary.contains("2 seeds"))
    let control = try SequenceEntropyExperiments.controlBeatsGRPO.run(smoke)
    #expect(control.tables.count == 2 && control.tables[0].rows.count == 5, "base model and four arms")
    #expect(control.tables[0].markdown.hasPrefix("**Held-out results after 40 updates"))
  }

  /// The RLVR judges on measurements built by hand: the claimed constants hold where the
  /// effect is there, and the wrong constants (and absent effects) do not.
  @Test func rlvrJudgesCanFail() throws {
    let grpo = [0.40, 0.41, 0.42, 0.39, 0.40, 0.41, 0.40, 0.42]
    let better = grpo.map { $0 + 0.05 }, same = grpo.reversed().map { $0 + 0.001 }
    let pass1 = ["GRPO": grpo, "Clip-Cov": better, "KL-Cov": better.map { $0 - 0.01 }, "flat": same]
    #expect(SequenceEntropyExperiments.controlVerdict(pass1: pass1, arms: ["Clip-Cov", "KL-Cov"], direction: 1).0 == .holds)
    #expect(SequenceEntropyExperiments.controlVerdict(pass1: pass1, arms: ["Clip-Cov", "KL-Cov"], direction: -1).0 == .fails)
    #expect(SequenceEntropyExperiments.controlVerdict(pass1: pass1, arms: ["Clip-Cov", "flat"], direction: 1).0 == .inconclusive)
    #expect(SequenceEntropyExperiments.controlVerdict(pass1: ["GRPO": better, "Clip-Cov": grpo], arms: ["Clip-Cov"], direction: 1).0 == .fails)
    // The leaderboard: all six of seed 004's methods must beat GRPO; one flat method leaves it
    // inconclusive, one worse method fails it, the wrong direction fails it.
    var board = ["GRPO": grpo]
    for m in SequenceEntropyExperiments.seed004Methods { board[m] = better }
    #expect(SequenceEntropyExperiments.leaderboardVerdict(pass1: board, methods: SequenceEntropyExperiments.seed004Methods, direction: 1).0 == .holds)
    #expect(SequenceEntropyExperiments.leaderboardVerdict(pass1: board, methods: SequenceEntropyExperiments.seed004Methods, direction: -1).0 == .fails)
    board["EPO"] = same
    let (mixed, each) = SequenceEntropyExperiments.leaderboardVerdict(pass1: board, methods: SequenceEntropyExperiments.seed004Methods, direction: 1)
    #expect(mixed == .inconclusive && each["EPO"] == .inconclusive && each["SIREN"] == .holds)
    board["BAPO"] = grpo.map { $0 - 0.05 }
    #expect(SequenceEntropyExperiments.leaderboardVerdict(pass1: board, methods: SequenceEntropyExperiments.seed004Methods, direction: 1).0 == .fails)
    // bf16 against f32: a clear shift holds, a tight null fails under the bound, a noisy one is
    // inconclusive, and a huge (wrong) bound turns the noisy one into a fail.
    let f32 = [0.30, 0.31, 0.29, 0.30, 0.32, 0.28, 0.30, 0.31]
    #expect(SequenceEntropyExperiments.precisionVerdict(bf16: f32.map { $0 - 0.05 }, f32: f32, bound: 0.02).0 == .holds)
    #expect(SequenceEntropyExperiments.precisionVerdict(bf16: f32.reversed().map { $0 + 0.001 }, f32: f32, bound: 0.02).0 == .fails)
    let noisy = [0.20, 0.45, 0.25, 0.40, 0.22, 0.38, 0.30, 0.35]
    #expect(SequenceEntropyExperiments.precisionVerdict(bf16: noisy, f32: f32, bound: 0.02).0 == .inconclusive)
    #expect(SequenceEntropyExperiments.precisionVerdict(bf16: noisy, f32: f32, bound: 10).0 == .fails)
    // Truncated sampling: the mean ratio is the mean kept mass (exponent 1), not its square; no
    // truncation (every mass 1) has no bias to show.
    let logits: [Float] = (0..<200).map { Float(($0 * 37) % 11) * 0.4 - 2 }
    let nucleus = SequenceEntropyExperiments.truncatedDraws(logits, vocabulary: 10, topP: 0.9, topK: nil, seed: 3)
    let top = SequenceEntropyExperiments.truncatedDraws(logits, vocabulary: 10, topP: nil, topK: 3, seed: 4)
    #expect(nucleus.ratios.count == 20 && nucleus.kept.allSatisfy { $0 >= 0.9 && $0 <= 1 })
    #expect(SequenceEntropyExperiments.truncationVerdict([nucleus, top], exponent: 1) == .holds)
    #expect(SequenceEntropyExperiments.truncationVerdict([nucleus, top], exponent: 2) == .fails)
    #expect(SequenceEntropyExperiments.truncationVerdict([SequenceEntropyExperiments.truncatedDraws(logits, vocabulary: 10, topP: nil, topK: 10, seed: 5)], exponent: 1) == .fails)
    // The sweep: few tokens at the paper's ratio, more entropy at the largest.
    let low = [0.10, 0.12, 0.11, 0.09], high = [0.90, 0.95, 0.85, 0.92]
    #expect(SequenceEntropyExperiments.sweepVerdict(paperSelected: [0, 1], paperEntropy: [low, low], largestEntropy: [high, high], direction: 1).0 == .holds)
    #expect(SequenceEntropyExperiments.sweepVerdict(paperSelected: [0, 1], paperEntropy: [low, low], largestEntropy: [high, high], direction: -1).0 == .fails)
    #expect(SequenceEntropyExperiments.sweepVerdict(paperSelected: [3, 1], paperEntropy: [low, low], largestEntropy: [high, high], direction: 1).0 == .fails)
    // The law: points of R = −0.07·e^H + 0.6 with noise; the band at H = 0 holds the ceiling
    // 0.53, the value at the wrong ceiling entropy H = 1 (0.41) lies far below it.
    var points: [[(Double, Double)]] = []
    for i in 0..<8 {
      var seed: [(Double, Double)] = []
      for j in 0..<6 {
        let h = 1.4 - 0.2 * Double(j)
        let noise = 0.005 * (Double((i * 37 + j * 11) % 19) / 9 - 1)
        seed.append((h, -0.07 * Foundation.exp(h) + 0.6 + noise))
      }
      points.append(seed)
    }
    let atZero = SequenceEntropyExperiments.lawPrediction(points: points, at: 0, seed: 1)
    #expect(abs(atZero.fit.a - 0.07) < 0.01 && abs(atZero.fit.b - 0.6) < 0.01, "\(atZero.fit)")
    #expect(atZero.band.0 <= 0.53 && 0.53 <= atZero.band.1 && atZero.band.1 - atZero.band.0 < 0.05, "\(atZero.band)")
    let atOne = SequenceEntropyExperiments.lawPrediction(points: points, at: 1, seed: 1)
    #expect(!(atOne.band.0 <= 0.53 && 0.53 <= atOne.band.1), "\(atOne.band)")
    // Saturation: entropy and gain both come early (1 − e^(−t/100)) over 2000 updates.
    var curve: [(update: Int, entropy: Double, reward: Double)] = []
    for t in stride(from: 0, through: 2000, by: 50) {
      let decay = Foundation.exp(-Double(t) / 100)
      curve.append((update: t, entropy: 0.1 + 1.3 * decay, reward: 0.2 + 0.2 * (1 - decay)))
    }
    let at90 = SequenceEntropyExperiments.gainShares([curve, curve], fraction: 0.9), at10 = SequenceEntropyExperiments.gainShares([curve], fraction: 0.1)
    #expect(at90.shares.allSatisfy { $0 > 0.85 } && at90.updates == [250, 250], "\(at90)")
    #expect(at10.shares.allSatisfy { $0 < 0.5 } && at10.updates == [50], "\(at10)")
  }

  /// Formulas injected as functions: the norm's closed form and the paper's literal form.
  @Test func injectedFormulas() throws {
    let wrongNorm = LogitUpdateExperiments.normFormula { d, c, a, eta in
      // Forgets the collision term: η|A|√(1 − 2p_c + p_c²) = η|A|(1 − p_c).
      eta * abs(a) * (1 - d.probabilities[c])
    }
    #expect(try wrongNorm.run(Self.context).verdict == .fails)
    // The paper's literal form is the right formula: it holds too (to its digits away from p_c → 1).
    let literal = LogitUpdateExperiments.normFormula { d, c, a, eta in
      var collision = 0.0
      for p in d.probabilities { collision += p * p }
      return eta * abs(a) * (1 - 2 * d.probabilities[c] + collision).squareRoot()
    }
    #expect(try literal.run(Self.context).verdict == .holds)
    // The Lipschitz and co-coercivity constants are tight: 1% off either way fails.
    for (constant, value) in [("Lipschitz factor", 0.25), ("Lipschitz factor", 0.505), ("co-coercivity factor", 2.02), ("co-coercivity factor", 1.98)] {
      #expect(try SoftmaxGameExperiments.lipschitz.setting(constant, to: value).run(Self.context).verdict == .fails, "\(constant) = \(value)")
    }
  }

  @Test func constantsAreDeclaredOnce() throws {
    for e in ExperimentRegistry.all {
      #expect(Set(e.constants.map(\.name)).count == e.constants.count, "\(e.name)")
      #expect(e.constants.allSatisfy { $0.wrong != $0.value && !$0.meaning.isEmpty }, "\(e.name)")
      #expect(!e.setup.isEmpty, "\(e.name) states no setup")
    }
    #expect(throws: ExperimentError.self) { try Self.experiment("002-table1").setting("no such constant", to: 1) }
    #expect(throws: ExperimentError.self) { try Self.experiment("002-table1").setting("skewed row", to: .nan) }
    #expect(Set(ExperimentRegistry.all.map(\.name)).count == ExperimentRegistry.all.count)
  }

  @Test func welchTestMatchesReference() {
    // scipy.stats.ttest_ind([1, 2, 3, 4, 5], [2, 4, 6, 8, 11], equal_var=False):
    // t = −1.866277899263374, df = 5.573280030949771, two-sided p = 0.11499016052991898.
    let w = Stats.welch([1, 2, 3, 4, 5], [2, 4, 6, 8, 11])
    #expect(abs(w.t - -1.866277899263374) < 1e-12)
    #expect(abs(w.degreesOfFreedom - 5.573280030949771) < 1e-12)
    #expect(abs(2 * (1 - w.pGreater) - 0.11499016052991898) < 1e-10)
    #expect(w.verdict(direction: -1, alpha: 0.1) == .holds)
    #expect(w.verdict(direction: 1, alpha: 0.1) == .fails)
    #expect(w.verdict(direction: -1, alpha: 0.01) == .inconclusive)
    #expect(Verdict.all([.holds, .holds]) == .holds && Verdict.all([.holds, .inconclusive]) == .inconclusive && Verdict.all([.inconclusive, .fails, .holds]) == .fails)
    // Student's t at ν = 1 is Cauchy: P(T ≥ 1) = 1/4.
    #expect(abs(Stats.studentTUpperTail(1, 1) - 0.25) < 1e-12)
    #expect(abs(Stats.studentTUpperTail(0, 7) - 0.5) < 1e-12)
    // scipy.stats.t.sf(t, ν) and scipy.special.betainc(a, b, x).
    for (t, nu, p) in [(2.5, 3.0, 0.04385332350403278), (-1.3, 7.5, 0.8839366105921956), (10, 2, 0.004926228511662845),
                       (0.3, 40, 0.38286535838550956), (4, 1000, 3.400495960439082e-05)] {
      #expect(abs(Stats.studentTUpperTail(t, nu) - p) <= 1e-11 * max(p, 1e-3), "t = \(t), ν = \(nu)")
    }
    for (x, a, b, i) in [(0.3, 2.0, 5.0, 0.5798250000000003), (0.9, 0.5, 0.5, 0.7951672353008665), (0.01, 10, 0.5, 1.770034965528571e-21)] {
      #expect(abs(Stats.regularizedIncompleteBeta(x, a, b) - i) <= 1e-12 * i, "I_\(x)(\(a), \(b))")
    }
  }

  @Test func selectionByPrefix() throws {
    #expect(try ExperimentRegistry.select(["002-"]).allSatisfy { $0.name.hasPrefix("002-") })
    #expect(throws: ExperimentError.self) { try ExperimentRegistry.select(["999"]) }
  }
}
