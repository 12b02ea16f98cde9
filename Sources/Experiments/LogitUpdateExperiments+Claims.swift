import OutputFormats
import PGLab
import RealModule
import Reports
import SeededRandom
import SoftmaxCore

/// Seed 002's remaining claims: the range of the collision probability, what a norm near
/// `η|A|√2` means, biased advantages (its break condition) and a large step size.
extension LogitUpdateExperiments {
  /// `e^{−H_α(p)}` with the Rényi entropy `H_α = log(Σ pᵢ^α)/(1 − α)` (Shannon's `−Σ p log p`
  /// at `α = 1`), from the probabilities.
  static func exponentialRenyiEntropy(_ p: [Double], order alpha: Double) -> Double {
    if alpha == 1 { return Double.exp(p.reduce(0) { $1 > 0 ? $0 + $1 * Double.log($1) : $0 }) }
    let s = p.reduce(0) { $1 > 0 ? $0 + Double.pow($1, alpha) : $0 }
    return Double.exp(Double.log(s) / (alpha - 1))
  }

  static let collisionBounds = Experiment(
    name: "002-collision-range",
    source: source + ", §2 (collision probability)",
    claim: "The collision probability C(p) = Σ p² is the chance that two independent draws agree, lies in [1/n, 1] (1/n for the uniform policy, 1 for a deterministic one), and equals e^{−H₂}, H₂ the Rényi entropy of order 2.",
    setup: "Random policies (n = 2 … 100 000 actions, logits of scale 0.01 … 1e4) instead of trained ones; agreement of two draws by Monte Carlo.",
    constants: [ClaimConstant("Rényi order", 2, wrong: 1, "the order α of the Rényi entropy with C = e^{−H_α} (1 is Shannon's entropy)")]
  ) { context, k in
    var rng = Streams.collisionRange.generator(context.seed)
    var outside = 0.0, renyiError = 0.0, cases = 0
    let sizes = [2, 10, 1000, 100_000], scales = [0.01, 1, 10, 1e4]
    for i in 0..<context.size(quick: 64, full: 640) {
      let n = sizes[i % 4], scale = scales[(i / 4) % 4]
      let d = SoftmaxDistribution<Double>(logits: (0..<n).map { _ in scale * rng.nextGaussian() })
      let c = d.collisionProbability
      // Distance outside [1/n, 1], relative.
      outside = max(outside, (1 / Double(n) - c) * Double(n), c - 1)
      renyiError = max(renyiError, abs(c - exponentialRenyiEntropy(d.probabilities, order: k["Rényi order"])) / c)
      cases += 1
    }
    let uniformGap = sizes.map { n in abs(SoftmaxDistribution<Double>(logits: [Double](repeating: 3, count: n)).collisionProbability * Double(n) - 1) }.max()!
    let certain = SoftmaxDistribution<Double>(logits: [1e4] + [Double](repeating: 0, count: 999)).collisionProbability
    // Two independent draws agree with probability C(p): Monte Carlo on n = 10 policies.
    var worstZ = 0.0
    var xs: [Double] = [], ys: [Double] = []
    let draws = context.size(quick: 20_000, full: 200_000)
    for i in 0..<12 {
      let d = SoftmaxDistribution<Double>(logits: (0..<10).map { _ in Double(i) / 4 * rng.nextGaussian() })
      var agree = 0
      for _ in 0..<draws where rng.nextCategorical(d.probabilities) == rng.nextCategorical(d.probabilities) { agree += 1 }
      let f = Double(agree) / Double(draws), c = d.collisionProbability
      worstZ = max(worstZ, abs(f - c) / (c * (1 - c) / Double(draws)).squareRoot())
      xs.append(c)
      ys.append(f)
    }
    return .judge(
      outside <= 1e-12 && renyiError <= 1e-9 && uniformGap <= 1e-12 && abs(certain - 1) <= 1e-12 && worstZ <= 4.5,
      "over \(cases) random policies C(p) stays inside [1/n, 1] (largest excursion \(formatNumber(outside, digits: 3))); |C − e^{−H_α}|/C at most \(formatNumber(renyiError, digits: 3)) (α = \(formatNumber(k["Rényi order"], digits: 3))); uniform policies give n·C = 1 to \(formatNumber(uniformGap, digits: 3)), a deterministic one C = \(formatNumber(certain, digits: 15)); two independent draws agree at C(p) within \(formatNumber(worstZ, digits: 3)) standard errors (\(draws) pairs per policy).",
      evidence: [("largest excursion outside [1/n, 1]", outside), ("max |C − e^{−H_α}|/C", renyiError), ("max |n·C − 1|, uniform", uniformGap),
                 ("C, deterministic", certain), ("max |agreement − C| in standard errors", worstZ)],
      figures: [Figure("Agreement of two independent draws against C(p)", x: "C(p)", y: "measured agreement",
                       series: [PlotSeries("policies (n = 10)", x: xs, y: ys, markers: true), PlotSeries("y = x", x: [0, 1], y: [0, 1])])])
  }

