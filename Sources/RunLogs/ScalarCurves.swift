import SampleStatistics
import SeededRandom

/// What the entropy and performance curves of a run say: seed 003's law
/// `R = −a·e^H + b` fitted on the whole run and on its first fraction (whose ceiling `b − a`
/// predicts where the run can go), the step where the entropy halved, and how fast it fell.
public struct CurveAnalysis: Sendable {
  /// The tags used.
  public var entropyTag: String, performanceTag: String
  /// The `(step, H, R)` points the fits use: each performance point with the entropy logged
  /// at the same step, or the last one before it.
  public var points: [(step: Int, entropy: Double, performance: Double)]
  /// The fit on every point, and the 2.5–97.5% bootstrap band of its ceiling `b − a`.
  public var fit: EntropyPerformanceLaw?, ceilingBand: (Double, Double)?
  /// The fit on the first `earlyFraction` of the points and its ceiling's band.
  public var earlyFit: EntropyPerformanceLaw?, earlyCeilingBand: (Double, Double)?
  /// The share of the run's steps the early fit sees.
  public var earlyFraction: Double
  /// The best performance logged.
  public var bestPerformance: Double?
  /// The first entropy, and the first step at which the entropy is at most half of it.
  public var initialEntropy: Double?, halvingStep: Int?
  /// The shortest number of steps over which the entropy halved anywhere in the run.
  public var fastestHalving: Int?
  /// Warnings for the researcher (the entropy falling fast).
  public var warnings: [String] = []
  /// Why parts were skipped.
  public var skipped: [String] = []
}

/// Choosing the curves and fitting them.
public enum ScalarCurves {
  /// Entropy tags in order of preference: verl, TRL, prime-rl and generic names.
  public static let entropyTags = ["actor/entropy", "train/entropy", "entropy/mean", "entropy", "train/entropy_mean", "policy/entropy"]
  /// Performance tags in order of preference after validation accuracy (`val-core/…/acc/mean@N`,
  /// `val/…`): verl's score, TRL's reward, generic names.
  public static let performanceTags = ["critic/score/mean", "train/reward", "critic/rewards/mean", "reward/mean", "reward", "score", "accuracy"]

  /// The tag to use for the entropy (`preferred` if given).
  public static func entropyTag(in tags: [String], preferred: String? = nil) -> String? {
    if let preferred { return tags.contains(preferred) ? preferred : nil }
    return entropyTags.first(where: tags.contains)
  }

  /// The tag to use for the performance: validation accuracy first (seed 003 fits validation
  /// accuracy), then the training reward.
  public static func performanceTag(in tags: [String], preferred: String? = nil) -> String? {
    if let preferred { return tags.contains(preferred) ? preferred : nil }
    if let validation = tags.sorted().first(where: { ($0.hasPrefix("val-core/") || $0.hasPrefix("val/")) && ($0.contains("acc") || $0.contains("reward") || $0.contains("score")) }) {
      return validation
    }
    return performanceTags.first(where: tags.contains)
  }

