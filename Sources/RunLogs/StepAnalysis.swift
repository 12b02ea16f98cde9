import LogitAnalysis
import PolicyLosses
import RealModule
import SampleStatistics

/// The settings of the per-step analyses, with the defaults `logitdyn run-log` uses.
public struct RunLogSettings: Sendable {
  /// A token is "forking" (high-entropy, Wang et al. 2025) above this entropy, nats: 0.672,
  /// that paper's 80th percentile of token entropy on Qwen3-8B's reasoning.
  public var forkingEntropy = 0.672
  /// The trust region `[1 − ε, 1 + ε]` of the importance-ratio check (PPO's ε = 0.2).
  public var ratioEpsilon = 0.2
  /// Clip-Cov's ratio and covariance bounds (verl's config defaults: 2e-4, (1, 5)).
  public var clipCovRatio = CovarianceSelection.verlClipCovRatio, clipCovBounds = (1.0, 5.0)
  /// KL-Cov's ratio (verl's config default 2e-4).
  public var klCovRatio = CovarianceSelection.verlKLCovRatio
  /// Clip-Cov's random draw seed.
  public var seed: UInt64 = 0
  /// A sample is correct when its reward is above this (verifiable rewards are 0/1).
  public var correctAbove = 0.5
  /// The `k` of pass@k (each at most the group size).
  public var passK = [1, 4, 8, 16]

  /// The defaults.
  public init() {}
}

/// What the logs of one step say, analysis by analysis; an analysis the step's fields do not
/// allow is `nil`, with the reason in ``skipped``.
public struct StepSummary: Sendable {
  /// The step.
  public var step: Int
  /// Samples, prompt groups and tokens that count (in the loss).
  public var samples = 0, groups = 0, tokens = 0
  /// The mean sequence reward.
  public var rewardMean: Double?

  /// Entropy over the counted tokens: mean, 10/50/90/99% quantiles, and the fraction above the
  /// forking threshold.
  public var entropy: (mean: Double, p10: Double, p50: Double, p90: Double, p99: Double, forkingFraction: Double)?

  /// The token covariance `(log π − mean)(A − mean)` over the counted tokens (seed 003):
  /// its mean, the fraction of tokens with a positive one, and the mean of the top fractions
  /// (seed 003's Table 1: 0.02%, 0.2%, 2%, 20%, 50%, 100%).
  public var covariance: (mean: Double, positiveFraction: Double, top: [(fraction: Double, count: Int, mean: Double)])?
  /// Tokens Clip-Cov and KL-Cov would select over the whole step, and per micro-batch (as
  /// verl selects them, verl #7829): counts and the overlap (Jaccard index) of the
  /// per-micro-batch selection with the global one.
  public var selection: (clipCov: Int, klCov: Int, microBatches: Int, clipCovPerMicroBatch: Int, klCovPerMicroBatch: Int, klCovOverlap: Double)?

  /// Trainer against inference log-probabilities (verl #6280, TRL #6789): the mean k1
  /// `log π_inf − log π_θ` and k3 `r − 1 − log r` (`r = π_θ/π_inf`) estimates of
  /// KL(π_inf ‖ π_θ), the importance ratio's 1/50/99% quantiles, the fraction outside
  /// `[1 − ε, 1 + ε]`, the Pearson correlation of the two probabilities, and the largest
  /// `|log π_θ − log π_inf|`.
  public var mismatch: (k1: Double, k3: Double, ratioP1: Double, ratioP50: Double, ratioP99: Double, outside: Double, correlation: Double, maxAbsDiff: Double)?

  /// The fraction of the counted tokens that the trust-region mask dropped (prime-rl's
  /// `is_masked`: DPPO's `|π_θ − π_inf|` test).
  public var trustRegionMaskedFraction: Double?