  static let sqrt2Reading = Experiment(
    name: "002-sqrt2-reading",
    source: source + ", failure signatures (a summary's reading)",
    claim: "A summary of the seed reads ‖Δz‖ ≈ η|A|√2 as 'the policy never concentrates'. It is the opposite: √2 needs p_c → 0 with another action near probability 1 (C(p) → 1); a policy that never concentrates (max p ≤ 1/2) stays at or below η|A|√(3/2), the uniform one at η|A|√(1 − 1/K).",
    setup: "Random and constructed policies with K = 3 … 50 actions; the factor ‖Δz‖/(η|A|) from the library's cancellation-free form.",
    constants: [ClaimConstant("unconcentrated ceiling", (1.5).squareRoot(), wrong: (2.0).squareRoot(), "the largest ‖Δz‖/(η|A|) of a policy with max p ≤ 1/2 (√2 is the summary's reading)")]
  ) { context, k in
    var rng = Streams.sqrt2Reading.generator(context.seed)
    var unconcentrated = 0.0, nearSqrt2 = 0, leastOtherMass = 1.0, cases = 0
    var xs: [Double] = [], ys: [Double] = []
    func record(_ p: [Double], _ c: Int) {
      let d = SoftmaxDistribution<Double>(logits: p.map { Double.log($0) })
      let f = d.updateNormFactor(action: c)
      let other = d.probabilities.enumerated().filter { $0.offset != c }.map(\.element).max()!
      if d.probabilities.max()! <= 0.5 { unconcentrated = max(unconcentrated, f) }
      if f >= 0.95 * (2.0).squareRoot() { nearSqrt2 += 1; leastOtherMass = min(leastOtherMass, other) }
      if cases % 100 == 0 { xs.append(other); ys.append(f) }
      cases += 1
    }
    for i in 0..<context.size(quick: 20_000, full: 200_000) {
      let n = 3 + i % 48
      let scale = [0.3, 1, 3, 10][i % 4]
      let z = (0..<n).map { _ in scale * rng.nextGaussian() }
      let p = softmax(z)
      record(p, rng.nextInt(below: n))
    }
    // Constructed: c rare, the rest on one or two other actions.
    for e in stride(from: 1.0, through: 12, by: 0.5) {
      let pc = Double.pow(10, -e)
      record([pc, (1 - pc) / 2, (1 - pc) / 2], 0)
      record([pc, 1 - pc - 1e-3, 1e-3], 0)
    }
    let uniform = [4, 10, 50].map { n in SoftmaxDistribution<Double>(logits: [Double](repeating: 0, count: n)).updateNormFactor(action: 0) }
    let ceiling = k["unconcentrated ceiling"]
    return .judge(
      unconcentrated <= ceiling * (1 + 1e-12) && unconcentrated >= 0.99 * ceiling && nearSqrt2 > 0 && leastOtherMass >= 0.8 && uniform.allSatisfy { $0 < 1 },
      "over \(cases) policies: with max p ≤ 1/2 the factor reaches at most \(formatNumber(unconcentrated, digits: 6)) (claimed ceiling \(formatNumber(ceiling, digits: 6))); the \(nearSqrt2) updates with factor ≥ 0.95√2 all have another action at p ≥ \(formatNumber(leastOtherMass, digits: 4)); uniform policies give " + uniform.map { formatNumber($0, digits: 4) }.joined(separator: ", ") + " (K = 4, 10, 50).",
      evidence: [("max factor, max p ≤ 1/2", unconcentrated), ("updates with factor ≥ 0.95√2", Double(nearSqrt2)),
                 ("least other-action probability among them", leastOtherMass), ("uniform K = 50", uniform[2])],
      figures: [Figure("‖Δz‖/(η|A|) against the largest probability of another action", x: "max_{o≠c} p_o", y: "‖Δz‖/(η|A|)",
                       series: [PlotSeries("updates", x: xs, y: ys, markers: true), PlotSeries("√2", x: [0, 1], y: [(2.0).squareRoot(), (2.0).squareRoot()])])],
      notes: ["(‖Δz‖/η|A|)² = (1 − p_c)² + Σ_{o≠c} p_o² ≤ (1 − p_c)(1 − p_c + max_{o≠c} p_o): a factor near √2 forces both p_c ≈ 0 and max_{o≠c} p_o ≈ 1. Stuck near √2 means the policy is concentrated on actions other than the ones sampled with advantage."])
  }

