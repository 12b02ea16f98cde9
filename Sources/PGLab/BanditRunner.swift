import ParallelMap
import Dispatch
import SeededRandom

/// Advances N independent bandit runs of a tabular softmax policy together and records the
/// probes of every step.
///
/// Run `i` draws everything (its arm means, its actions, its rewards) from
/// `Xoshiro256StarStar(seed: seed, stream: i)`; steps are taken for all runs in lock step
/// (runs split over threads in contiguous shares), then aggregated in run order, so the
/// series is bit-identical whatever the thread count. Memory is O(N·K).
public struct BanditExperiment: Sendable {
  /// The arms and how their rewards are drawn.
  public var bandit: BanditSpec
  /// How the logits move each step.
  public var rule: UpdateRule
  /// Step size `η > 0`.
  public var learningRate: Double
  /// Number of runs `N ≥ 1`.
  public var runs: Int
  /// Number of steps.
  public var steps: Int
  /// Experiment seed.
  public var seed: UInt64
  /// Whether steps report 10/50/90% quantiles over runs (sorting per step); the means and
  /// maxima are always reported.
  public var quantiles: Bool = true
  /// The probes to compute; the others are reported as NaN (empty CSV fields) and cost
  /// nothing. Default: all.
  public var probes: Set<Probe> = Set(Probe.allCases)

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
  /// false to stop at once; `stopRequested` is polled between chunks of steps (e.g. for
  /// Ctrl-C: the steps already computed are all delivered). Returns the final logits, one row of K per run.
  ///
  /// Runs advance in chunks of steps: within a chunk each worker takes a fixed share of the
  /// SIMD groups of 8 runs and moves each group through all the chunk's steps (its state stays
  /// in cache); then the chunk's steps are aggregated, group sums added in group order, so the
  /// series does not depend on the thread count. Without ``quantiles`` only the means and
  /// maxima are formed (no per-run values are kept).
  ///
  /// - Complexity: O(T·N·K) for `T` steps of `N` runs of `K` arms (one softmax per run and step), plus
  ///   O(T·N log N) for the quantiles' sorts; memory O(N·K), and O(c·N) for a chunk of `c ≤ 1024` steps.
  @discardableResult
  public func run(
    threads: Int, stopRequested: () -> Bool = { false }, onStep: (StepAggregate) -> Bool
  ) throws(LabError) -> [[Double]] {
    try validate()
    let kernel = VectorBanditKernel(self)
    let groups = kernel.groups, probeCount = Probe.allCases.count, quantileCount = Probe.quantileProbes.count
    let workers = max(1, min(threads, groups))
    // About 2M logit-updates per chunk: long enough to amortise the thread handoff, short
    // enough for prompt progress and Ctrl-C.
    let chunk = max(1, min(steps, 1024, 2_000_000 / max(1, runs * bandit.arms)))
    let sums = UnsafeMutablePointer<Double>.allocate(capacity: chunk * groups * probeCount)
    let maxes = UnsafeMutablePointer<Double>.allocate(capacity: chunk * groups * probeCount)
    let runValues: UnsafeMutablePointer<SIMD8<Double>>? = quantiles ? .allocate(capacity: chunk * quantileCount * groups) : nil
    defer { sums.deallocate(); maxes.deallocate(); runValues?.deallocate() }
    let shared = (LabPointer(sums), LabPointer(maxes), runValues.map(LabPointer.init))
    let n = runs
    var step = 0
    while step < steps, !stopRequested() {
      let count = min(chunk, steps - step)
      // Each group of 8 runs writes its own part of the chunk's sums.
      _ = parallelMap(count: groups, threads: workers) { g in
        kernel.advance(group: g, count: count, sums: shared.0.p, maxes: shared.1.p, runValues: shared.2?.p)
      }
      // Aggregate the chunk's steps (in parallel over steps; each step's sums in group order).
      let first = step
      let aggregates = parallelMap(count: count, threads: workers) { t -> StepAggregate in
          var scratch: [Double] = []
          var mean = [Double](repeating: 0, count: probeCount), largest = [Double](repeating: 0, count: probeCount)
          for g in 0..<groups {
            let base = (t * groups + g) * probeCount
            for q in 0..<probeCount {
              mean[q] += shared.0.p[base + q]
              let m = shared.1.p[base + q]
              if m.isNaN || m > largest[q] { largest[q] = m.isNaN ? .nan : m }
            }
          }
          for q in 0..<probeCount { mean[q] /= Double(n) }
          var q10 = [Double](repeating: .nan, count: probeCount), q50 = q10, q90 = q10
          if let values = shared.2?.p {
            for (qi, probe) in Probe.quantileProbes.enumerated() where !mean[probe.rawValue].isNaN {
              scratch.removeAll(keepingCapacity: true)
              let column = UnsafeRawPointer(values + (t * quantileCount + qi) * groups).assumingMemoryBound(to: Double.self)
              for i in 0..<n { scratch.append(column[i]) }
              (q10[probe.rawValue], q50[probe.rawValue], q90[probe.rawValue]) = StepAggregate.quantiles(sorting: &scratch)
            }
          }
          return StepAggregate(step: first + t, mean: mean, q10: q10, q50: q50, q90: q90, maxAbs: largest)
      }
      var stop = false
      for aggregate in aggregates where !stop {
        if !onStep(aggregate) { stop = true }
      }
      if stop { break }
      step += count
    }
    return kernel.logits
  }
}

/// A pointer handed to worker threads that touch disjoint elements.
public struct LabPointer<T>: @unchecked Sendable {
  /// The shared buffer.
  public let p: UnsafeMutablePointer<T>
  /// Wraps `p`.
  public init(_ p: UnsafeMutablePointer<T>) { self.p = p }
}
