import OutputFormats
import Foundation
import PolicyLosses
import RLVR
import Reports
import SeededRandom

/// Seeds 003/004 on sequences: entropy collapse under GRPO, the entropy interventions against
/// it, their ratios at our scale, and the entropy–performance law, on the mini-RLVR `skills`
/// task (a hidden hard subset of operations the base model rarely solves).
///
/// The configuration was fixed by the base model's measured properties before any RL result
/// on it was seen (`logitdyn rlvr base`: held-out pass@1 ≥ 0.2, the known skills at the
/// teacher's level, the hidden ones rare), and the arms' parameters are those the project used
/// before (Clip-Cov ratio 0.2 with bounds (1, 5), KL-Cov ratio 0.2 with β = 1, entropy
/// bonus 0.05). All five experiments share one comparison (GRPO, Clip-Cov, KL-Cov and the
/// entropy bonus over the same seeds and base models), run once per mode and seed.
public enum SequenceEntropyExperiments {
  /// The five `003-rlvr-*` experiments, then `004-rlvr-leaderboard`, `004-bf16-entropy-decay` and
  /// `004-top-p-ratio-bias`, in report order.
  public static var experiments: [Experiment] { [collapse, controlBeatsGRPO, ratioSweep, lawCeiling, saturation, leaderboardExperiment, precisionEntropyDecay, truncatedSamplingRatio] }

  /// The settings of one seed's run: `smoke` (the test suite), quick, or full.
  static func settings(_ context: ExperimentContext, seed: UInt64) -> RLVRSettings {
    var s = RLVRSettings()
    s.task = .skills
    s.seed = seed
    if context.smoke {
      s.hidden = 16
      s.sftSteps = 100
      s.sftBatch = 64
      s.updates = 40
      s.evalEvery = 5
      s.evalPrompts = 10
      s.evalSamples = 4
    } else if context.quick {
      s.hidden = 64
      s.sftSteps = 1500
      s.updates = 300
      s.evalEvery = 25
      s.evalPrompts = 100
      s.evalSamples = 16
    } else {
      s.evalEvery = 50
      s.evalPrompts = 200
      s.evalSamples = 64
    }
    return s
  }

  /// Seeds of the comparison: 2 (smoke), 4 (quick), 8 (full).
  static func seeds(_ context: ExperimentContext) -> [UInt64] {
    LabSeries.seeds(context.smoke ? 2 : context.size(quick: 4, full: 8), base: context.seed)
  }

  /// The arms, with the parameters fixed before the result was seen.
  static let arms: [RLVRArm] = [
    RLVRArm("GRPO") { _ in PolicyLoss(.ppoDefault) },
    RLVRArm("Clip-Cov") { seed in PolicyLoss(.clipCov(clipLow: 0.2, clipHigh: 0.2, ratio: 0.2, lowerBound: 1, upperBound: 5, draw: .seeded(seed))) },
    RLVRArm("KL-Cov") { _ in PolicyLoss(.klCov(ratio: 0.2, coefficient: 1)) },
    RLVRArm("entropy bonus") { _ in
      var loss = PolicyLoss(.ppoDefault)
      loss.entropyCoefficient = 0.05
      return loss
    },
  ]

  /// The comparison of a mode and seed, measured once and shared by the experiments (and by
  /// their variants with other constants, which only judge differently).
  static func comparison(_ context: ExperimentContext) throws -> RLVRComparison {
    try RLVRCache.comparisons.value("\(context.quick) \(context.smoke) \(context.seed)") {
      try RLVRComparison.run(seeds: seeds(context), settings: { settings(context, seed: $0) }, arms: arms, threads: context.threads)
    }
  }

  // MARK: - Entropy collapse

