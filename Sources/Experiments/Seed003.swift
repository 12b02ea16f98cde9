import PGLab
import PolicyLosses
import RealModule
import Reports

/// Seeds 003/004 (Cui et al., "The Entropy Mechanism of Reinforcement Learning for Reasoning
/// Language Models"): entropy dynamics of softmax policy gradient, the `R = −a e^H + b` law,
/// and the covariance-based interventions — checked on the lab's bandits.
public enum Seed003 {
  static let source = "seeds 003/004 (Cui et al., The Entropy Mechanism of RL for Reasoning LMs)"

  public static var experiments: [Experiment] { [firstOrder, covariancePositive, entropyMonotone, rewardEntropyLaw, interventions] }

  /// Plain policy gradient on a Gaussian bandit (vectorised runner).
  static func plainRun(_ context: ExperimentContext, lr: Double = 0.05, arms: Int = 10) throws -> [StepAggregate] {
    var e = BanditExperiment(bandit: BanditSpec(kind: .gaussian, arms: arms), rule: .reinforceBaseline(rate: 0.01), learningRate: lr,
                             runs: context.size(quick: 256, full: 1024), steps: context.size(quick: 600, full: 2000), seed: context.seed)
    e.quantiles = true
    return try LabSeries.run(e, threads: context.threads)
  }

  static let firstOrder = Experiment(
    name: "003-first-order-entropy",
    source: source + ", Lemma 1",
    claim: "The entropy change of a softmax policy under a logit step is, to first order, −Cov_{a∼π}(log π(a), Δz_a)."
  ) { context in
    let s = try plainRun(context, lr: 0.02)
    let predicted = LabSeries.mean(s, .entropyChangePredicted), actual = LabSeries.mean(s, .entropyChangeActual)
    let r = Stats.correlation(predicted, actual)
    let total = (predicted.reduce(0, +), actual.reduce(0, +))
    let relative = abs(total.0 - total.1) / abs(total.1)
    return .judge(
      r > 0.99 && relative < 0.05,
      "correlation over steps of the predicted and measured mean entropy change \(fmt(r, 4)); summed over the run \(fmt(total.0, 4)) predicted vs \(fmt(total.1, 4)) measured (\(fmt(100 * relative, 2))%).",
      evidence: [("correlation", r), ("Σ predicted", total.0), ("Σ measured", total.1), ("relative gap", relative)],
      figures: [Figure("Entropy change per step (mean over runs)", x: "step", y: "ΔH", logX: true,
                       series: [LabSeries.thin(LabSeries.series("−Cov(log p, Δz)", s, .entropyChangePredicted, band: false)),
                                LabSeries.thin(LabSeries.series("measured H(z+Δz) − H(z)", s, .entropyChangeActual, band: false))])])
  }

  static let covariancePositive = Experiment(
    name: "003-covariance-positive",
    source: source + ", §3 (Theorem 1)",
    claim: "Under plain policy gradient the covariance of log-probability and logit change is mostly positive, so entropy mostly decreases."
  ) { context in
    let s = try plainRun(context)
    let predicted = LabSeries.mean(s, .entropyChangePredicted)
    let share = Double(predicted.filter { $0 < 0 }.count) / Double(predicted.count)
    return .judge(
      share >= 0.9, "the mean first-order entropy change is negative (covariance positive) at \(fmt(100 * share, 3))% of steps.",
      evidence: [("share of steps with Cov > 0", share)],
      figures: [Figure("Predicted entropy change per step (mean, 10–90% of runs)", x: "step", y: "−Cov(log p, Δz)", logX: true,
                       series: [LabSeries.thin(LabSeries.series("−Cov", s, .entropyChangePredicted))])])
  }

  static let entropyMonotone = Experiment(
    name: "003-entropy-collapse",
    source: source + ", §2",
    claim: "Without intervention, entropy falls (almost) monotonically and most of it is consumed early."
  ) { context in
    let s = try plainRun(context)
    let h = LabSeries.mean(s, .entropy)
    let increases = Double(zip(h, h.dropFirst()).filter { $1 > $0 }.count) / Double(h.count - 1)
    let drop = (h.first! - h.last!) / h.first!
    let quarter = (h.first! - h[h.count / 4]) / (h.first! - h.last!)
    return .judge(
      increases < 0.05 && drop > 0.5,
      "mean entropy \(fmt(h.first!, 4)) → \(fmt(h.last!, 4)) nats (−\(fmt(100 * drop, 3))%), rising at \(fmt(100 * increases, 2))% of steps; \(fmt(100 * quarter, 3))% of the decline happens in the first quarter.",
      evidence: [("share of steps where H rises", increases), ("relative drop", drop), ("share of the decline in the first quarter", quarter)],
      figures: [Figure("Entropy per step (mean, 10–90% of runs)", x: "step", y: "H (nats)", series: [LabSeries.thin(LabSeries.series("H", s, .entropy))])])
  }

