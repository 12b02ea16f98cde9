import Dispatch
import PolicyLosses
import RLVR
import Reports

/// Seeds 003/004 on sequences: entropy collapse under GRPO and the covariance interventions on
/// the mini-RLVR task with a hidden hard subset.
public enum SeedRLVR {
  public static var experiments: [Experiment] { [collapse] }

  /// The settings of one seed's run: `smoke` (the test suite), quick, or full.
  static func settings(_ context: ExperimentContext, seed: UInt64) -> RLVRSettings {
    var s = RLVRSettings()
    s.task = .hiddenOps
    s.hidden = context.smoke ? 16 : context.size(quick: 48, full: 128)
    s.sftSteps = context.smoke ? 150 : context.size(quick: 800, full: 6000)
    s.updates = context.smoke ? 40 : context.size(quick: 400, full: 2000)
    s.rate = context.size(quick: 3e-3, full: 1e-3)
    s.evalEvery = context.smoke ? 20 : context.size(quick: 100, full: 200)
    s.evalPrompts = context.smoke ? 10 : context.size(quick: 50, full: 200)
    s.evalSamples = context.smoke ? 2 : context.size(quick: 8, full: 32)
    s.seed = seed
    return s
  }

  static let collapse = Experiment(
    name: "003-rlvr-entropy-collapse",
    source: "seeds 003/004 (Cui et al.), §2 and §4, on the mini-RLVR hidden-ops task",
    claim: "Under GRPO the mean token entropy of a pre-trained policy collapses early (by more than half within the first quarter of training), while Clip-Cov and KL-Cov keep it higher.",
    setup: "A 78 → 128 → 128 → 10 MLP policy pre-trained by supervised steps on a small arithmetic task with a hidden hard subset, instead of a 7B–32B LLM on maths; 4 seeds (quick) or 8, 400 or 2000 RL updates.",
    constants: [ClaimConstant("direction", 1, wrong: -1, "sign of the claimed change of the late entropy with Clip-Cov and KL-Cov against GRPO (+1: higher)")]
  ) { context, k in
    let seeds = LabSeries.seeds(context.smoke ? 2 : context.size(quick: 4, full: 8), base: context.seed)
    let names = ["GRPO", "Clip-Cov", "KL-Cov"]
    var entropy: [String: [[Double]]] = [:], accuracy: [String: [Double]] = [:]
    var s = settings(context, seed: context.seed)
    for seed in seeds {
      s = settings(context, seed: seed)
      let trainer = try RLVRTrainer(s)
      let base = trainer.pretrain()
      let methods: [PolicyLoss] = [
        PolicyLoss(.ppoDefault),
        PolicyLoss(.clipCov(clipLow: 0.2, clipHigh: 0.2, ratio: 0.2, lowerBound: 1, upperBound: 5, draw: .seeded(seed))),
        PolicyLoss(.klCov(ratio: 0.2, coefficient: 1)),
      ]
      // The three methods in parallel (each run is sequential and seeded: the same results on any thread count).
      final class Slots: @unchecked Sendable {
        var entropy = [[Double]](repeating: [], count: 3), last = [Evaluation?](repeating: nil, count: 3), error: (any Error)?
      }
      let slots = Slots()
      DispatchQueue.concurrentPerform(iterations: methods.count) { i in
        do {
          _ = try trainer.train(from: base, loss: methods[i]) { record, evaluation in
            if record.update > 0 { slots.entropy[i].append(record.meanTokenEntropy) }
            if let evaluation { slots.last[i] = evaluation }
            return true
          }
        } catch { slots.error = error }
      }
      if let error = slots.error { throw error }
      for (i, name) in names.enumerated() {
        entropy[name, default: []].append(slots.entropy[i])
        accuracy[name, default: []].append(slots.last[i]?.accuracy ?? .nan)
      }
    }
    func late(_ n: String) -> [Double] { entropy[n]!.map { LabSeries.window($0, from: 0.9, to: 1) } }
    let grpo = entropy["GRPO"]!
    let start = grpo.map { Stats.mean(Array($0.prefix(5))) }
    let quarter = grpo.map { h in Stats.mean(Array(h[max(0, h.count / 4 - 5)..<max(1, h.count / 4)])) }
    let collapseRatio = zip(quarter, start).map { $0 / $1 }
    let collapses = Stats.mean(collapseRatio) < 0.5
    let direction = k["direction"]
    let tests = ["Clip-Cov", "KL-Cov"].map { Stats.welch(late($0), late("GRPO")) }
    let keeps = tests.map { $0.verdict(direction: direction) }
    let verdict = Verdict.all([collapses ? .holds : .fails] + keeps)
    let curves = names.map { name in
      let y = LabSeries.meanSeries(entropy[name]!)
      return LabSeries.thin(PlotSeries(name, x: y.indices.map { Double($0 + 1) }, y: y))
    }
    return ExperimentResult(
      verdict: verdict,
      summary: "over \(seeds.count) seeds GRPO's mean token entropy \(Stats.meanSD(start)) → \(Stats.meanSD(quarter)) at a quarter of training (ratio \(Stats.meanSD(collapseRatio)), collapse claimed below 0.5) → \(Stats.meanSD(late("GRPO"))) at the end; late entropy with Clip-Cov \(Stats.meanSD(late("Clip-Cov"))) (\(tests[0].text(direction: direction))), KL-Cov \(Stats.meanSD(late("KL-Cov"))) (\(tests[1].text(direction: direction))); held-out accuracy GRPO \(Stats.meanSD(accuracy["GRPO"]!)), Clip-Cov \(Stats.meanSD(accuracy["Clip-Cov"]!)), KL-Cov \(Stats.meanSD(accuracy["KL-Cov"]!)).",
      evidence: [("GRPO entropy start", Stats.mean(start)), ("GRPO entropy at a quarter", Stats.mean(quarter)), ("GRPO collapse ratio", Stats.mean(collapseRatio)),
                 ("GRPO late entropy", Stats.mean(late("GRPO"))), ("Clip-Cov late entropy", Stats.mean(late("Clip-Cov"))), ("KL-Cov late entropy", Stats.mean(late("KL-Cov"))),
                 ("Clip-Cov Welch t", tests[0].t), ("KL-Cov Welch t", tests[1].t),
                 ("held-out accuracy GRPO", Stats.mean(accuracy["GRPO"]!)), ("held-out accuracy Clip-Cov", Stats.mean(accuracy["Clip-Cov"]!)), ("held-out accuracy KL-Cov", Stats.mean(accuracy["KL-Cov"]!))],
      figures: [Figure("Mean token entropy of the sampled responses per RL update (mean over seeds)", x: "update", y: "entropy (nats)", logX: true, series: curves)],
      notes: ["\(seeds.count) seeds, \(s.updates) updates each. Judged: GRPO's collapse (mean ratio below 0.5; no collapse fails) and each intervention's late entropy against GRPO by Welch's t at one-sided p < 0.01. The accuracies are a finding, not part of the verdict."])
  }
}