  static let collapse = Experiment(
    name: "003-rlvr-entropy-collapse",
    source: "seeds 003/004 (Cui et al.), §2 and §4, on the mini-RLVR skills task",
    claim: "Under GRPO the mean token entropy of a pre-trained policy collapses early (by more than half within the first quarter of training), while Clip-Cov and KL-Cov keep it higher.",
    setup: "The mini-RLVR skills task (see 003-rlvr-control-beats-grpo for the model and scale); 4 seeds (quick) or 8.",
    constants: [ClaimConstant("direction", 1, wrong: -1, "sign of the claimed change of the late entropy with Clip-Cov and KL-Cov against GRPO (+1: higher)")]
  ) { context, k in
    let c = try comparison(context)
    func training(_ arm: String) -> [[Double]] { c.runs[arm]!.map { $0.updates.map(\.meanTokenEntropy) } }
    func late(_ arm: String) -> [Double] { training(arm).map { LabSeries.window($0, from: 0.9, to: 1) } }
    let grpo = training("GRPO")
    let start = grpo.map { Stats.mean(Array($0.prefix(5))) }
    let quarter = grpo.map { h in Stats.mean(Array(h[max(0, h.count / 4 - 5)..<max(1, h.count / 4)])) }
    let collapseRatio = zip(quarter, start).map { $0 / $1 }
    let collapses = Stats.mean(collapseRatio) < 0.5
    let direction = k["direction"]
    let tests = ["Clip-Cov", "KL-Cov"].map { Stats.welch(late($0), late("GRPO")) }
    let verdict = Verdict.all([collapses ? .holds : .fails] + tests.map { $0.verdict(direction: direction) })
    let curves = c.arms.map { name in
      let y = LabSeries.meanSeries(training(name))
      return LabSeries.thin(PlotSeries(name, x: y.indices.map { Double($0 + 1) }, y: y))
    }
    return ExperimentResult(
      verdict: verdict,
      summary: "over \(c.seeds.count) seeds GRPO's mean token entropy \(Stats.meanSD(start)) → \(Stats.meanSD(quarter)) at a quarter of training (ratio \(Stats.meanSD(collapseRatio)), collapse claimed below 0.5) → \(Stats.meanSD(late("GRPO"))) at the end; late entropy with Clip-Cov \(Stats.meanSD(late("Clip-Cov"))) (\(tests[0].text(direction: direction))), KL-Cov \(Stats.meanSD(late("KL-Cov"))) (\(tests[1].text(direction: direction))), entropy bonus \(Stats.meanSD(late("entropy bonus"))).",
      evidence: [("GRPO entropy start", Stats.mean(start)), ("GRPO entropy at a quarter", Stats.mean(quarter)), ("GRPO collapse ratio", Stats.mean(collapseRatio)),
                 ("GRPO late entropy", Stats.mean(late("GRPO"))), ("Clip-Cov late entropy", Stats.mean(late("Clip-Cov"))), ("KL-Cov late entropy", Stats.mean(late("KL-Cov"))),
                 ("entropy bonus late entropy", Stats.mean(late("entropy bonus"))), ("Clip-Cov Welch t", tests[0].t), ("KL-Cov Welch t", tests[1].t)],
      figures: [Figure("Mean token entropy of the sampled responses per RL update (mean over seeds)", x: "update", y: "entropy (nats)", logX: true, series: curves)],
      notes: ["\(c.seeds.count) seeds, \(c.settings[0].updates) updates each. Judged: GRPO's collapse (mean ratio below 0.5; no collapse fails) and each intervention's late entropy against GRPO by Welch's t at one-sided p < 0.01."])
  }

  // MARK: - The interventions against GRPO

  /// The verdict on "the interventions beat GRPO": for each of `arms`, Welch's t of the final
  /// held-out pass@1 against GRPO's, judged by ``WelchTest/verdict(direction:tAtLeast:)`` at 3;
  /// all must hold.
  static func controlVerdict(pass1: [String: [Double]], arms: [String], direction: Double) -> (Verdict, [WelchTest]) {
    let tests = arms.map { Stats.welch(pass1[$0]!, pass1["GRPO"]!) }
    return (Verdict.all(tests.map { $0.verdict(direction: direction, tAtLeast: 3) }), tests)
  }

  /// `m ± sd (t …)` of `value` at the end, t against GRPO (none for GRPO itself).
  static func cell(_ c: RLVRComparison, _ arm: String, digits: Int = 3, _ value: (Evaluation) -> Double) -> String {
    let v = c.finals(arm, value)
    var text = Stats.meanSD(v, digits)
    if arm != "GRPO" { text += " (t \(formatNumber(c.welch(arm, against: "GRPO", value).t, digits: 2)))" }
    return text
  }

