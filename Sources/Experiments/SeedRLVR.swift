import Dispatch
import PolicyLosses
import RLVR
import Reports

/// Seeds 003/004 on sequences: entropy collapse under GRPO and the covariance interventions on
/// the mini-RLVR task with a hidden hard subset.
public enum SeedRLVR {
  public static var experiments: [Experiment] { [collapse] }

  static let collapse = Experiment(
    name: "003-rlvr-entropy-collapse",
    source: "seeds 003/004 (Cui et al.), §2 and §4, on the mini-RLVR hidden-ops task",
    claim: "Under GRPO the mean token entropy of a pre-trained policy collapses early (by more than half within the first quarter of training), while Clip-Cov and KL-Cov keep it higher."
  ) { context in
    var s = RLVRSettings()
    s.task = .hiddenOps
    s.hidden = context.size(quick: 48, full: 128)
    s.sftSteps = context.size(quick: 800, full: 6000)
    s.updates = context.size(quick: 400, full: 2000)
    s.rate = context.size(quick: 3e-3, full: 1e-3)
    s.evalEvery = context.size(quick: 100, full: 200)
    s.evalPrompts = context.size(quick: 50, full: 200)
    s.evalSamples = context.size(quick: 8, full: 32)
    s.seed = context.seed
    let trainer = try RLVRTrainer(s)
    let base = trainer.pretrain()
    let methods: [(String, PolicyLoss)] = [
      ("GRPO", PolicyLoss(.ppoDefault)),
      ("Clip-Cov", PolicyLoss(.clipCov(clipLow: 0.2, clipHigh: 0.2, ratio: 0.2, lowerBound: 1, upperBound: 5, draw: .seeded(context.seed)))),
      ("KL-Cov", PolicyLoss(.klCov(ratio: 0.2, coefficient: 1))),
    ]
    // The three methods in parallel (each run is sequential and seeded: the same results on any thread count).
    final class Slots: @unchecked Sendable {
      var entropy = [[Double]](repeating: [], count: 3), last = [Evaluation?](repeating: nil, count: 3), error: (any Error)?
    }
    let slots = Slots()
    DispatchQueue.concurrentPerform(iterations: methods.count) { i in
      do {
        _ = try trainer.train(from: base, loss: methods[i].1) { record, evaluation in
          if record.update > 0 { slots.entropy[i].append(record.meanTokenEntropy) }
          if let evaluation { slots.last[i] = evaluation }
          return true
        }
      } catch { slots.error = error }
    }
    if let error = slots.error { throw error }
    var entropy: [String: [Double]] = [:], accuracy: [String: Double] = [:], passK: [String: Double] = [:]
    var curves: [PlotSeries] = []
    for (i, (name, _)) in methods.enumerated() {
      let h = slots.entropy[i]
      entropy[name] = h
      accuracy[name] = slots.last[i]?.accuracy ?? .nan
      passK[name] = slots.last[i]?.passAtK.last?.1 ?? .nan
      curves.append(LabSeries.thin(PlotSeries(name, x: h.indices.map { Double($0 + 1) }, y: h)))
    }
    let g = entropy["GRPO"]!
    let start = Stats.mean(Array(g.prefix(5)))
    let quarter = Stats.mean(Array(g[(g.count / 4 - 5)..<(g.count / 4)]))
    func late(_ n: String) -> Double { LabSeries.window(entropy[n]!, from: 0.9, to: 1) }
    let collapses = quarter < start / 2
    let keeps = late("Clip-Cov") > late("GRPO") && late("KL-Cov") > late("GRPO")
    let verdict: Verdict = collapses && keeps ? .holds : (keeps ? .inconclusive : .fails)
    return ExperimentResult(
      verdict: verdict,
      summary: "GRPO's mean token entropy \(fmt(start, 3)) → \(fmt(quarter, 3)) at a quarter of training → \(fmt(late("GRPO"), 3)) at the end; late entropy with Clip-Cov \(fmt(late("Clip-Cov"), 3)), KL-Cov \(fmt(late("KL-Cov"), 3)); held-out accuracy GRPO \(fmt(accuracy["GRPO"]!, 3)), Clip-Cov \(fmt(accuracy["Clip-Cov"]!, 3)), KL-Cov \(fmt(accuracy["KL-Cov"]!, 3)) (pass@\(s.evalSamples): \(fmt(passK["GRPO"]!, 3)), \(fmt(passK["Clip-Cov"]!, 3)), \(fmt(passK["KL-Cov"]!, 3))).",
      evidence: [("GRPO entropy start", start), ("GRPO entropy at a quarter", quarter), ("GRPO late entropy", late("GRPO")),
                 ("Clip-Cov late entropy", late("Clip-Cov")), ("KL-Cov late entropy", late("KL-Cov")),
                 ("held-out accuracy GRPO", accuracy["GRPO"]!), ("held-out accuracy Clip-Cov", accuracy["Clip-Cov"]!), ("held-out accuracy KL-Cov", accuracy["KL-Cov"]!)],
      figures: [Figure("Mean token entropy of the sampled responses per RL update", x: "update", y: "entropy (nats)", logX: true, series: curves)],
      notes: ["One seed, \(s.updates) updates (`logitdyn rlvr compare` runs several seeds with the spread). The accuracies are a finding, not part of the verdict."])
  }
}