  /// Per prompt group: the mean over groups of the unbiased pass@k
  /// `1 − C(n − c, k)/C(n, k)` (`c` correct of `n`), the mean number of distinct answers per
  /// group, and the fraction of groups whose advantages are all zero (GRPO learns nothing there).
  public var groupStatistics: (passAtK: [(k: Int, value: Double)], distinctAnswers: Double?, zeroAdvantageFraction: Double?)?

  /// Why each skipped analysis was skipped.
  public var skipped: [String] = []

  /// A summary of `step` with every analysis still to do.
  public init(step: Int) { self.step = step }
}

/// The per-step analyses of a run's sample logs.
public enum StepAnalysis {
  /// Analyses one step's samples.
  ///
  /// - Complexity: O(T log T) for `T` tokens (the quantiles and the KL-Cov ranking sort).
  public static func summarize(_ records: StepRecords, settings: RunLogSettings) -> StepSummary {
    var s = StepSummary(step: records.step)
    let samples = records.samples
    s.samples = samples.count
    s.groups = Set(samples.map(\.group)).count
    let rewards = samples.compactMap(\.reward).filter(\.isFinite)
    s.rewardMean = rewards.isEmpty ? nil : SampleStatistics.mean(rewards)

    // The counted tokens, flattened in sample order.
    var entropy: [Double] = [], trainer: [Double] = [], inference: [Double] = [], advantage: [Double] = []
    var micro: [String?] = []
    let haveEntropy = !samples.isEmpty && samples.allSatisfy { $0.tokens.entropy != nil }
    let haveTrainer = !samples.isEmpty && samples.allSatisfy { $0.tokens.trainerLogProbs != nil }
    let haveInference = !samples.isEmpty && samples.allSatisfy { $0.tokens.inferenceLogProbs != nil }
    let haveAdvantage = !samples.isEmpty && samples.allSatisfy { $0.tokens.advantages != nil || ($0.advantage != nil && $0.tokens.count > 0) }
    for sample in samples {
      let t = sample.tokens
      for i in 0..<t.count where t.counts(i) {
        s.tokens += 1
        if haveEntropy { entropy.append(t.entropy![i]) }
        if haveTrainer { trainer.append(t.trainerLogProbs![i]) }
        if haveInference { inference.append(t.inferenceLogProbs![i]) }
        if haveAdvantage { advantage.append(t.advantages?[i] ?? sample.advantage!) }
        micro.append(sample.microBatch)
      }
    }

    // Entropy.
    let finiteEntropy = entropy.filter(\.isFinite).sorted()
    if !finiteEntropy.isEmpty {
      let q = { (p: Double) in SampleStatistics.quantile(sorted: finiteEntropy, p) }
      let forking = Double(finiteEntropy.reduce(0) { $0 + ($1 > settings.forkingEntropy ? 1 : 0) }) / Double(finiteEntropy.count)
      s.entropy = (SampleStatistics.mean(finiteEntropy), q(0.1), q(0.5), q(0.9), q(0.99), forking)
    } else {
      s.skipped.append(haveEntropy ? "entropy: no finite per-token entropy" : "entropy: the log has no per-token entropy")
    }

    // Covariance and the selections: log π (the trainer's, else the sampler's) and A.
    let logProbs = haveTrainer ? trainer : inference
    if (haveTrainer || haveInference) && haveAdvantage && s.tokens > 0 {
      let valid = logProbs.indices.map { logProbs[$0].isFinite && advantage[$0].isFinite }
      let cov = TokenCovariance.compute(logProbs: logProbs, advantages: advantage, valid: valid)
      let finiteCov = cov.filter { !$0.isNaN }
      if !finiteCov.isEmpty {
        s.covariance = (SampleStatistics.mean(finiteCov), Double(finiteCov.filter { $0 > 0 }.count) / Double(finiteCov.count), TokenCovariance.topMeans(cov))
        s.selection = selections(logProbs: logProbs, advantages: advantage, old: haveTrainer && haveInference ? inference : nil, valid: valid, micro: micro, settings: settings)
      } else {
        s.skipped.append("covariance: no token with a finite log-probability and advantage")
      }
    } else {
      s.skipped.append("covariance, Clip-Cov/KL-Cov selection: " + (haveTrainer || haveInference ? "the log has no advantages" : "the log has no per-token log-probabilities"))
    }

    // Trainer against inference.
    if haveTrainer && haveInference {
      var k1 = 0.0, k3 = 0.0, outside = 0.0, n = 0.0, maxDiff = 0.0
      var ratios: [Double] = [], pt: [Double] = [], pi: [Double] = []
      for k in trainer.indices where trainer[k].isFinite && inference[k].isFinite {
        let logR = trainer[k] - inference[k]
        let r = Double.exp(Swift.min(logR, 700))
        k1 += -logR
        k3 += r - 1 - logR
        if r < 1 - settings.ratioEpsilon || r > 1 + settings.ratioEpsilon { outside += 1 }
        maxDiff = Swift.max(maxDiff, abs(logR))
        ratios.append(r)
        pt.append(Double.exp(trainer[k]))
        pi.append(Double.exp(inference[k]))
        n += 1
      }
      if n > 0 {
        ratios.sort()
        let q = { (p: Double) in SampleStatistics.quantile(sorted: ratios, p) }
        s.mismatch = (k1 / n, k3 / n, q(0.01), q(0.5), q(0.99), outside / n, SampleStatistics.correlation(pt, pi), maxDiff)
      }
    } else {
      s.skipped.append("trainer-vs-inference mismatch: the log needs both trainer and inference log-probabilities")
    }

    // The trust-region mask.
    if !samples.isEmpty, samples.allSatisfy({ $0.tokens.trustRegionMasked != nil }), s.tokens > 0 {
      var masked = 0
      for sample in samples {
        let t = sample.tokens
        for i in 0..<t.count where t.counts(i) && t.trustRegionMasked![i] { masked += 1 }
      }
      s.trustRegionMaskedFraction = Double(masked) / Double(s.tokens)
    }

    // Groups.
    s.groupStatistics = groupStatistics(samples, settings: settings, skipped: &s.skipped)
    return s
  }