  /// The analysis of `entropy` and `performance` curves (points in step order).
  ///
  /// - Parameters:
  ///   - earlyFraction: the share of the points the early fit sees (`--early`, 0.15).
  ///   - warnHalving: warn when the entropy halves within this share of the run's steps.
  ///   - draws: bootstrap resamples; `seed`: their random stream.
  /// - Complexity: O(draws · n) for `n` points.
  public static func analyze(entropyTag: String, entropy: [(step: Int, value: Double)], performanceTag: String, performance: [(step: Int, value: Double)],
                             earlyFraction: Double = 0.15, warnHalving: Double = 0.1, draws: Int = 1000, seed: UInt64 = 0) -> CurveAnalysis {
    let h = entropy.filter { $0.value.isFinite }
    var out = CurveAnalysis(entropyTag: entropyTag, performanceTag: performanceTag, points: [], earlyFraction: earlyFraction)
    // Entropy alone: halving and speed.
    if let first = h.first {
      out.initialEntropy = first.value
      out.halvingStep = h.first(where: { $0.value <= first.value / 2 })?.step
      out.fastestHalving = fastestHalving(h)
      let span = (h.last!.step - first.step)
      if let fastest = out.fastestHalving, span > 0, Double(fastest) <= warnHalving * Double(span) {
        out.warnings.append("the entropy (\(entropyTag)) halved within \(fastest) steps, \(Int((Double(fastest) / Double(span) * 100).rounded()))% of the run: a collapse (seed 003: the performance ceiling is set by the entropy left)")
      }
    } else {
      out.skipped.append("entropy halving: no finite entropy values under \(entropyTag)")
    }
    // The law on (H, R) pairs.
    var k = 0
    for p in performance where p.value.isFinite {
      while k + 1 < h.count, h[k + 1].step <= p.step { k += 1 }
      guard k < h.count, h[k].step <= p.step else { continue }
      out.points.append((p.step, h[k].value, p.value))
    }
    out.bestPerformance = out.points.map(\.performance).max()
    guard out.points.count >= 3, Set(out.points.map(\.entropy)).count >= 2 else {
      out.skipped.append("the entropy–performance law: \(out.points.count) (entropy, performance) points with distinct entropies, at least 3 needed")
      return out
    }
    let hs = out.points.map(\.entropy), rs = out.points.map(\.performance)
    out.fit = EntropyPerformanceLaw(entropy: hs, performance: rs)
    out.ceilingBand = bootstrapCeiling(hs, rs, draws: draws, seed: seed)
    // The early fit: the points in the first `earlyFraction` of the run's steps.
    let firstStep = out.points.first!.step, lastStep = out.points.last!.step
    let cut = Double(firstStep) + earlyFraction * Double(lastStep - firstStep)
    let early = out.points.filter { Double($0.step) <= cut }.count
    if early >= 3, Set(hs.prefix(early)).count >= 2 {
      out.earlyFit = EntropyPerformanceLaw(entropy: Array(hs.prefix(early)), performance: Array(rs.prefix(early)))
      out.earlyCeilingBand = bootstrapCeiling(Array(hs.prefix(early)), Array(rs.prefix(early)), draws: draws, seed: seed &+ 1)
    } else {
      out.skipped.append("the early fit: the first \(Int((earlyFraction * 100).rounded()))% of the run (steps ≤ \(Int(cut))) has \(early) (entropy, performance) point\(early == 1 ? "" : "s"), at least 3 needed (raise --early)")
    }
    return out
  }

  /// The fewest steps between a point and the first later point at or below half its value:
  /// for each `i` the first `j > i` with `h_j ≤ h_i/2`, found by walking a sparse table of range
  /// minima (blocks whose minimum is above the target are skipped whole).
  ///
  /// - Complexity: O(n log n).
  static func fastestHalving(_ h: [(step: Int, value: Double)]) -> Int? {
    let n = h.count
    guard n > 1 else { return nil }
    // table[l][i] = min(h[i ..< i + 2^l]).
    var table = [h.map(\.value)]
    var width = 1
    while 2 * width <= n {
      let previous = table.last!
      table.append((0...(n - 2 * width)).map { Swift.min(previous[$0], previous[$0 + width]) })
      width *= 2
    }
    var fastest: Int?
    for i in 0..<(n - 1) where h[i].value > 0 {
      let target = h[i].value / 2
      var position = i + 1
      for level in stride(from: table.count - 1, through: 0, by: -1) where position < n {
        let size = 1 << level
        if position + size <= n, table[level][position] > target { position += size }
      }
      if position < n, h[position].value <= target { fastest = Swift.min(fastest ?? .max, h[position].step - h[i].step) }
    }
    return fastest
  }

  /// The 2.5% and 97.5% quantiles of the ceiling `b − a` over `draws` resamples of the points
  /// with replacement (resamples whose entropies are all equal are dropped).
  static func bootstrapCeiling(_ h: [Double], _ r: [Double], draws: Int, seed: UInt64) -> (Double, Double)? {
    var rng = Xoshiro256StarStar(seed: seed, stream: 0xCE11)
    var ceilings: [Double] = []
    for _ in 0..<draws {
      var hb: [Double] = [], rb: [Double] = []
      for _ in h.indices {
        let i = rng.nextInt(below: h.count)
        hb.append(h[i])
        rb.append(r[i])
      }
      let c = EntropyPerformanceLaw(entropy: hb, performance: rb).ceiling
      if c.isFinite { ceilings.append(c) }
    }
    guard ceilings.count >= draws / 2 else { return nil }
    ceilings.sort()
    return (SampleStatistics.quantile(sorted: ceilings, 0.025), SampleStatistics.quantile(sorted: ceilings, 0.975))
  }
}