  /// A tabular softmax policy on a Gaussian bandit (arm means N(0, 1), rewards with unit
  /// noise), running-mean baseline, advantages `r − b̄ + bias`; the updates are the library's
  /// sampled update. Returns the per-step expected regret (mean over `runs`) and, per update,
  /// `(p_c, ‖Δz_biased − Δz_true‖)`.
  static func biasedBandit(seed: UInt64, runs: Int, steps: Int, bias: Double, rate: Double, arms: Int = 10) -> (regret: [Double], errors: [(Double, Double)]) {
    var regret = [Double](repeating: 0, count: steps), errors: [(Double, Double)] = []
    for run in 0..<runs {
      var rng = Xoshiro256StarStar(seed: seed, stream: UInt64(run))
      let means = (0..<arms).map { _ in rng.nextGaussian() }
      let best = means.max()!
      var z = [Double](repeating: 0, count: arms), baseline = 0.0
      for t in 0..<steps {
        let d = SoftmaxDistribution<Double>(logits: z)
        regret[t] += (best - d.expectation(means)) / Double(runs)
        let c = rng.nextCategorical(d.probabilities)
        let r = means[c] + rng.nextGaussian()
        let a = r - baseline
        baseline += 0.05 * (r - baseline)
        let biased = d.sampledUpdate(action: c, advantage: a + bias, learningRate: rate)
        if bias != 0, t % 4 == 0 {
          let exact = d.sampledUpdate(action: c, advantage: a, learningRate: rate)
          errors.append((d.probabilities[c], euclideanNorm(zip(biased, exact).map { $0 - $1 })))
        }
        for j in 0..<arms { z[j] += biased[j] }
      }
    }
    return (regret, errors)
  }

  static let biasedAdvantages = Experiment(
    name: "002-biased-advantages",
    source: source + ", break condition of mechanism 1 and suggested ablation 2",
    claim: "With systematically biased advantages self-regulation amplifies the error on low-probability actions: a bias b adds ηb(e_c − p) to each update, of norm η|b|√(1 − 2p_c + C(p)), large when a rarely chosen action is sampled and near zero for a confident one; and learning suffers (a higher late regret than with unbiased advantages).",
    setup: "A 10-armed Gaussian bandit (unit reward noise), tabular policy, running-mean baseline, η = 0.1, bias b = +1 added to every advantage; 8 seeds (quick) or 16, 8 runs each.",
    constants: [ClaimConstant("direction", 1, wrong: -1, "sign of the claimed change of the late regret under biased advantages (+1: higher)")]
  ) { context, k in
    let seeds = LabSeries.seeds(context.size(quick: 8, full: 16), base: context.seed)
    let steps = context.size(quick: 600, full: 2000)
    let exact = seeds.map { biasedBandit(seed: $0, runs: 8, steps: steps, bias: 0, rate: 0.1) }
    let biased = seeds.map { biasedBandit(seed: $0, runs: 8, steps: steps, bias: 1, rate: 0.1) }
    let lateExact = exact.map { LabSeries.window($0.regret, from: 0.9, to: 1) }, lateBiased = biased.map { LabSeries.window($0.regret, from: 0.9, to: 1) }
    let errors = biased.flatMap(\.errors)
    let low = Stats.mean(errors.filter { $0.0 < 0.1 }.map(\.1)), high = Stats.mean(errors.filter { $0.0 > 0.9 }.map(\.1))
    let direction = k["direction"]
    let test = Stats.welch(lateBiased, lateExact)
    let amplified = low >= 2 * high
    let verdict: Verdict = amplified ? test.verdict(direction: direction) : .fails
    let curveExact = LabSeries.meanSeries(exact.map(\.regret)), curveBiased = LabSeries.meanSeries(biased.map(\.regret))
    let x = curveExact.indices.map { Double($0 + 1) }
    return ExperimentResult(
      verdict: verdict,
      summary: "per update, the error the bias puts into the logits is \(formatNumber(low, digits: 3)) (η|b| units: \(formatNumber(low / 0.1, digits: 3))) when p_c < 0.1 and \(formatNumber(high, digits: 3)) when p_c > 0.9 (×\(formatNumber(low / high, digits: 3))); late regret over \(seeds.count) seeds \(Stats.meanSD(lateExact, 4)) unbiased vs \(Stats.meanSD(lateBiased, 4)) biased (\(test.text(direction: direction))).",
      evidence: [("error per update, p_c < 0.1", low), ("error per update, p_c > 0.9", high), ("late regret unbiased", Stats.mean(lateExact)),
                 ("late regret biased", Stats.mean(lateBiased)), ("Welch t (biased − unbiased)", test.t)],
      figures: [Figure("Regret per step (mean over seeds)", x: "step", y: "regret", logX: true,
                       series: [LabSeries.thin(PlotSeries("unbiased A", x: x, y: curveExact)), LabSeries.thin(PlotSeries("A + 1", x: x, y: curveBiased))]),
                Figure("Logit error of the bias per update against p_c", x: "p_c", y: "‖Δz_biased − Δz‖",
                       series: [PlotSeries("updates", x: errors.prefix(2000).map(\.0), y: errors.prefix(2000).map(\.1), markers: true)])],
      notes: ["The amplification (error at p_c < 0.1 at least twice that at p_c > 0.9) is a precondition; the effect on learning is judged by Welch's t over seeds at one-sided p < 0.01. The bias has zero mean effect on the expected update (E[e_c − p] = 0): what it adds is variance, concentrated on the rarely chosen actions."])
  }

