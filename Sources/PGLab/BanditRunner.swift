import Dispatch
import Foundation
import SeededRandom

/// Advances N independent bandit runs of a tabular softmax policy together and records the
/// probes of every step.
///
/// Run `i` draws everything (its arm means, its actions, its rewards) from
/// `Xoshiro256StarStar(seed: seed, stream: i)`; steps are taken for all runs in lock step
/// (runs split over threads in contiguous shares), then aggregated in run order, so the
/// series is bit-identical whatever the thread count. Memory is O(N·K).
public struct BanditExperiment: Sendable {
  public var bandit: BanditSpec
  public var rule: UpdateRule
  /// Step size `η > 0`.
  public var learningRate: Double
  /// Number of runs `N ≥ 1`.
  public var runs: Int
  /// Number of steps.
  public var steps: Int
  /// Experiment seed.
  public var seed: UInt64

  /// An experiment.
  public init(bandit: BanditSpec, rule: UpdateRule, learningRate: Double, runs: Int, steps: Int, seed: UInt64) {
    self.bandit = bandit
    self.rule = rule
    self.learningRate = learningRate
    self.runs = runs
    self.steps = steps
    self.seed = seed
  }

  /// Checks every field, naming the bad one.
  public func validate() throws(LabError) {
    try bandit.validate()
    guard learningRate.isFinite, learningRate > 0 else { throw LabError("the learning rate must be a finite number > 0, got \(learningRate)") }
    guard runs >= 1 else { throw LabError("the number of runs must be at least 1, got \(runs)") }
    guard steps >= 1 else { throw LabError("the number of steps must be at least 1, got \(steps)") }
    if case .reinforceBaseline(let rate) = rule, !(rate > 0 && rate <= 1) {
      throw LabError("the baseline rate must lie in (0, 1], got \(rate)")
    }
  }