  /// Clip-Cov and KL-Cov over all counted tokens, and within each micro-batch.
  static func selections(logProbs: [Double], advantages: [Double], old: [Double]?, valid: [Bool], micro: [String?], settings: RunLogSettings)
    -> (clipCov: Int, klCov: Int, microBatches: Int, clipCovPerMicroBatch: Int, klCovPerMicroBatch: Int, klCovOverlap: Double)
  {
    func clipCov(_ rows: [Int]) -> Int {
      let lp = rows.map { logProbs[$0] }, a = rows.map { advantages[$0] }, v = rows.map { valid[$0] }
      let cov = CovarianceSelection.tokenCovariance(logProbs: lp, advantages: a, valid: v, centering: .maskedMean)
      let clipped: [Bool]? = old.map { o in
        rows.map { CovarianceSelection.ppoClipped(logProb: logProbs[$0], oldLogProb: o[$0], advantage: advantages[$0], low: settings.ratioEpsilon, high: settings.ratioEpsilon) }
      }
      let eligible = CovarianceSelection.clipCovEligible(cov: cov, valid: v, lowerBound: settings.clipCovBounds.0, upperBound: settings.clipCovBounds.1, ppoClipped: clipped)
      return CovarianceSelection.clipCovCount(ratio: settings.clipCovRatio, validCount: v.filter { $0 }.count, eligible: eligible.count)
    }
    func klCov(_ rows: [Int]) -> Set<Int> {
      let lp = rows.map { logProbs[$0] }, a = rows.map { advantages[$0] }, v = rows.map { valid[$0] }
      let cov = CovarianceSelection.tokenCovariance(logProbs: lp, advantages: a, valid: v, centering: .exactMean)
      guard v.contains(true) else { return [] }
      return Set(CovarianceSelection.klCovRanking(cov: cov, valid: v, ratio: settings.klCovRatio).map { rows[$0] })
    }
    let all = Array(valid.indices)
    let globalKL = klCov(all)
    // Micro-batches in order of first appearance.
    var order: [String?] = [], members: [String?: [Int]] = [:]
    for (k, m) in micro.enumerated() {
      if members[m] == nil { order.append(m) }
      members[m, default: []].append(k)
    }
    var clipPer = 0
    var klPer = Set<Int>()
    for m in order {
      clipPer += clipCov(members[m]!)
      klPer.formUnion(klCov(members[m]!))
    }
    // Without micro-batches in the log there is nothing to compare: 0 micro-batches, NaN overlap.
    guard !(order.count == 1 && order[0] == nil) else { return (clipCov(all), globalKL.count, 0, 0, 0, .nan) }
    let union = globalKL.union(klPer).count
    return (clipCov(all), globalKL.count, order.count, clipPer, klPer.count, union == 0 ? 1 : Double(globalKL.intersection(klPer).count) / Double(union))
  }

