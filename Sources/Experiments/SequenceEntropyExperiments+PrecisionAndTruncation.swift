import OutputFormats
import Foundation
import RLVR
import Reports
import SeededRandom
import SoftmaxCore

/// Two claims from the literature after the seeds, on the mini-RLVR skills task: training
/// precision and the entropy decay, and the importance-ratio bias of truncated sampling.
extension SequenceEntropyExperiments {
  // MARK: - bf16 logits in the trainer

  /// The verdict on "the precision changes the entropy decay": Welch's t of the per-seed
  /// mean rollout entropy over the run, bf16 against f32. Holds at `|t| ≥ 3`; fails when the
  /// difference is shown small (`|Δ| + 2.5·se < bound`, an equivalence test); inconclusive
  /// otherwise.
  static func precisionVerdict(bf16: [Double], f32: [Double], bound: Double) -> (Verdict, WelchTest) {
    let w = Stats.welch(bf16, f32)
    if Swift.abs(w.t) >= 3 { return (.holds, w) }
    let se = w.t != 0 ? Swift.abs(w.difference / w.t) : 0
    return (Swift.abs(w.difference) + 2.5 * se < bound ? .fails : .inconclusive, w)
  }

  /// GRPO with the trainer's logits rounded to bf16, on the comparison's seeds and bases.
  static func bf16Runs(_ context: ExperimentContext) throws -> RLVRComparison {
    let c = try comparison(context)
    return try RLVRCache.comparisons.value("bf16 \(context.quick) \(context.smoke) \(context.seed)") {
      try RLVRComparison.run(seeds: c.seeds, settings: { seed in
        var s = settings(context, seed: seed)
        s.trainerPrecision = .bfloat16
        return s
      }, arms: [arms[0]], bases: c.bases, threads: context.threads)
    }
  }

  static let precisionEntropyDecay = Experiment(
    name: "004-bf16-entropy-decay",
    source: "seed 004's reading list after the seeds: the training–inference precision mismatch (e.g. Qi et al., Defeating the Training-Inference Mismatch via FP16, arXiv 2510.26788)",
    claim: "Training precision changes the entropy decay: GRPO whose trainer sees bf16-rounded logits (the rollout in f32) loses entropy at a different rate than in f32.",
    setup: "GRPO on the mini-RLVR skills task, the shared comparison's seeds and base models (8 seeds × 2000 updates; quick: 4 × 300); the trainer's logits rounded to bf16 before the loss (log-probs, ratio, gradient) while the rollout's log-probs stay f32 — the mismatch a bf16 trainer beside an f32 sampler has. Not an LLM in bf16 end to end: our parameters and products stay f32.",
    constants: [ClaimConstant("bound", 0.02, wrong: 10, "the entropy difference (nats, mean over the run) below which the precision is judged not to matter (the equivalence bound of the fails side)")]
  ) { context, k in
    let c = try comparison(context), b = try bf16Runs(context)
    func meanEntropy(_ runs: [RLVRRun]) -> [Double] { runs.map { Stats.mean($0.updates.map(\.meanTokenEntropy)) } }
    func halved(_ runs: [RLVRRun]) -> [Double] {
      runs.map { r in
        let h = r.updates.map(\.meanTokenEntropy)
        return Double((h.firstIndex { $0 < h[0] / 2 } ?? h.count) + 1)
      }
    }
    let f32 = c.runs["GRPO"]!, bf16 = b.runs["GRPO"]!
    let (verdict, w) = precisionVerdict(bf16: meanEntropy(bf16), f32: meanEntropy(f32), bound: k["bound"])
    var table = ReportTable("GRPO in f32 and with bf16 logits in the trainer, mean ± sd over \(c.seeds.count) seeds",
                            header: ["trainer logits", "mean rollout entropy over the run", "entropy halved at update", "final token entropy", "final pass@1"])
    for (name, runs) in [("f32", f32), ("bf16", bf16)] {
      table.rows.append([name, Stats.meanSD(meanEntropy(runs)), Stats.meanSD(halved(runs)), Stats.meanSD(runs.map(\.final.meanTokenEntropy)),
                         Stats.meanSD(runs.map(\.final.accuracy))])
    }
    let curve = { (runs: [RLVRRun], name: String) -> PlotSeries in
      let n = runs.map(\.updates.count).min() ?? 0
      let y = (0..<n).map { i in Stats.mean(runs.map { $0.updates[$0.updates.startIndex + i].meanTokenEntropy }) }
      return PlotSeries(name, x: (0..<n).map { Double($0 + 1) }, y: y)
    }
    return ExperimentResult(
      verdict: verdict,
      summary: "mean rollout entropy over \(c.settings[0].updates) updates: f32 \(Stats.meanSD(meanEntropy(f32))), bf16 \(Stats.meanSD(meanEntropy(bf16))) (Δ \(formatNumber(w.difference, digits: 3)), t = \(formatNumber(w.t, digits: 3))); holds at |t| ≥ 3, fails when |Δ| + 2.5 se < \(k["bound"]) nats.",
      evidence: [("f32 mean entropy", Stats.mean(meanEntropy(f32))), ("bf16 mean entropy", Stats.mean(meanEntropy(bf16))), ("Welch t", w.t),
                 ("f32 final pass@1", Stats.mean(f32.map(\.final.accuracy))), ("bf16 final pass@1", Stats.mean(bf16.map(\.final.accuracy)))],
      figures: [Figure("Rollout token entropy per update, f32 and bf16 trainer logits (mean over seeds)", x: "update", y: "entropy (nats)", logX: true,
                       series: [curve(f32, "f32"), curve(bf16, "bf16 logits")])],
      notes: ["The rounding error of bf16 (8 bits of mantissa) on logits of a few units is ~0.01; it makes the on-policy ratio differ from 1 by about that much. The equivalence side of the verdict is approximate (2.5 standard errors for ~7–14 degrees of freedom)."],
      tables: [table])
  }