  /// Least-squares fit of `R = −a e^H + b` (linear in `e^H`): `(a, b, R²)`.
  public static func fitLaw(entropy h: [Double], reward r: [Double]) -> (a: Double, b: Double, r2: Double) {
    let x = h.map { Double.exp($0) }
    let mx = Stats.mean(x), my = Stats.mean(r)
    var sxy = 0.0, sxx = 0.0, syy = 0.0
    for (u, v) in zip(x, r) {
      sxy += (u - mx) * (v - my)
      sxx += (u - mx) * (u - mx)
      syy += (v - my) * (v - my)
    }
    let slope = sxy / sxx
    let a = -slope, b = my - slope * mx
    let residual = zip(x, r).reduce(0) { $0 + ($1.1 - (-a * $1.0 + b)) * ($1.1 - (-a * $1.0 + b)) }
    return (a, b, 1 - residual / syy)
  }

  static let rewardEntropyLaw = Experiment(
    name: "003-reward-entropy-law",
    source: source + ", eq. 6",
    claim: "Performance is an exponential function of entropy over training, R = −a·e^H + b; a fit on the first 15% of steps predicts the end."
  ) { context in
    // Expected reward p·μ on a fixed-means bandit (no sampling noise in R).
    var e = BanditExperiment(bandit: BanditSpec(kind: .gaussian, arms: 10, means: (0..<10).map { Double($0) / 9 }), rule: .reinforceBaseline(rate: 0.01),
                             learningRate: 0.05, runs: context.size(quick: 256, full: 1024), steps: context.size(quick: 800, full: 3000), seed: context.seed)
    e.quantiles = false
    let s = try LabSeries.run(e, threads: context.threads)
    let h = LabSeries.mean(s, .entropy), regret = LabSeries.mean(s, .regret)
    let reward = regret.map { 1 - $0 }  // best arm pays 1: expected reward = 1 − regret
    let full = fitLaw(entropy: h, reward: reward)
    let cut = max(3, h.count * 15 / 100)
    let early = fitLaw(entropy: Array(h[0..<cut]), reward: Array(reward[0..<cut]))
    let predictedEnd = -early.a * Double.exp(h.last!) + early.b
    let error = abs(predictedEnd - reward.last!)
    let verdict: Verdict = full.r2 >= 0.9 ? .holds : (full.r2 >= 0.7 ? .inconclusive : .fails)
    let grid = stride(from: h.min()!, through: h.max()!, by: (h.max()! - h.min()!) / 100).map { $0 }
    return ExperimentResult(
      verdict: verdict,
      summary: "fit over the run: a = \(fmt(full.a, 4)), b = \(fmt(full.b, 4)), R² = \(fmt(full.r2, 4)); fitted on the first 15% of steps it predicts the final reward \(fmt(predictedEnd, 4)) against \(fmt(reward.last!, 4)) measured (error \(fmt(error, 3))).",
      evidence: [("a", full.a), ("b", full.b), ("R²", full.r2), ("a (first 15%)", early.a), ("b (first 15%)", early.b), ("predicted final R", predictedEnd), ("final R", reward.last!)],
      figures: [Figure("Expected reward against entropy over training", x: "entropy H (nats)", y: "expected reward",
                       series: [PlotSeries("training steps", x: h, y: reward, markers: true),
                                PlotSeries("−a e^H + b (all steps)", x: grid, y: grid.map { -full.a * Double.exp($0) + full.b }),
                                PlotSeries("fit on the first 15%", x: grid, y: grid.map { -early.a * Double.exp($0) + early.b })])],
      notes: ["On a bandit with arm means 0, 1/9, …, 1; seed 003 fits validation accuracy of LLM runs."])
  }

