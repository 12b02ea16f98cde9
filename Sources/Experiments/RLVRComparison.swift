import Dispatch
import Foundation
import ParallelMap
import PolicyLosses
import RLVR
import Reports

/// One arm of a mini-RLVR comparison: a name and the method (a loss, its advantages and
/// rollout) it trains with on a seed.
public struct RLVRArm: Sendable {
  /// The arm's name (its key in ``RLVRComparison/runs``).
  public var name: String
  /// The method the arm trains with on a seed.
  public var method: @Sendable (UInt64) -> RLVRMethod
  /// An arm of a loss with GRPO advantages.
  public init(_ name: String, loss: @escaping @Sendable (UInt64) -> PolicyLoss) {
    self.name = name
    self.method = { RLVRMethod(loss($0)) }
  }
  /// An arm of any method.
  public init(_ name: String, method: @escaping @Sendable (UInt64) -> RLVRMethod) {
    self.name = name
    self.method = method
  }
}

/// One arm's run on one seed: every update's record and every evaluation.
public struct RLVRRun: Sendable {
  /// Every update's training record, in order (update 0 first).
  public var records: [UpdateRecord] = []
  /// Every evaluation, in order (the last after the last update).
  public var evaluations: [Evaluation] = []
  /// Wall time of the run.
  public var seconds = 0.0
  /// The last evaluation (after the last update).
  public var final: Evaluation { evaluations[evaluations.count - 1] }
  /// The training records after update 0, in order.
  public var updates: ArraySlice<UpdateRecord> { records.dropFirst() }
}

/// Arms × seeds of mini-RLVR runs, every arm of a seed starting from that seed's base model,
/// run on `threads` workers (each run sequential and seeded, so the results do not depend on
/// the thread count).
public struct RLVRComparison: Sendable {
  /// The seeds, in order (the second index of ``runs``).
  public var seeds: [UInt64]
  /// The arms' names, in order.
  public var arms: [String]
  /// The settings of each seed's runs.
  public var settings: [RLVRSettings]
  /// The base model of each seed, and its evaluation before RL (update 0).
  public var bases: [SequencePolicy], baseEvaluations: [Evaluation]
  /// `runs[arm][seed index]`.
  public var runs: [String: [RLVRRun]]
  /// Wall time of the pre-training and of the RL runs.
  public var pretrainSeconds = 0.0, seconds = 0.0

  /// Pre-trains (or takes from `bases`) the base model of every seed, then runs every arm on
  /// every seed from it; `finished` is called (from any thread) as each run ends. A failed
  /// run's error names its arm and seed.
  ///
  /// - Complexity: `S` pre-trainings (none with `bases`) and evaluations and `S·A` training runs for
  ///   `S` seeds and `A` arms, over `threads` workers (``RLVRTrainer``'s `pretrain`, `evaluate` and
  ///   `train` give their costs); memory: every record and evaluation of the `S·A` runs.
  public static func run(seeds: [UInt64], settings: (UInt64) -> RLVRSettings, arms: [RLVRArm], bases given: [SequencePolicy]? = nil,
                         threads: Int, finished: @Sendable () -> Void = {}) throws -> RLVRComparison {
    let settingsList = seeds.map(settings)
    let trainers = try settingsList.map { try RLVRTrainer($0) }
    let start = Date()
    let bases: [SequencePolicy] = given ?? parallelMap(count: seeds.count, threads: threads) { trainers[$0].pretrain() }
    let baseEvaluations = parallelMap(count: seeds.count, threads: threads) { trainers[$0].evaluate(bases[$0], update: 0) }
    let pretrainSeconds = Date().timeIntervalSince(start)
    let rlStart = Date()
    let jobs = seeds.indices.flatMap { s in arms.indices.map { (s, $0) } }
    let done = try parallelMap(count: jobs.count, threads: threads) { j -> RLVRRun in
      let (s, a) = jobs[j]
      var run = RLVRRun()
      let began = Date()
      do {
        _ = try trainers[s].train(from: bases[s], method: arms[a].method(seeds[s])) { record, evaluation in
          run.records.append(record)
          if let evaluation { run.evaluations.append(evaluation) }
          return true
        }
      } catch { throw ExperimentError("\(arms[a].name), seed \(seeds[s]): \(error)") }
      run.seconds = Date().timeIntervalSince(began)
      finished()
      return run
    }
    var runs: [String: [RLVRRun]] = [:]
    for (j, (_, a)) in jobs.enumerated() { runs[arms[a].name, default: []].append(done[j]) }
    return RLVRComparison(seeds: seeds, arms: arms.map(\.name), settings: settingsList, bases: bases, baseEvaluations: baseEvaluations, runs: runs,
                          pretrainSeconds: pretrainSeconds, seconds: Date().timeIntervalSince(rlStart))
  }

  /// `value` of the final evaluation of `arm`, per seed.
  public func finals(_ arm: String, _ value: (Evaluation) -> Double) -> [Double] { runs[arm]!.map { value($0.final) } }

  /// Welch's test of `value` at the end: `arm` against `reference`.
  public func welch(_ arm: String, against reference: String, _ value: (Evaluation) -> Double) -> WelchTest {
    Stats.welch(finals(arm, value), finals(reference, value))
  }

  /// The mean ± sd curve of `value` for `arm` as a plotted band.
  public func band(_ arm: String, _ value: (Evaluation) -> Double) -> PlotSeries {
    let curve = self.curve(arm, value)
    return PlotSeries(arm, x: curve.x, y: curve.mean, lower: zip(curve.mean, curve.sd).map { $0 - $1 }, upper: zip(curve.mean, curve.sd).map { $0 + $1 })
  }

  /// The mean over seeds of `value` at every evaluation of `arm`, with the standard deviation:
  /// (updates, mean, sd).
  public func curve(_ arm: String, _ value: (Evaluation) -> Double) -> (x: [Double], mean: [Double], sd: [Double]) {
    let list = runs[arm]!
    let count = list.map(\.evaluations.count).min() ?? 0
    let x = (0..<count).map { Double(list[0].evaluations[$0].update) }
    let columns = (0..<count).map { i in list.map { value($0.evaluations[i]) } }
    return (x, columns.map(Stats.mean), columns.map(Stats.standardDeviation))
  }
}