  /// Runs the experiment; `onStep` receives each step's aggregate in order and returns
  /// false to stop early (e.g. on Ctrl-C). Returns the final logits, one row of K per run.
  @discardableResult
  public func run(threads: Int, onStep: (StepAggregate) -> Bool) throws(LabError) -> [[Double]] {
    try validate()
    let k = bandit.arms, n = runs
    var rngs = (0..<n).map { Xoshiro256StarStar(seed: seed, stream: UInt64($0)) }
    var means = [Double](repeating: 0, count: n * k)
    for i in 0..<n { means.replaceSubrange((i * k)..<((i + 1) * k), with: bandit.drawMeans(&rngs[i])) }
    var logits = [Double](repeating: 0, count: n * k)
    var baselines = [Double](repeating: 0, count: n)
    var values = [[Double]](repeating: [Double](repeating: .nan, count: n), count: Probe.allCases.count)
    let workers = max(1, min(threads, n))
    for step in 0..<steps {
      rngs.withUnsafeMutableBufferPointer { rngBuf in
        logits.withUnsafeMutableBufferPointer { zBuf in
          baselines.withUnsafeMutableBufferPointer { bBuf in
            means.withUnsafeBufferPointer { muBuf in
              let out = values.indices.map { p in values[p].withUnsafeMutableBufferPointer { LabPointer($0.baseAddress!) } }
              let shared = (LabPointer(rngBuf.baseAddress!), LabPointer(zBuf.baseAddress!), LabPointer(bBuf.baseAddress!),
                            LabPointer(UnsafeMutablePointer(mutating: muBuf.baseAddress!)))
              let me = self
              DispatchQueue.concurrentPerform(iterations: workers) { w in
                let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 2 * k)
                defer { scratch.deallocate() }
                for i in (n * w / workers)..<(n * (w + 1) / workers) {
                  me.stepRun(
                    i, rng: &shared.0.p[i], z: shared.1.p + i * k, baseline: &shared.2.p[i], means: shared.3.p + i * k,
                    scratch: scratch, out: out)
                }
              }
            }
          }
        }
      }
      if !onStep(StepAggregate(step: step, values: values)) { break }
    }
    return (0..<n).map { Array(logits[($0 * k)..<(($0 + 1) * k)]) }
  }

  /// Softmax of `z[0..<k]` into `p`; returns `(log s, Σ p (z − m))` with `m = max z`.
  @inline(__always)
  static func softmax(_ z: UnsafeMutablePointer<Double>, _ k: Int, into p: UnsafeMutablePointer<Double>)
    -> (logS: Double, mean: Double, max: Double)
  {
    var m = z[0]
    for j in 1..<k where z[j] > m { m = z[j] }
    var s = 0.0
    for j in 0..<k {
      p[j] = Foundation.exp(z[j] - m)
      s += p[j]
    }
    var cross = 0.0
    for j in 0..<k {
      p[j] /= s
      cross += p[j] * (z[j] - m)
    }
    return (Foundation.log(s), cross, m)
  }

  /// One step of run `i`: sample, update, record probes into `out[probe][i]`.
  func stepRun(_ i: Int, rng: inout Xoshiro256StarStar, z: UnsafeMutablePointer<Double>, baseline: inout Double,
               means mu: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>, out: [LabPointer<Double>]) {
    let k = bandit.arms
    let p = scratch, dz = scratch + k
    let (logS, cross, maxZ) = Self.softmax(z, k, into: p)
    let entropy = logS - cross
    var collision = 0.0, expectedReward = 0.0, best = -Double.infinity
    for j in 0..<k {
      collision += p[j] * p[j]
      expectedReward += p[j] * mu[j]
      best = max(best, mu[j])
    }
    let eta = learningRate
    var reward = Double.nan, pc = Double.nan, closedForm = Double.nan
    switch rule {
    case .reinforce, .reinforceBaseline:
      // Sample c by inversion.
      let u = rng.nextDouble()
      var c = k - 1, cumulative = 0.0
      for j in 0..<k {
        cumulative += p[j]
        if u < cumulative { c = j; break }
      }
      reward = bandit.reward(mean: mu[c], &rng)
      var advantage = reward
      if case .reinforceBaseline(let rate) = rule {
        advantage = reward - baseline
        baseline += rate * (reward - baseline)
      }
      // Δz_c = ηA(1 − p_c) with 1 − p_c = Σ_{o≠c} p_o; Δz_o = −ηA p_o.
      var complement = 0.0, otherSquares = 0.0
      for j in 0..<k where j != c {
        complement += p[j]
        otherSquares += p[j] * p[j]
        dz[j] = -eta * advantage * p[j]
      }
      dz[c] = eta * advantage * complement
      pc = p[c]
      closedForm = abs(eta * advantage) * (complement * complement + otherSquares).squareRoot()
    case .expected, .natural:
      reward = expectedReward
      for j in 0..<k {
        let a = mu[j] - expectedReward
        dz[j] = rule == .expected ? eta * p[j] * a : eta * a
      }
    }
    // Probes of the step: measured norm, zero sum, entropy change predicted and actual.
    var normSq = 0.0, zeroSum = 0.0, meanDz = 0.0
    for j in 0..<k {
      normSq += dz[j] * dz[j]
      zeroSum += dz[j]
      meanDz += p[j] * dz[j]
    }
    var cov = 0.0
    for j in 0..<k where p[j] > 0 {
      let logp = (z[j] - maxZ) - logS
      cov += p[j] * (logp + entropy) * (dz[j] - meanDz)
    }
    for j in 0..<k { z[j] += dz[j] }
    let (logS2, cross2, _) = Self.softmax(z, k, into: p)
    let norm = normSq.squareRoot()
    out[Probe.reward.rawValue].p[i] = reward
    out[Probe.regret.rawValue].p[i] = best - expectedReward
    out[Probe.chosenProbability.rawValue].p[i] = pc
    out[Probe.entropy.rawValue].p[i] = entropy
    out[Probe.collision.rawValue].p[i] = collision
    out[Probe.updateNorm.rawValue].p[i] = norm
    out[Probe.updateNormClosedForm.rawValue].p[i] = closedForm
    out[Probe.normRelativeError.rawValue].p[i] = closedForm > 0 ? abs(norm - closedForm) / closedForm : .nan
    out[Probe.zeroSum.rawValue].p[i] = rule == .natural ? .nan : zeroSum
    out[Probe.entropyChangePredicted.rawValue].p[i] = -cov
    out[Probe.entropyChangeActual.rawValue].p[i] = (logS2 - cross2) - entropy
  }
}

/// A pointer handed to worker threads that touch disjoint elements.
public struct LabPointer<T>: @unchecked Sendable {
  public let p: UnsafeMutablePointer<T>
  public init(_ p: UnsafeMutablePointer<T>) { self.p = p }
}