  static let controlBeatsGRPO = Experiment(
    name: "003-rlvr-control-beats-grpo",
    source: "seed 003 (Cui et al.), §4 and Table 2: Clip-Cov and KL-Cov against GRPO (+2.0 points at 7B, +6.4 at 32B)",
    claim: "Once GRPO's entropy has collapsed, controlling the entropy pays: Clip-Cov and KL-Cov end with a higher held-out pass@1 than GRPO.",
    setup: "A 78 → 128 → 128 → 10 MLP on the mini-RLVR skills task, not a 7B–32B LLM on maths benchmarks; 8 seeds (quick: 4, a 64-unit policy, 300 updates) × 2000 updates; held-out pass@1 over 200 unseen prompts × 64 samples, not avg@k on AIME/AMC/MATH; the paper's ratios select one token of our 256 per mini-batch, so the arms use ratio 0.2 (see 003-rlvr-ratio-sweep).",
    constants: [ClaimConstant("direction", 1, wrong: -1, "sign of the claimed difference of held-out pass@1, intervention minus GRPO (+1: the interventions are better)")]
  ) { context, k in
    let c = try comparison(context)
    let direction = k["direction"]
    let pass1 = Dictionary(uniqueKeysWithValues: c.arms.map { ($0, c.finals($0, \.accuracy)) })
    let (verdict, tests) = controlVerdict(pass1: pass1, arms: ["Clip-Cov", "KL-Cov"], direction: direction)
    let bonus = c.welch("entropy bonus", against: "GRPO", \.accuracy)
    let s = c.settings[0]
    let ks = c.runs["GRPO"]![0].final.passAtK.map(\.0)
    var main = ReportTable("Held-out results after \(s.updates) updates, mean ± sd over \(c.seeds.count) seeds (Welch t against GRPO)",
                           header: ["method", "pass@1", "known skills", "hidden skills", "pass@\(ks.last ?? 1)", "distinct correct / prompt", "token entropy"])
    main.rows.append(["base model", Stats.meanSD(c.baseEvaluations.map(\.accuracy)), Stats.meanSD(c.baseEvaluations.map(\.knownAccuracy)),
                      Stats.meanSD(c.baseEvaluations.map(\.hiddenAccuracy)), Stats.meanSD(c.baseEvaluations.map { $0.passAtK.last?.1 ?? .nan }),
                      Stats.meanSD(c.baseEvaluations.map(\.distinctCorrect)), Stats.meanSD(c.baseEvaluations.map(\.meanTokenEntropy))])
    for arm in c.arms {
      main.rows.append([arm, cell(c, arm, \.accuracy), cell(c, arm, \.knownAccuracy), cell(c, arm, \.hiddenAccuracy),
                        cell(c, arm) { $0.passAtK.last?.1 ?? .nan }, cell(c, arm, \.distinctCorrect), cell(c, arm, \.meanTokenEntropy)])
    }
    var passTable = ReportTable("Held-out pass@k at the end, mean ± sd (Welch t against GRPO)", header: ["method"] + ks.map { "pass@\($0)" })
    for arm in c.arms { passTable.rows.append([arm] + ks.indices.map { i in cell(c, arm) { $0.passAtK[i].1 } }) }
    let figures = [
      Figure("Held-out pass@1 (mean ± sd over seeds)", x: "update", y: "pass@1", series: c.arms.map { c.band($0, \.accuracy) }),
      Figure("Held-out pass@1 on the hidden skills (mean ± sd)", x: "update", y: "pass@1, hidden skills", series: c.arms.map { c.band($0, \.hiddenAccuracy) }),
      Figure("Held-out token entropy (mean ± sd)", x: "update", y: "entropy (nats)", series: c.arms.map { c.band($0, \.meanTokenEntropy) }),
      Figure("Held-out pass@k at the end (mean over seeds)", x: "k", y: "pass@k", logX: true, series: c.arms.map { arm in
        PlotSeries(arm, x: ks.map(Double.init), y: ks.indices.map { i in Stats.mean(c.finals(arm) { $0.passAtK[i].1 }) }, markers: true)
      }),
    ]
    let grpoFinal = Stats.mean(pass1["GRPO"]!)
    return ExperimentResult(
      verdict: verdict,
      summary: "held-out pass@1 after \(s.updates) updates over \(c.seeds.count) seeds: GRPO \(Stats.meanSD(pass1["GRPO"]!)), Clip-Cov \(Stats.meanSD(pass1["Clip-Cov"]!)) (\(tests[0].text(direction: direction))), KL-Cov \(Stats.meanSD(pass1["KL-Cov"]!)) (\(tests[1].text(direction: direction))); entropy bonus \(Stats.meanSD(pass1["entropy bonus"]!)) (t = \(formatNumber(bonus.t, digits: 3)), not judged); base model \(Stats.meanSD(c.baseEvaluations.map(\.accuracy))). Judged at |t| ≥ 3.",
      evidence: [("base pass@1", Stats.mean(c.baseEvaluations.map(\.accuracy))), ("base pass@1 known skills", Stats.mean(c.baseEvaluations.map(\.knownAccuracy))),
                 ("base pass@1 hidden skills", Stats.mean(c.baseEvaluations.map(\.hiddenAccuracy))), ("GRPO pass@1", grpoFinal)]
        + c.arms.dropFirst().flatMap { arm in
          [("\(arm) pass@1", Stats.mean(pass1[arm]!)), ("\(arm) pass@1 Welch t", c.welch(arm, against: "GRPO", \.accuracy).t),
           ("\(arm) hidden-skill pass@1 Welch t", c.welch(arm, against: "GRPO", \.hiddenAccuracy).t)]
        }
        + [("RL wall seconds", c.seconds), ("pre-training wall seconds", c.pretrainSeconds)],
      figures: figures,
      notes: ["Arms and their parameters were fixed before this result was seen: GRPO (PPO-clip 0.2, dual clip 3), Clip-Cov (ratio 0.2, covariance bounds (1, 5)), KL-Cov (ratio 0.2, β = 1), entropy bonus 0.05. The verdict: each of Clip-Cov and KL-Cov holds at Welch t ≥ 3 on the final held-out pass@1, fails when GRPO is better at t ≥ 3, is inconclusive in between; all must hold. The \(c.seeds.count) × \(c.arms.count) runs took \(formatNumber(c.seconds, digits: 3)) s on \(context.threads) threads (pre-training \(formatNumber(c.pretrainSeconds, digits: 3)) s)."],
      tables: [main, passTable])
  }