  // MARK: - Truncated sampling and the importance ratio

  /// What truncated sampling gives on a set of states: per sampled token the true ratio
  /// `π(a)/q(a)` (the policy over the truncated sampler's distribution) and the kept mass `M`.
  struct TruncatedDraws {
    var ratios: [Double] = [], kept: [Double] = []
  }

  /// Samples one token per state row of `logits` (`[rows][V]`, temperature 1) from the top-p
  /// nucleus (the smallest prefix by probability whose mass reaches `p`, as HF and vLLM keep
  /// it) or the top-k tokens, renormalised; the ratio of the full policy to that sampler.
  static func truncatedDraws(_ logits: [Float], vocabulary v: Int, topP: Double?, topK: Int?, seed: UInt64) -> TruncatedDraws {
    var rng = Streams.truncatedDraws.generator(seed)
    var out = TruncatedDraws()
    let rows = logits.count / v
    for r in 0..<rows {
      let p = SoftmaxDistribution<Double>(logits: (0..<v).map { Double(logits[r * v + $0]) }).probabilities
      let order = (0..<v).sorted { p[$0] != p[$1] ? p[$0] > p[$1] : $0 < $1 }
      var keep = 0, mass = 0.0
      if let k = topK {
        keep = Swift.min(k, v)
        for i in 0..<keep { mass += p[order[i]] }
      } else if let top = topP {
        while keep < v, mass < top {
          mass += p[order[keep]]
          keep += 1
        }
      }
      let q = order.prefix(keep).map { p[$0] / mass }
      let a = order[rng.nextCategorical(q)]
      out.ratios.append(p[a] / (p[a] / mass))
      out.kept.append(mass)
    }
    return out
  }

  /// The verdict on "the mean ratio is the kept mass to the power `exponent`": the measured
  /// mean of `π/q` against the mean of `M^exponent` (relative 1e-9), and the bias present
  /// (mean `M` below 0.99) in every setting.
  static func truncationVerdict(_ draws: [TruncatedDraws], exponent: Double) -> Verdict {
    let ok = draws.allSatisfy { d in
      let r = Stats.mean(d.ratios), m = Stats.mean(d.kept.map { Foundation.pow($0, exponent) })
      return Swift.abs(r - m) <= 1e-9 * Swift.max(1, Swift.abs(m)) && Stats.mean(d.kept) < 0.99
    }
    return ok ? .holds : .fails
  }

