import Experiments
import Foundation
import Reports
import SoftmaxCore
import Testing

@Suite struct ExperimentTests {
  static let context = ExperimentContext(quick: true, threads: 2, seed: 1)

  /// The experiments that check a mathematical statement (not an empirical question).
  static let theorems: Set<String> = [
    "002-table1", "002-norm-formula", "002-zero-sum", "002-oq3-normalized-step", "003-first-order-entropy",
    "000-softmax-is-gradient", "000-lipschitz-cocoercive", "000-entropy-pg-to-qre", "000-qre-branch",
  ]

  /// Experiments too slow for a debug build (minutes); the RLVR module's own tests cover its
  /// trainer, and `logitdyn reproduce` runs them in release.
  static let slowInDebug: Set<String> = ["003-rlvr-entropy-collapse"]

  /// Every registered experiment runs in quick mode with evidence; the mathematical ones hold.
  @Test func everyExperimentRunsAndTheTheoremsHold() throws {
    var failures: [String] = []
    for e in ExperimentRegistry.all where !Self.slowInDebug.contains(e.name) {
      let r = try e.run(Self.context)
      if Self.theorems.contains(e.name), r.verdict != .holds { failures.append("\(e.name): \(r.verdict) — \(r.summary)") }
      #expect(!r.summary.isEmpty && !r.evidence.isEmpty, "\(e.name) reports no evidence")
      #expect(r.evidence.allSatisfy { !$0.1.isNaN }, "\(e.name): NaN evidence \(r.evidence)")
    }
    #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
  }

  /// A deliberately wrong formula makes the verdict fail: the verdicts are computed.
  @Test func wrongFormulasFail() throws {
    let wrongNorm = Seed002.normFormula { d, c, a, eta in
      // Forgets the collision term: η|A|√(1 − 2p_c + p_c²) = η|A|(1 − p_c).
      eta * abs(a) * (1 - d.probabilities[c])
    }
    #expect(try wrongNorm.run(Self.context).verdict == .fails)
    let paperConstant = Seed000.lipschitz { $0 / 4 }  // claims a constant smaller than the tight β/2
    #expect(try paperConstant.run(Self.context).verdict == .fails)
    // The constants are tight: 1% looser or 1% tighter, either one, fails.
    #expect(try Seed000.lipschitz(lipschitzConstant: { 1.01 * $0 / 2 }).run(Self.context).verdict == .fails)
    #expect(try Seed000.lipschitz(cocoercivityConstant: { 1.01 * 2 / $0 }).run(Self.context).verdict == .fails)
    #expect(try Seed000.lipschitz(cocoercivityConstant: { 0.99 * 2 / $0 }).run(Self.context).verdict == .fails)
    #expect(try Seed000.lipschitz().run(Self.context).verdict == .holds)
    #expect(try Seed002.normFormula().run(Self.context).verdict == .holds)
    // The paper's literal form is the right formula: it holds too (to its digits away from p_c → 1).
    let literal = Seed002.normFormula { d, c, a, eta in
      var collision = 0.0
      for p in d.probabilities { collision += p * p }
      return eta * abs(a) * (1 - 2 * d.probabilities[c] + collision).squareRoot()
    }
    #expect(try literal.run(Self.context).verdict == .holds)
    // A zero-sum check that demanded the network's sum be of the order of its norm fails.
    #expect(try Seed002.zeroSum(breakRatio: 10).run(Self.context).verdict == .fails)
    #expect(try Seed002.zeroSum().run(Self.context).verdict == .holds)
  }

  @Test func selectionByPrefix() throws {
    #expect(try ExperimentRegistry.select(["002-"]).allSatisfy { $0.name.hasPrefix("002-") })
    #expect(throws: ExperimentError.self) { try ExperimentRegistry.select(["999"]) }
  }
}