  // MARK: - The paper's ratios at our scale

  /// Ratios swept: Clip-Cov's and KL-Cov's (the paper's first).
  static func sweepRatios(_ context: ExperimentContext) -> (clip: [Double], kl: [Double]) {
    context.smoke ? ([2e-4, 0.5], [2e-3, 0.5]) : ([2e-4, 2e-3, 0.02, 0.2, 0.5], [2e-3, 0.02, 0.2, 0.5])
  }

  /// One point of the sweep: the runs of a method at a ratio.
  struct SweepPoint {
    var method: String, ratio: Double
    var runs: [RLVRRun]
    var selected: Double { Stats.mean(runs.map { Stats.mean($0.updates.map(\.selectedPerMiniBatch)) }) }
    var entropy: [Double] { runs.map(\.final.meanTokenEntropy) }
    var pass1: [Double] { runs.map(\.final.accuracy) }
  }

  /// The sweep on the first seeds of the comparison (their base models), reusing the
  /// comparison's runs at ratio 0.2.
  static func sweep(_ context: ExperimentContext) throws -> (RLVRComparison, [SweepPoint], [RLVRRun]) {
    let c = try comparison(context)
    let n = context.smoke ? 2 : context.size(quick: 2, full: 4)
    let (clip, kl) = sweepRatios(context)
    let points = try RLVRCache.sweeps.value("\(context.quick) \(context.smoke) \(context.seed)") { () throws -> [SweepPoint] in
      var arms: [RLVRArm] = []
      for r in clip where r != 0.2 {
        arms.append(RLVRArm("Clip-Cov \(r)") { seed in PolicyLoss(.clipCov(clipLow: 0.2, clipHigh: 0.2, ratio: r, lowerBound: 1, upperBound: 5, draw: .seeded(seed))) })
      }
      for r in kl where r != 0.2 { arms.append(RLVRArm("KL-Cov \(r)") { _ in PolicyLoss(.klCov(ratio: r, coefficient: 1)) }) }
      let seeds = Array(c.seeds.prefix(n))
      let swept = try RLVRComparison.run(seeds: seeds, settings: { settings(context, seed: $0) }, arms: arms, bases: Array(c.bases.prefix(n)), threads: context.threads)
      func point(_ method: String, _ r: Double) -> SweepPoint {
        SweepPoint(method: method, ratio: r, runs: r == 0.2 ? Array(c.runs[method]!.prefix(n)) : swept.runs["\(method) \(r)"]!)
      }
      return clip.map { point("Clip-Cov", $0) } + kl.map { point("KL-Cov", $0) }
    }
    return (c, points, Array(c.runs["GRPO"]!.prefix(n)))
  }

  /// The sweep's verdict: the paper's ratio selects at most one token per mini-batch (for both
  /// methods), and the largest ratio's final entropy exceeds the paper's ratio's by Welch
  /// t ≥ 3 in `direction`.
  static func sweepVerdict(paperSelected: [Double], paperEntropy: [[Double]], largestEntropy: [[Double]], direction: Double) -> (Verdict, [WelchTest]) {
    let tests = zip(largestEntropy, paperEntropy).map { Stats.welch($0, $1) }
    let few = paperSelected.allSatisfy { $0 <= 1 }
    return (Verdict.all([few ? .holds : .fails] + tests.map { $0.verdict(direction: direction, tAtLeast: 3) }), tests)
  }