  static let largeStep = Experiment(
    name: "002-large-eta",
    source: source + ", design trade-offs",
    claim: "A large step size overwhelms the (1 − p_c) modulation: the policy locks onto an arm before the factor can slow it down, and its late regret is higher than with a moderate η.",
    setup: "A 10-armed Gaussian bandit, tabular policy, REINFORCE with a running-mean baseline, η = 0.1 against η = 10; 8 seeds, 16 runs of 1000 steps each (quick) or 128 of 4000.",
    constants: [ClaimConstant("direction", 1, wrong: -1, "sign of the claimed change of the late regret at the large η (+1: higher)")]
  ) { context, k in
    let seeds = LabSeries.seeds(8, base: context.seed)
    func run(_ eta: Double, _ seed: UInt64) throws -> [StepAggregate] {
      var e = BanditExperiment(bandit: BanditSpec(kind: .gaussian, arms: 10), rule: .reinforceBaseline(rate: 0.01), learningRate: eta,
                               runs: context.size(quick: 16, full: 128), steps: context.size(quick: 1000, full: 4000), seed: seed)
      e.quantiles = false
      e.probes = [.regret, .updateNorm, .collision, .chosenProbability]
      return try LabSeries.run(e, threads: context.threads)
    }
    let moderate = try seeds.map { try run(0.1, $0) }, large = try seeds.map { try run(10, $0) }
    func late(_ s: [[StepAggregate]], _ p: Probe) -> [Double] { s.map { LabSeries.window(LabSeries.mean($0, p), from: 0.9, to: 1) } }
    func early(_ s: [[StepAggregate]], _ p: Probe) -> [Double] { s.map { LabSeries.window(LabSeries.mean($0, p), from: 0, to: 0.02) } }
    let direction = k["direction"]
    let test = Stats.welch(late(large, .regret), late(moderate, .regret))
    return ExperimentResult(
      verdict: test.verdict(direction: direction),
      summary: "late regret over \(seeds.count) seeds: η = 0.1 \(Stats.meanSD(late(moderate, .regret), 4)), η = 10 \(Stats.meanSD(late(large, .regret), 4)) (\(test.text(direction: direction))); C(p) in the first 2% of steps \(Stats.meanSD(early(moderate, .collision))) vs \(Stats.meanSD(early(large, .collision))).",
      evidence: [("late regret η = 0.1", Stats.mean(late(moderate, .regret))), ("late regret η = 10", Stats.mean(late(large, .regret))), ("Welch t (large − moderate)", test.t),
                 ("early C η = 0.1", Stats.mean(early(moderate, .collision))), ("early C η = 10", Stats.mean(early(large, .collision)))],
      figures: [Figure("Regret per step (mean over seeds)", x: "step", y: "regret", logX: true, series: [LabSeries.meanCurve("η = 0.1", moderate, .regret), LabSeries.meanCurve("η = 10", large, .regret)]),
                Figure("C(p) per step (mean over seeds)", x: "step", y: "C(p)", logX: true, series: [LabSeries.meanCurve("η = 0.1", moderate, .collision), LabSeries.meanCurve("η = 10", large, .collision)])],
      notes: ["Judged by Welch's t over seeds at one-sided p < 0.01; the early C(p) shows how fast each step size concentrates."])
  }
}