  static let interventions = Experiment(
    name: "003-clip-cov-kl-cov",
    source: source + ", §4 (Clip-Cov, KL-Cov)",
    claim: "Clip-Cov and KL-Cov, which act on the high-covariance tokens, keep entropy higher than the same surrogate without them."
  ) { context in
    let seeds = context.size(quick: 4, full: 8)
    func late(_ loss: PolicyLoss, seed: UInt64) throws -> (Double, Double, [StepAggregate]) {
      var e = LabExperiment(environment: ContextualBandit(dimension: 4, actions: 6, states: 8), policy: LinearPolicy(features: 4, actions: 6),
                            learningRate: 0.2, runs: context.size(quick: 24, full: 64), steps: context.size(quick: 100, full: 200), seed: seed)
      e.batchSize = 8
      e.advantage = .runningMean(rate: 0.1)
      e.surrogate = .tokenLoss(loss, epochs: 3)
      e.quantiles = false
      let s = try LabSeries.run(e, threads: context.threads)
      return (LabSeries.window(LabSeries.mean(s, .entropy), from: 0.8, to: 1), LabSeries.window(LabSeries.mean(s, .reward), from: 0.8, to: 1), s)
    }
    let baseline = PolicyLoss(.klCov(ratio: 0.2, coefficient: 0))
    let klCov = PolicyLoss(.klCov(ratio: 0.2, coefficient: 1))
    let clipCov = PolicyLoss(.clipCov(clipLow: 0.2, clipHigh: 0.2, ratio: 0.2, lowerBound: 0, upperBound: 1e9, draw: .seeded(context.seed)))
    let clipBaseline = PolicyLoss(.vanilla(clipLow: 0.2, clipHigh: 0.2, dualClip: nil, logRatioClamp: nil))
    var dKL: [Double] = [], dClip: [Double] = [], rewards: [String: [Double]] = [:]
    var curves: [PlotSeries] = []
    for i in 0..<seeds {
      let seed = context.seed &+ UInt64(i)
      let b = try late(baseline, seed: seed), k = try late(klCov, seed: seed)
      let cb = try late(clipBaseline, seed: seed), c = try late(clipCov, seed: seed)
      dKL.append(k.0 - b.0)
      dClip.append(c.0 - cb.0)
      rewards["−A r", default: []].append(b.1)
      rewards["KL-Cov", default: []].append(k.1)
      rewards["PPO-clip", default: []].append(cb.1)
      rewards["Clip-Cov", default: []].append(c.1)
      if i == 0 {
        curves = [LabSeries.series("−A r (no clip)", b.2, .entropy, band: false), LabSeries.series("KL-Cov", k.2, .entropy, band: false),
                  LabSeries.series("PPO-clip", cb.2, .entropy, band: false), LabSeries.series("Clip-Cov", c.2, .entropy, band: false)]
      }
    }
    let (mKL, seKL) = Stats.meanAndStandardError(dKL), (mClip, seClip) = Stats.meanAndStandardError(dClip)
    let klHolds = mKL > 3 * seKL, clipHolds = mClip > 3 * seClip
    let verdict: Verdict = klHolds && clipHolds ? .holds : ((mKL < -3 * seKL) || (mClip < -3 * seClip) ? .fails : .inconclusive)
    let rewardText = ["−A r", "KL-Cov", "PPO-clip", "Clip-Cov"].map { name in
      let (m, se) = Stats.meanAndStandardError(rewards[name]!)
      return "\(name) \(fmt(m, 4)) ± \(fmt(se, 2))"
    }.joined(separator: ", ")
    return ExperimentResult(
      verdict: verdict,
      summary: "late-entropy gain over the same surrogate without the intervention, over \(seeds) seeds: KL-Cov \(fmt(mKL, 3)) ± \(fmt(seKL, 2)), Clip-Cov \(fmt(mClip, 3)) ± \(fmt(seClip, 2)) nats; late reward \(rewardText).",
      evidence: [("KL-Cov entropy gain", mKL), ("KL-Cov s.e.", seKL), ("Clip-Cov entropy gain", mClip), ("Clip-Cov s.e.", seClip)],
      figures: [Figure("Entropy per step (seed \(context.seed), mean over runs)", x: "step", y: "H (nats)", series: curves)],
      notes: ["Contextual bandit (d = 4, 8 contexts, 6 actions), linear policy, batches of 8 one-token responses, 3 epochs per batch; KL-Cov (ratio 0.2, β = 1) against the unclipped −A·r it modifies, Clip-Cov (ratio 0.2, tokens with cov > 0) against PPO-clip. Verdict: holds when both gains exceed 3 standard errors."])
  }
}