  static let ratioSweep = Experiment(
    name: "003-rlvr-ratio-sweep",
    source: "seed 003 (Cui et al.), §4.2: Clip-Cov ratio 2e-4 and KL-Cov ratio 2e-3 (verl's clip_cov_ratio, kl_cov_ratio)",
    claim: "The paper's ratios are shares of the tokens in a mini-batch: at 256 tokens per mini-batch Clip-Cov's 2e-4 and KL-Cov's 2e-3 select max(1, ⌊0.05⌋) = max(1, ⌊0.5⌋) = 1 token (at most), so they leave GRPO's collapse as it is; the entropy they keep rises with the ratio, and at the largest ratio swept it is higher than at the paper's.",
    setup: "The mini-RLVR skills task (see 003-rlvr-control-beats-grpo): 256 tokens per PPO mini-batch where the paper's hold hundreds of thousands; 4 seeds per point (quick and smoke: 2), the comparison's base models; Clip-Cov ratios 2e-4 … 0.5, KL-Cov 2e-3 … 0.5.",
    constants: [ClaimConstant("direction", 1, wrong: -1, "sign of the final-entropy difference, largest ratio minus the paper's (+1: a larger ratio keeps more entropy)")]
  ) { context, k in
    let (c, points, grpo) = try sweep(context)
    let (clip, kl) = sweepRatios(context)
    let direction = k["direction"]
    func at(_ m: String, _ r: Double) -> SweepPoint { points.first { $0.method == m && $0.ratio == r }! }
    let paper = [at("Clip-Cov", clip[0]), at("KL-Cov", kl[0])], largest = [at("Clip-Cov", clip.last!), at("KL-Cov", kl.last!)]
    let (verdict, tests) = sweepVerdict(paperSelected: paper.map(\.selected), paperEntropy: paper.map(\.entropy), largestEntropy: largest.map(\.entropy), direction: direction)
    let grpoEntropy = grpo.map(\.final.meanTokenEntropy), grpoPass = grpo.map(\.final.accuracy)
    var table = ReportTable("Sweep over \(grpo.count) seeds, final held-out values (Welch t against GRPO)", header: ["method", "ratio", "tokens selected / mini-batch", "token entropy", "pass@1"])
    table.rows.append(["GRPO", "—", "0", Stats.meanSD(grpoEntropy), Stats.meanSD(grpoPass)])
    for p in points {
      table.rows.append([p.method, formatNumber(p.ratio, digits: 2), formatNumber(p.selected, digits: 3), "\(Stats.meanSD(p.entropy)) (t \(formatNumber(Stats.welch(p.entropy, grpoEntropy).t, digits: 2)))",
                         "\(Stats.meanSD(p.pass1)) (t \(formatNumber(Stats.welch(p.pass1, grpoPass).t, digits: 2)))"])
    }
    func series(_ m: String, _ ratios: [Double], _ value: (SweepPoint) -> [Double]) -> PlotSeries {
      let v = ratios.map { value(at(m, $0)) }
      return PlotSeries(m, x: ratios, y: v.map(Stats.mean), lower: v.map { Stats.mean($0) - Stats.standardDeviation($0) }, upper: v.map { Stats.mean($0) + Stats.standardDeviation($0) }, markers: true)
    }
    let grpoLine = { (v: [Double]) in PlotSeries("GRPO", x: [clip[0], clip.last!], y: [Stats.mean(v), Stats.mean(v)]) }
    let figures = [
      Figure("Tokens selected per 256-token mini-batch (mean over updates and seeds)", x: "ratio", y: "tokens", logX: true,
             series: [PlotSeries("Clip-Cov", x: clip, y: clip.map { at("Clip-Cov", $0).selected }, markers: true),
                      PlotSeries("KL-Cov", x: kl, y: kl.map { at("KL-Cov", $0).selected }, markers: true)]),
      Figure("Final held-out token entropy against the ratio (mean ± sd)", x: "ratio", y: "entropy (nats)", logX: true,
             series: [series("Clip-Cov", clip, \.entropy), series("KL-Cov", kl, \.entropy), grpoLine(grpoEntropy)]),
      Figure("Final held-out pass@1 against the ratio (mean ± sd)", x: "ratio", y: "pass@1", logX: true,
             series: [series("Clip-Cov", clip, \.pass1), series("KL-Cov", kl, \.pass1), grpoLine(grpoPass)]),
    ]
    return ExperimentResult(
      verdict: verdict,
      summary: "tokens selected per mini-batch at the paper's ratios: Clip-Cov \(formatNumber(paper[0].selected, digits: 3)), KL-Cov \(formatNumber(paper[1].selected, digits: 3)) (claimed ≤ 1); final entropy at the paper's ratios \(Stats.meanSD(paper[0].entropy)) and \(Stats.meanSD(paper[1].entropy)) (GRPO \(Stats.meanSD(grpoEntropy))), at ratio \(formatNumber(clip.last!, digits: 2)) \(Stats.meanSD(largest[0].entropy)) (\(tests[0].text(direction: direction))) and \(Stats.meanSD(largest[1].entropy)) (\(tests[1].text(direction: direction))); judged at t ≥ 3.",
      evidence: [("Clip-Cov tokens selected at 2e-4", paper[0].selected), ("KL-Cov tokens selected at 2e-3", paper[1].selected),
                 ("Clip-Cov tokens selected at the largest ratio", largest[0].selected), ("KL-Cov tokens selected at the largest ratio", largest[1].selected),
                 ("GRPO final entropy", Stats.mean(grpoEntropy)), ("Clip-Cov final entropy at 2e-4", Stats.mean(paper[0].entropy)),
                 ("KL-Cov final entropy at 2e-3", Stats.mean(paper[1].entropy)), ("Clip-Cov entropy Welch t largest vs paper", tests[0].t),
                 ("KL-Cov entropy Welch t largest vs paper", tests[1].t)],
      figures: figures,
      notes: ["\(c.seeds.prefix(grpo.count).count) seeds per point from the comparison's base models; the points at ratio 0.2 are the comparison's runs. Clip-Cov detaches max(1, ⌊ratio · N⌋) of the N tokens of a mini-batch, drawn among those with covariance in (1, 5) (fewer when fewer are eligible); KL-Cov penalises the top max(1, ⌊ratio · N⌋)."],
      tables: [table])
  }