  /// pass@k, distinct answers and zero-advantage groups.
  static func groupStatistics(_ samples: [SampleRecord], settings: RunLogSettings, skipped: inout [String])
    -> (passAtK: [(k: Int, value: Double)], distinctAnswers: Double?, zeroAdvantageFraction: Double?)?
  {
    var order: [String] = [], groups: [String: [SampleRecord]] = [:]
    for sample in samples {
      if groups[sample.group] == nil { order.append(sample.group) }
      groups[sample.group, default: []].append(sample)
    }
    guard !order.isEmpty else { return nil }
    var passAtK: [(k: Int, value: Double)] = []
    if samples.allSatisfy({ $0.reward != nil }) {
      let smallest = order.map { groups[$0]!.count }.min()!
      for k in settings.passK where k <= smallest {
        let values = order.map { key -> Double in
          let g = groups[key]!
          let c = g.filter { ($0.reward ?? -.infinity) > settings.correctAbove }.count
          return passAt(k: k, n: g.count, correct: c)
        }
        passAtK.append((k, SampleStatistics.mean(values)))
      }
    } else {
      skipped.append("pass@k: the log has no reward per sample")
    }
    var distinct: Double?
    if samples.allSatisfy({ $0.answerText != nil || $0.responseTokens != nil }) {
      distinct = SampleStatistics.mean(order.map { key in
        Double(Set(groups[key]!.map { $0.answerText ?? $0.responseTokens!.map(String.init).joined(separator: " ") }).count)
      })
    } else {
      skipped.append("distinct answers: the log has neither answer text nor response token ids")
    }
    var zero: Double?
    if samples.allSatisfy({ $0.advantage != nil || $0.tokens.advantages != nil }) {
      let zeros = order.filter { key in
        groups[key]!.allSatisfy { s in
          if let a = s.advantage { return a == 0 }
          let t = s.tokens
          return (0..<t.count).allSatisfy { !t.counts($0) || t.advantages![$0] == 0 }
        }
      }.count
      zero = Double(zeros) / Double(order.count)
    } else if samples.allSatisfy({ $0.reward != nil }) {
      // GRPO's advantage is zero exactly when the group's rewards are all equal.
      zero = Double(order.filter { key in Set(groups[key]!.map { $0.reward! }).count == 1 }.count) / Double(order.count)
    } else {
      skipped.append("zero-advantage groups: the log has neither advantages nor rewards")
    }
    return (passAtK, distinct, zero)
  }

  /// The unbiased pass@k of `correct` of `n` samples (Chen et al. 2021):
  /// `1 − C(n − c, k)/C(n, k) = 1 − Π_{i=n−c+1}^{n} (1 − k/i)`.
  public static func passAt(k: Int, n: Int, correct c: Int) -> Double {
    guard n - c >= k else { return 1 }
    var product = 1.0
    for i in (n - c + 1)...max(n - c + 1, n) where c > 0 { product *= 1 - Double(k) / Double(i) }
    return 1 - product
  }
}