  static let truncatedSamplingRatio = Experiment(
    name: "004-top-p-ratio-bias",
    source: "seed 004's reading list after the seeds: top-p / top-k sampling in RL rollouts and the importance ratio (e.g. the vLLM–trainer mismatch threads, verl #2088, TRL #6789)",
    claim: "Sampling with top-p or top-k biases the importance ratio by the kept probability mass: against the truncated sampler q the ratio π(a)/q(a) has mean E[M], not 1, while a trainer that logs log π as the sampler's log-prob sees ratio 1.",
    setup: "The base models of the mini-RLVR comparison (a 10-token vocabulary, 4-token answers), their own rollouts' states; one token per state drawn from the top-p (0.9, 0.95) or top-k (3, 5) sampler, renormalised. Not an LLM's vocabulary of 150k, where the tail cut by top-p is longer.",
    constants: [ClaimConstant("exponent", 1, wrong: 2, "the power of the kept mass M that the mean ratio π/q equals (the claim: E[π/q] = E[M])")]
  ) { context, k in
    let c = try comparison(context)
    let trainer = try RLVRTrainer(c.settings[0])
    var rng = Streams.truncationRollouts.generator(c.seeds[0])
    let prompts = Array(trainer.task.heldOut.prefix(context.smoke ? 8 : 100)).flatMap { [Prompt](repeating: $0, count: 8) }
    let batch = trainer.generate(c.bases[0], prompts: prompts, &rng)
    let settings: [(String, Double?, Int?)] = [("top-p 0.9", 0.9, nil), ("top-p 0.95", 0.95, nil), ("top-k 3", nil, 3), ("top-k 5", nil, 5)]
    let draws = settings.enumerated().map { i, s in truncatedDraws(batch.logits, vocabulary: batch.vocabulary, topP: s.1, topK: s.2, seed: c.seeds[0] &+ UInt64(i)) }
    let verdict = truncationVerdict(draws, exponent: k["exponent"])
    var table = ReportTable("One token per state of the base model's rollouts (\(batch.sequences * batch.length) states)",
                            header: ["sampler", "mean kept mass M", "mean ratio π/q", "min ratio", "ratio outside [0.8, 1.2]", "logged ratio (log π as the sampler's)"])
    for (s, d) in zip(settings, draws) {
      table.rows.append([s.0, formatNumber(Stats.mean(d.kept), digits: 4), formatNumber(Stats.mean(d.ratios), digits: 4), formatNumber(d.ratios.min() ?? .nan, digits: 3),
                         formatNumber(Double(d.ratios.filter { $0 < 0.8 || $0 > 1.2 }.count) / Double(d.ratios.count), digits: 3), "1"])
    }
    return ExperimentResult(
      verdict: verdict,
      summary: settings.indices.map { "\(settings[$0].0): mean π/q \(formatNumber(Stats.mean(draws[$0].ratios), digits: 4)) = mean M \(formatNumber(Stats.mean(draws[$0].kept), digits: 4))" }.joined(separator: "; ")
        + ". A trainer that takes the sampler's log-prob as log π sees ratio 1 and misses the bias.",
      evidence: zip(settings, draws).flatMap { s, d in [("\(s.0) mean kept mass", Stats.mean(d.kept)), ("\(s.0) mean ratio", Stats.mean(d.ratios))] },
      figures: [Figure("Kept mass per state, sorted (the ratio π/q of the token drawn there equals it)", x: "state (sorted)", y: "kept mass M",
                       series: zip(settings, draws).map { s, d in
                         let sorted = d.kept.sorted()
                         let step = Swift.max(1, sorted.count / 200)
                         let idx = Swift.stride(from: 0, to: sorted.count, by: step).map { $0 }
                         return PlotSeries(s.0, x: idx.map(Double.init), y: idx.map { sorted[$0] })
                       })],
      notes: ["Per token π(a)/q(a) = π(a)/(π(a)/M) = M whatever a is, so the mean ratio is the mean kept mass exactly: the experiment measures how large the bias is on a real policy's states. PPO's clip at 0.8 then acts from the first mini-batch on every token whose state kept less than 80% of its mass."],
      tables: [table])
  }
}