  // MARK: - The law R = −a·e^H + b

  /// The law fitted on `(entropy, pass@1)` points pooled over seeds, its value at `entropy`
  /// (the paper's ceiling: `b − a` at `H = 0`), and a percentile bootstrap band over seeds
  /// (`draws` resamples of the seeds with replacement, 2.5% and 97.5%).
  static func lawPrediction(points: [[(Double, Double)]], at entropy: Double, draws: Int = 2000, seed: UInt64) -> (fit: (a: Double, b: Double, r2: Double), value: Double, band: (Double, Double)) {
    func fit(_ p: [(Double, Double)]) -> (a: Double, b: Double, r2: Double) { EntropyMechanismExperiments.fitLaw(entropy: p.map(\.0), reward: p.map(\.1)) }
    let all = fit(points.flatMap { $0 })
    var rng = Streams.lawBootstrap.generator(seed)
    var values: [Double] = []
    for _ in 0..<draws {
      let f = fit((0..<points.count).flatMap { _ in points[rng.nextInt(below: points.count)] })
      let v = -f.a * Double.exp(entropy) + f.b
      if v.isFinite { values.append(v) }
    }
    values.sort()
    func quantile(_ q: Double) -> Double { values.isEmpty ? .nan : values[min(values.count - 1, Int(q * Double(values.count)))] }
    return (all, -all.a * Double.exp(entropy) + all.b, (quantile(0.025), quantile(0.975)))
  }

