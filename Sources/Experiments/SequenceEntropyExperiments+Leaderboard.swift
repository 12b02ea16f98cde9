import OutputFormats
import PolicyLosses
import RLVR
import Reports

/// Seed 004's entropy-control methods side by side on the mini-RLVR skills task: every method
/// of ``RLVRMethod/names`` on the seeds and base models of the shared comparison, ranked by
/// the final held-out pass@1 with Welch's t against GRPO.
extension SequenceEntropyExperiments {
  /// Seed 004's methods judged by the leaderboard's verdict.
  static let seed004Methods = ["Lp-Reg", "SIREN", "EPO", "BAPO", "CANON", "AEPO"]

  /// The arms the shared comparison does not run, each a method of ``RLVRMethod/named(_:parameters:)``
  /// with its defaults, fixed before any result of them was seen.
  static let leaderboardArms: [RLVRArm] = [
    ("Dr. GRPO", "dr-grpo"), ("DAPO clip-higher", "dapo"), ("STEER", "steer"), ("Lp-Reg", "lp-reg"), ("SIREN", "siren"), ("EPO", "epo"),
    ("BAPO", "bapo"), ("CANON", "canon"), ("AEPO", "aepo"),
  ].map { label, name in
    let method = try! RLVRMethod.named(name, parameters: [:])
    return RLVRArm(label) { _ in method }
  }

  /// The comparison's arms and the leaderboard's, on the same seeds and base models.
  static func leaderboard(_ context: ExperimentContext) throws -> RLVRComparison {
    let c = try comparison(context)
    return try RLVRCache.comparisons.value("leaderboard \(context.quick) \(context.smoke) \(context.seed)") {
      let more = try RLVRComparison.run(seeds: c.seeds, settings: { settings(context, seed: $0) }, arms: leaderboardArms, bases: c.bases, threads: context.threads)
      var all = c
      all.arms += more.arms
      for (arm, runs) in more.runs { all.runs[arm] = runs }
      all.seconds += more.seconds
      return all
    }
  }

  /// The verdict on "each of seed 004's methods beats GRPO": Welch's t of the final held-out
  /// pass@1 against GRPO's per method, at 3 (``WelchTest/verdict(direction:tAtLeast:)``); all
  /// must hold.
  static func leaderboardVerdict(pass1: [String: [Double]], methods: [String], direction: Double) -> (Verdict, [String: Verdict]) {
    var each: [String: Verdict] = [:]
    for m in methods { each[m] = Stats.welch(pass1[m]!, pass1["GRPO"]!).verdict(direction: direction, tAtLeast: 3) }
    return (Verdict.all(methods.map { each[$0]! }), each)
  }

