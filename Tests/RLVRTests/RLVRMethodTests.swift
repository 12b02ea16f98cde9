import Foundation
import PolicyLosses
import RLVR
import Testing

/// The seed-004 methods in the RLVR trainer: every named method trains, each one's state is
/// fed (Lp-Reg's proxy, SIREN's anchor, EPO's history, AEPO's injection), and each one's "off"
/// setting is GRPO's run exactly.
@Suite struct RLVRMethodTests {
  static let trainer: (RLVRTrainer, SequencePolicy) = {
    let t = try! RLVRTrainer(.small(sftSteps: 30, updates: 4, evalEvery: 2, evalPrompts: 6, evalSamples: 4))
    return (t, t.pretrain())
  }()

  /// A task the small base solves often enough that AEPO's extra groups hold positives.
  static let easy: (RLVRTrainer, SequencePolicy) = {
    var s = trainer.0.settings
    s.task = .digitSum
    s.hidden = 32
    s.sftSteps = 300
    s.promptsPerUpdate = 16
    let t = try! RLVRTrainer(s)
    return (t, t.pretrain())
  }()

  static func run(_ method: RLVRMethod, on setup: (RLVRTrainer, SequencePolicy) = trainer) throws -> (records: [UpdateRecord], evaluations: [Evaluation], policy: SequencePolicy) {
    var records: [UpdateRecord] = [], evaluations: [Evaluation] = []
    let policy = try setup.0.train(from: setup.1, method: method) { r, e in
      records.append(r)
      if let e { evaluations.append(e) }
      return true
    }
    return (records, evaluations, policy)
  }

  static func named(_ name: String, _ settings: [String] = []) throws -> RLVRMethod {
    try RLVRMethod.named(name, parameters: try RLVRMethod.parse(settings))
  }

  @Test(arguments: RLVRMethod.names) func everyMethodTrains(_ name: String) throws {
    let r = try Self.run(try Self.named(name))
    #expect(r.records.count == 5 && r.evaluations.count == 3)
    #expect(r.records.dropFirst().allSatisfy { $0.loss.isFinite && $0.meanTokenEntropy.isFinite }, "\(name)")
    #expect(r.policy.parameters.allSatisfy { $0.isFinite })
  }

  /// Each method's "off" setting leaves GRPO's run, bit for bit.
  @Test(arguments: [
    ("lp-reg", ["logp_neg_k_percent=0"]), ("siren", ["entropy_coeff=0"]), ("epo", ["entropy_coeff=0"]),
    ("bapo", ["ratio_lower_start=0.8", "ratio_upper_max=1.2"]), ("aepo", ["reinforce_sample_num=0"]),
  ]) func offIsGRPO(_ name: String, _ settings: [String]) throws {
    let grpo = try Self.run(try Self.named("grpo")), off = try Self.run(try Self.named(name, settings))
    #expect(off.policy.parameters == grpo.policy.parameters, "\(name) off")
    #expect(off.records.map(\.loss).dropFirst().elementsEqual(grpo.records.map(\.loss).dropFirst()))
  }

  /// The methods' own state reaches the loss: Lp-Reg selects tokens against the rollout's
  /// proxy, AEPO injects rows (its first update samples hot: the code's metric starts at 0),
  /// and both change the run.
  @Test func methodStateIsFed() throws {
    let grpo = try Self.run(try Self.named("grpo"))
    let lp = try Self.run(try Self.named("lp-reg", ["logp_neg_k_percent=0.5"]))
    #expect(lp.records.dropFirst().contains { $0.selectedPerMiniBatch > 0 })
    #expect(lp.policy.parameters != grpo.policy.parameters)
    let aepo = try Self.run(try Self.named("aepo", ["reinforce_sample_num=8"]), on: Self.easy)
    #expect(aepo.records.dropFirst().contains { $0.injected > 0 } && aepo.records.allSatisfy { $0.injected <= 8 }, "\(aepo.records.map(\.injected)) \(aepo.records.map(\.trainAccuracy))")
    #expect(aepo.policy.parameters != (try Self.run(try Self.named("grpo"), on: Self.easy)).policy.parameters)
    // SIREN's anchor is its first rollout's statistic: the first update's term starts near 0.
    let siren = try Self.run(try Self.named("siren", ["entropy_coeff=5"]))
    #expect(siren.policy.parameters != grpo.policy.parameters)
    // CANON at λ = 0.5 on even groups is Dr. GRPO up to rounding.
    let canon = try Self.run(try Self.named("canon", ["_lambda=0.5"])), dr = try Self.run(try Self.named("dr-grpo"))
    for (a, b) in zip(canon.records.dropFirst(), dr.records.dropFirst()) { #expect(abs(a.loss - b.loss) < 1e-6 * max(1, abs(b.loss))) }
  }

  @Test func badNamesAndParametersAreRefused() {
    #expect(throws: LossError.self) { try Self.named("no-such-method") }
    #expect(throws: LossError.self) { try Self.named("canon", ["canon_metric=median"]) }
    #expect(throws: LossError.self) { try Self.named("aepo", ["reinforce_sample_num=-1"]) }
    #expect(throws: LossError.self) { try Self.named("lp-reg", ["logp_neg_k_percent=2"]) }
    #expect(throws: LossError.self) { try RLVRMethod.parse(["nonsense=1"]) }
    do {
      _ = try RLVRMethod.parse(["nonsense=1"])
    } catch {
      #expect(error.description.contains("_lambda") && error.description.contains("clip_ratio"), "the message lists every key: \(error)")
    }
  }
}