  static let lawCeiling = Experiment(
    name: "003-rlvr-law-ceiling",
    source: "seed 003 (Cui et al.), §2.3–2.4: R = −a·e^H + b, the ceiling R = −a + b at H = 0, predicted from the first 15% of training",
    claim: "Fitted on GRPO's first 15% of updates, R = −a·e^H + b predicts the final performance: the ceiling b − a (at H = 0) brackets the final held-out pass@1.",
    setup: "The mini-RLVR skills task (see 003-rlvr-control-beats-grpo); R is held-out pass@1 and H the held-out token entropy at each evaluation (every 50 updates; quick: 25), pooled over the seeds; the band is a 95% percentile bootstrap over seeds. The paper fits validation accuracy against policy entropy of 7B–32B models.",
    constants: [ClaimConstant("ceiling entropy", 0, wrong: 1, "the entropy H at which the fitted law gives the final performance (the paper's ceiling: H = 0)")]
  ) { context, k in
    let c = try comparison(context)
    let s = c.settings[0]
    let runs = c.runs["GRPO"]!
    let early = runs.map { r in r.evaluations.filter { Double($0.update) <= 0.15 * Double(s.updates) }.map { ($0.meanTokenEntropy, $0.accuracy) } }
    let whole = runs.map { r in r.evaluations.map { ($0.meanTokenEntropy, $0.accuracy) } }
    let hStar = k["ceiling entropy"]
    let predicted = lawPrediction(points: early, at: hStar, seed: context.seed)
    let full = lawPrediction(points: whole, at: hStar, seed: context.seed)
    let finals = runs.map(\.final.accuracy), finalH = runs.map(\.final.meanTokenEntropy)
    let final = Stats.mean(finals)
    let atFinalH = -predicted.fit.a * Double.exp(Stats.mean(finalH)) + predicted.fit.b
    let inside = final >= predicted.band.0 && final <= predicted.band.1
    let hs = whole.flatMap { $0.map(\.0) }
    let grid = stride(from: 0.0, through: (hs.max() ?? 2) * 1.05, by: 0.05).map { $0 }
    var bandLow: [Double] = [], bandHigh: [Double] = []
    for h in grid {
      let b = lawPrediction(points: early, at: h, draws: 400, seed: context.seed).band
      bandLow.append(b.0)
      bandHigh.append(b.1)
    }
    let figure = Figure("GRPO: held-out pass@1 against token entropy, and the law fitted on the first 15% of updates (95% bootstrap band over seeds)", x: "token entropy H (nats)", y: "pass@1", series: [
      PlotSeries("evaluations, first 15%", x: early.flatMap { $0.map(\.0) }, y: early.flatMap { $0.map(\.1) }, markers: true),
      PlotSeries("evaluations, later", x: zip(whole, early).flatMap { Array($0.0.dropFirst($0.1.count)).map(\.0) }, y: zip(whole, early).flatMap { Array($0.0.dropFirst($0.1.count)).map(\.1) }, markers: true),
      PlotSeries("law from the first 15%", x: grid, y: grid.map { -predicted.fit.a * Double.exp($0) + predicted.fit.b }, lower: bandLow, upper: bandHigh),
      PlotSeries("law from all evaluations", x: grid, y: grid.map { -full.fit.a * Double.exp($0) + full.fit.b }),
      PlotSeries("final (mean over seeds)", x: [Stats.mean(finalH)], y: [final], markers: true),
    ])
    let table = ReportTable("The law on GRPO's evaluations, \(runs.count) seeds", header: ["fitted on", "a", "b", "R²", "b − a·e^\(formatNumber(hStar, digits: 2)) (95% band)", "final pass@1"], rows: [
      ["first 15% of updates", formatNumber(predicted.fit.a, digits: 3), formatNumber(predicted.fit.b, digits: 3), formatNumber(predicted.fit.r2, digits: 3), "\(formatNumber(predicted.value, digits: 3)) (\(formatNumber(predicted.band.0, digits: 3)) … \(formatNumber(predicted.band.1, digits: 3)))", Stats.meanSD(finals)],
      ["all evaluations", formatNumber(full.fit.a, digits: 3), formatNumber(full.fit.b, digits: 3), formatNumber(full.fit.r2, digits: 3), "\(formatNumber(full.value, digits: 3)) (\(formatNumber(full.band.0, digits: 3)) … \(formatNumber(full.band.1, digits: 3)))", Stats.meanSD(finals)],
    ])
    return ExperimentResult.judge(
      inside,
      "fitted on GRPO's first 15% of updates (\(early.map(\.count).reduce(0, +)) evaluations over \(runs.count) seeds): a = \(formatNumber(predicted.fit.a, digits: 3)), b = \(formatNumber(predicted.fit.b, digits: 3)), R² = \(formatNumber(predicted.fit.r2, digits: 3)); predicted final b − a·e^\(formatNumber(hStar, digits: 2)) = \(formatNumber(predicted.value, digits: 3)) (95% band \(formatNumber(predicted.band.0, digits: 3)) … \(formatNumber(predicted.band.1, digits: 3))) against the final \(Stats.meanSD(finals)) at entropy \(Stats.meanSD(finalH)) (the early law at that entropy: \(formatNumber(atFinalH, digits: 3))); on all evaluations a = \(formatNumber(full.fit.a, digits: 3)), b = \(formatNumber(full.fit.b, digits: 3)), R² = \(formatNumber(full.fit.r2, digits: 3)).",
      evidence: [("early a", predicted.fit.a), ("early b", predicted.fit.b), ("early R²", predicted.fit.r2), ("predicted final", predicted.value),
                 ("band low", predicted.band.0), ("band high", predicted.band.1), ("final pass@1", final), ("final entropy", Stats.mean(finalH)),
                 ("all-evaluations a", full.fit.a), ("all-evaluations b", full.fit.b), ("all-evaluations R²", full.fit.r2)],
      figures: [figure],
      notes: ["Judged: the mean final held-out pass@1 lies inside the 95% band of the prediction."],
      tables: [table])
  }