  static let leaderboardExperiment = Experiment(
    name: "004-rlvr-leaderboard",
    source: "seed 004 (the entropy-control literature): Lp-Reg (2510.03222), SIREN (2509.25133), EPO (2509.22576), BAPO (2510.18927), CANON (2509.23962), AEPO (2510.08141), with GRPO, Dr. GRPO, DAPO, Clip-Cov, KL-Cov, STEER and the entropy bonus",
    claim: "Each of seed 004's methods (Lp-Reg, SIREN, EPO, BAPO, CANON, AEPO) ends with a higher held-out pass@1 than GRPO, as each paper reports against its baselines.",
    setup: "The mini-RLVR skills task and policy of 003-rlvr-control-beats-grpo (8 seeds, 2000 updates; quick: 4 seeds, 300 updates), every method on GRPO advantages and PPO-clip 0.2 with dual-clip 3 unless the method changes them, not each paper's own recipe, model and data. At our scale (256 responses of 4 tokens per update): Lp-Reg ρ_neg 0.1 instead of 0.01 (whose k = 1 its k > 1 gate turns off); AEPO injects 6 rows of 256 (the official 60 of 2,560), with the temperature switched on the code's −mean log π statistic; EPO is single-turn, so its per-turn history is the run's cumulative mean rollout entropy and its turn ≥ 25 gate is dropped; CANON splits by mean token entropy (every answer has the same length); SIREN's top-k of 10⁴ is the whole vocabulary of 10; Clip-Cov and KL-Cov ratio 0.2. Other parameters are the official defaults.",
    constants: [ClaimConstant("direction", 1, wrong: -1, "sign of the claimed difference of held-out pass@1, method minus GRPO (+1: the methods are better)")]
  ) { context, k in
    let c = try leaderboard(context)
    let direction = k["direction"]
    let pass1 = Dictionary(uniqueKeysWithValues: c.arms.map { ($0, c.finals($0, \.accuracy)) })
    let (verdict, each) = leaderboardVerdict(pass1: pass1, methods: seed004Methods, direction: direction)
    let ks = c.runs["GRPO"]![0].final.passAtK.map(\.0)
    let ranked = c.arms.enumerated().sorted { a, b in
      let x = Stats.mean(pass1[a.element]!), y = Stats.mean(pass1[b.element]!)
      return x != y ? x > y : a.offset < b.offset
    }.map(\.element)
    var table = ReportTable("Leaderboard: held-out results after \(c.settings[0].updates) updates, mean ± sd over \(c.seeds.count) seeds, by pass@1 (Welch t against GRPO)",
                            header: ["rank", "method", "pass@1", "pass@\(ks.last ?? 1)", "known skills", "hidden skills", "token entropy", "distinct correct / prompt", "s per run", "verdict"])
    for (r, arm) in ranked.enumerated() {
      table.rows.append(["\(r + 1)", arm, cell(c, arm, \.accuracy), cell(c, arm) { $0.passAtK.last?.1 ?? .nan }, cell(c, arm, \.knownAccuracy),
                         cell(c, arm, \.hiddenAccuracy), cell(c, arm, \.meanTokenEntropy), cell(c, arm, \.distinctCorrect),
                         formatNumber(Stats.mean(c.runs[arm]!.map(\.seconds)), digits: 3), each[arm].map { "\($0)" } ?? ""])
    }
    var passTable = ReportTable("Held-out pass@k at the end, mean over seeds", header: ["method"] + ks.map { "pass@\($0)" })
    for arm in ranked { passTable.rows.append([arm] + ks.indices.map { i in formatNumber(Stats.mean(c.finals(arm) { $0.passAtK[i].1 }), digits: 3) }) }
    let shown = ["GRPO"] + seed004Methods + ["entropy bonus"]
    let figures = [
      Figure("Held-out pass@1, seed 004's methods against GRPO and the entropy bonus (mean ± sd over seeds)", x: "update", y: "pass@1", series: shown.map { c.band($0, \.accuracy) }),
      Figure("Held-out token entropy (mean ± sd)", x: "update", y: "entropy (nats)", series: shown.map { c.band($0, \.meanTokenEntropy) }),
      Figure("Final held-out pass@1 against final token entropy, every method (mean over seeds)", x: "token entropy (nats)", y: "pass@1",
             series: c.arms.map { arm in PlotSeries(arm, x: [Stats.mean(c.finals(arm, \.meanTokenEntropy))], y: [Stats.mean(pass1[arm]!)], markers: true) }),
    ]
    let t = { (arm: String) in c.welch(arm, against: "GRPO", \.accuracy) }
    return ExperimentResult(
      verdict: verdict,
      summary: "held-out pass@1 after \(c.settings[0].updates) updates over \(c.seeds.count) seeds: GRPO \(Stats.meanSD(pass1["GRPO"]!)); "
        + seed004Methods.map { "\($0) \(Stats.meanSD(pass1[$0]!)) (\(t($0).text(direction: direction)))" }.joined(separator: ", ")
        + "; best overall \(ranked[0]) \(Stats.meanSD(pass1[ranked[0]]!)). Judged at |t| ≥ 3.",
      evidence: [("GRPO pass@1", Stats.mean(pass1["GRPO"]!))]
        + c.arms.filter { $0 != "GRPO" }.flatMap { [("\($0) pass@1", Stats.mean(pass1[$0]!)), ("\($0) pass@1 Welch t", t($0).t)] }
        + [("RL wall seconds", c.seconds)],
      figures: figures,
      notes: ["Arms and parameters were fixed before their results were seen (see the setup). The verdict: each of Lp-Reg, SIREN, EPO, BAPO, CANON and AEPO holds at Welch t ≥ 3 on the final held-out pass@1 against GRPO, fails when GRPO is better at t ≥ 3, is inconclusive in between; all must hold. The others are ranked, not judged. \(c.seeds.count) × \(c.arms.count) runs, \(formatNumber(c.seconds, digits: 3)) s of RL on \(context.threads) threads; `logitdyn rlvr compare --losses all` runs the same methods and writes leaderboard.csv."],
      tables: [table, passTable])
  }
}
