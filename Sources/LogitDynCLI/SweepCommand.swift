import ArgumentParser
import Dispatch
import Foundation
import LogitDynamics
import OutputFormats
import ParallelMap
import RunStore
import Sweeps


/// `logitdyn sweep`: grids of lab runs from a TOML file, into a resumable, shardable store.
struct SweepCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sweep",
    abstract: "Sweeps of lab runs: plan a grid from a TOML file, run it into a resumable SQLite store, shard it, merge stores.",
    discussion: """
      A sweep file has a [run] table with the options of `logitdyn run` (env, arms, policy, rule, \
      lr, runs, steps, seed, …), an optional [loss] table (name and parameters), and a [sweep] \
      table of lists over any [run] field or loss.FIELD, expanded as a grid:

        [run]
        arms = 10
        rule = "reinforce-baseline"
        runs = 256
        steps = 500
        [sweep]
        lr = [0.01, 0.1]
        seed = [1, 2, 3]

      Each run's identity is a hash of its resolved configuration, so re-running a sweep skips \
      the runs already in the store, and shards (--shard I/N, e.g. one per task of a Slurm job \
      array; see examples/slurm-sweep.sh) can be merged.

      Limits: a sweep file of at most \(SweepConfig.maximumFileBytes >> 20) MiB and a grid of at \
      most \(SweepConfig.maximumGridPoints) points.
      """,
    subcommands: [SweepPlan.self, SweepRun.self, SweepMerge.self])
}

struct SweepPlan: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "plan", abstract: "Print the expanded runs of a sweep file and their count.")
  @Argument(help: ArgumentHelp("The sweep file.", valueName: "file.toml")) var file: String
  @Option(help: ArgumentHelp("Only shard I of N.", valueName: "I/N")) var shard: String?

  func run() throws {
    let config = try SweepConfig(path: file)
    var runs = config.expand()
    if let shard { runs = try SweepRun.applyShard(shard, runs) }
    var table = TextTable(["#", "id"] + config.sweep.map(\.0))
    for r in runs { table.append(["\(r.index)", r.id] + r.varied.map(\.1.description)) }
    print(table.rendered())
    print("\(runs.count) runs" + (config.sweep.isEmpty ? "" : " (" + config.sweep.map { "\($0.0): \($0.1.count)" }.joined(separator: " × ") + ")"))
  }
}