  // MARK: - Performance saturates as entropy collapses

  /// Per seed, the share of the run's gain in held-out pass@1 made by the first evaluation at
  /// which the entropy has completed `fraction` of its fall: with `H₀, R₀` at the start and
  /// `H_end, R_end` at the end, the first `t` with `H₀ − H_t ≥ fraction·(H₀ − H_end)`, and
  /// `(R_t − R₀)/(R_end − R₀)`; also that `t`.
  static func gainShares(_ curves: [[(update: Int, entropy: Double, reward: Double)]], fraction: Double) -> (shares: [Double], updates: [Double]) {
    var shares: [Double] = [], at: [Double] = []
    for c in curves {
      guard let first = c.first, let last = c.last, c.count > 1 else { continue }
      let fall = first.entropy - last.entropy
      let t = c.first { first.entropy - $0.entropy >= fraction * fall } ?? last
      shares.append((t.reward - first.reward) / (last.reward - first.reward))
      at.append(Double(t.update))
    }
    return (shares, at)
  }

  static let saturation = Experiment(
    name: "003-rlvr-saturation",
    source: "seed 003 (Cui et al.), §2.2: performance gains come in the early phase while entropy drops, then saturate",
    claim: "Under GRPO most of the gain in held-out pass@1 (more than half) is made by the time the token entropy has completed 90% of its fall; afterwards performance saturates.",
    setup: "The mini-RLVR skills task (see 003-rlvr-control-beats-grpo); held-out evaluations every 50 updates (quick: 25), one share per seed.",
    constants: [ClaimConstant("fall fraction", 0.9, wrong: 0.1, "how much of its total fall the entropy has completed at the point where most of the gain is claimed made")]
  ) { context, k in
    let c = try comparison(context)
    let curves = c.runs["GRPO"]!.map { r in r.evaluations.map { (update: $0.update, entropy: $0.meanTokenEntropy, reward: $0.accuracy) } }
    let (shares, updates) = gainShares(curves, fraction: k["fall fraction"])
    let mean = Stats.mean(shares)
    let s = c.settings[0]
    let pass1 = c.curve("GRPO", \.accuracy), entropy = c.curve("GRPO", \.meanTokenEntropy)
    return ExperimentResult.judge(
      mean > 0.5,
      "over \(shares.count) GRPO runs the entropy completes \(formatNumber(100 * k["fall fraction"], digits: 3))% of its fall by update \(Stats.meanSD(updates)) of \(s.updates); by then the run has made \(Stats.meanSD(shares)) of its gain in held-out pass@1 (claimed more than half).",
      evidence: [("gain share", mean), ("update of the entropy fall", Stats.mean(updates)), ("updates", Double(s.updates))],
      figures: [Figure("GRPO: held-out pass@1 and token entropy (mean over seeds)", x: "update", y: "value", series: [
        PlotSeries("pass@1", x: pass1.x, y: pass1.mean),
        PlotSeries("token entropy / start", x: entropy.x, y: entropy.mean.map { $0 / entropy.mean[0] }),
      ])],
      notes: ["A share above 1 means the pass@1 peaked at that point and fell afterwards."])
  }
}

/// The measured RLVR comparisons and sweeps, once per key (mode and seed); the first caller
/// measures while later ones wait.
enum RLVRCache {
  static let comparisons = MeasuredOnce<RLVRComparison>()
  static let sweeps = MeasuredOnce<[SequenceEntropyExperiments.SweepPoint]>()
}

/// Values measured once per key, under a lock.
final class MeasuredOnce<Value>: @unchecked Sendable {
  private let lock = NSLock()
  private var values: [String: Value] = [:]

  func value(_ key: String, _ make: () throws -> Value) throws -> Value {
    lock.lock()
    defer { lock.unlock() }
    if let v = values[key] { return v }
    let v = try make()
    values[key] = v
    return v
  }
}