struct SweepRun: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run", abstract: "Run the sweep's runs that are not in the store yet, in parallel, each saved when it finishes.")
  @Argument(help: ArgumentHelp("The sweep file.", valueName: "file.toml")) var file: String
  @Option(help: ArgumentHelp("The run store (SQLite; created if missing).", valueName: "path")) var store: String
  @Option(help: "Runs in parallel (default: all cores).") var jobs: Int?
  @Option(help: ArgumentHelp("Run only shard I of N (1 ≤ I ≤ N): the runs at grid positions ≡ I − 1 mod N.", valueName: "I/N")) var shard: String?
  @Flag(name: .shortAndLong, help: "No progress display.") var quiet = false

  static func applyShard(_ text: String, _ runs: [RunSpec]) throws -> [RunSpec] {
    let parts = text.split(separator: "/").map { Int($0) }
    guard parts.count == 2, let i = parts[0], let n = parts[1] else { throw CLIError("--shard must be I/N, got '\(text)'") }
    return try SweepConfig.shard(runs, index: i, of: n)
  }

  /// The typed configuration of a run, its errors named by the run's identity.
  static func job(_ spec: RunSpec) throws -> RunSpec.Job {
    do { return try spec.job() } catch { throw CLIError("run \(spec.id): \(error)") }
  }

  /// Runs one sweep run (one thread, no progress display); returns its series CSV and summary
  /// JSON.
  static func execute(_ spec: RunSpec, stop: @escaping () -> Bool) throws -> (series: String, summary: String) {
    switch try job(spec) {
    case .game(let c):
      let g: NormalFormGame
      do { g = try c.loadGame() } catch { throw CLIError("run \(spec.id): \(error)") }
      let (series, summary, _) = try GameLearn.execute(c, game: g, memory: try MemoryLimitOption.parse([]), stop: stop)
      if stop() { throw CLIError("interrupted") }
      return (series, summary.rendered(indent: 0).replacingOccurrences(of: "\n", with: ""))
    case .lab(let c):
      // One thread per run: the runs themselves are parallel (the series does not depend on it).
      let runner: LabRunner
      do { runner = try c.makeRunner() } catch { throw CLIError("run \(spec.id): \(error)") }
      var text = StepAggregate.csvHeader + "\n"
      var first: StepAggregate?, last: StepAggregate?
      do {
        try runner.run(threads: 1, stopRequested: stop) { agg in
          if first == nil { first = agg }
          last = agg
          text += agg.csvRow + "\n"
          return true
        }
      } catch { throw CLIError("run \(spec.id): \(error)") }
      guard let first, let last, last.step + 1 == c.steps else { throw CLIError("interrupted") }
      let summary: JSONValue = .object([("steps", .integer(last.step + 1))] + RunCommand.outcomeFields(first: first, last: last))
      return (text, summary.rendered(indent: 0).replacingOccurrences(of: "\n", with: ""))
    }
  }

  /// Checks a run's configuration without running it (the game is loaded, the lab runner
  /// built and its memory estimated against the default limit).
  static func check(_ spec: RunSpec) throws {
    switch try spec.job() {
    case .game(let c):
      _ = try c.makeLearning(on: try c.loadGame())
    case .lab(let c):
      let estimate = try c.estimatedBytes(threads: 1)
      try MemoryLimitOption.parse([]).check(estimate.bytes, estimate.what)
      _ = try c.makeRunner()
    }
  }

  func run() throws {
    let config = try SweepConfig(path: file)
    var runs = config.expand()
    if let shard { runs = try Self.applyShard(shard, runs) }
    if let jobs, jobs < 1 { throw CLIError("--jobs must be at least 1, got \(jobs)") }
    // Check every run's configuration before starting any.
    for r in runs {
      do { try Self.check(r) } catch {
        throw CLIError("\(file): run \(r.index)\(r.varied.isEmpty ? "" : " (" + r.varied.map { "\($0.0) = \($0.1)" }.joined(separator: ", ") + ")"): \(error)")
      }
    }
    let runStore = try RunStore(path: store)
    let done: Set<String> = try runStore.finishedIDs()
    let todo = runs.filter { !done.contains($0.id) }
    let sweepName = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
    Interrupt.install()
    defer { Interrupt.restore() }
    let progress = ProgressLine(enabled: !quiet, label: "sweep", unit: "runs")
    let workers = max(1, min(jobs ?? ProcessInfo.processInfo.activeProcessorCount, todo.count))
    let version = LogitDynVersion.string
    progress.update(0, of: todo.count)
    // The runs on the workers; a failure or Ctrl-C stops new runs from starting (the ones
    // running finish, or stop at their next chunk on Ctrl-C), and what finished is stored.
    var failure: (any Error)?
    do {
      _ = try parallelMap(count: todo.count, threads: workers) { k in
        guard !Interrupt.requested else { throw CLIError("interrupted") }
        let spec = todo[k]
        let start = Date()
        let (series, summary) = try Self.execute(spec, stop: { Interrupt.requested })
        let end = Date()
        let varied = "{" + spec.varied.map { "\"\($0.0)\":\($0.1.json)" }.joined(separator: ",") + "}"
        try runStore.save(StoredRun(
          id: spec.id, sweep: sweepName, gridIndex: spec.index, config: spec.configJSON, varied: varied, status: "done",
          started: start.timeIntervalSince1970, finished: end.timeIntervalSince1970, seconds: end.timeIntervalSince(start),
          codeVersion: version, summary: summary, series: series))
        progress.advance(of: todo.count)
      }
    } catch {
      failure = error
    }
    progress.finish()
    if let failure, !Interrupt.requested { throw CLIError("\(failure)") }
    let finished = progress.completedCount
    print("\(finished) runs done, \(done.intersection(Set(runs.map(\.id))).count) already in \(store), \(todo.count - finished) left")
    if Interrupt.requested { throw ExitCode(130) }
  }
}

struct SweepMerge: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "merge", abstract: "Merge run stores (e.g. one per shard) into one.")
  @Option(help: ArgumentHelp("The merged store (created if missing).", valueName: "path")) var into: String
  @Argument(help: ArgumentHelp("Stores to merge.", valueName: "store")) var stores: [String]

  func run() throws {
    guard !stores.isEmpty else { throw CLIError("no stores to merge") }
    let target = try RunStore(path: into)
    var added = 0
    for s in stores { added += try target.merge(from: try RunStore(path: s, create: false)) }
    print("merged \(added) runs into \(into) (\(try target.runs().count) in all)")
  }
}
