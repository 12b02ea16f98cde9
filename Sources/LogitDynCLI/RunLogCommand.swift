import ArgumentParser
import Foundation
import LogitDynamics
import OutputFormats
import RunLogs

/// `logitdyn run-log`: what the theory says about a real run, from the files RL frameworks write.
struct RunLogCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run-log",
    abstract: "Read what an RL framework wrote (prime-rl token exports, open-instruct rollouts, verl rollout dumps, TensorBoard/CSV/JSONL scalars) and report what the theory says about the run.",
    discussion: """
      Formats (detected, or named with --format):
        prime-rl       token_exports/step_N/rank_R.jsonl (schema version 1) and the STABLE marker of each complete step
        open-instruct  saved rollouts, *_rollouts_NNNNNN.jsonl (one sample per line, any steps per shard)
        verl           trainer.rollout_data_dir dumps, {step}.jsonl (input, output, gts, score, step)
        tensorboard    events.out.tfevents.* (verl's and TRL's scalars: actor/entropy, critic/score/mean, val-core/…, train/entropy, train/reward)
        csv, jsonl     scalar logs with a step column and one column (field) per tag

      Per step, as far as the fields allow (the summary says which analyses were skipped and why): \
      entropy quantiles and the forking-token fraction; the token covariance (log π − mean)(A − mean) \
      with seed 003's top-fraction table; the tokens Clip-Cov and KL-Cov would select, over the step \
      and per micro-batch; trainer-vs-inference k1/k3 KL, importance-ratio quantiles and the share \
      outside [1 − ε, 1 + ε], the correlation of the probabilities; per prompt group pass@k, distinct \
      answers and zero-advantage groups. From the entropy and performance curves: the law \
      R = −a·e^H + b with a bootstrap band of its ceiling b − a, the ceiling predicted from the first \
      --early fraction, the step where the entropy halved, a warning when it halves fast.

      A last record cut short (a run still writing) is skipped with a note. --follow watches the \
      folder and updates the outputs as new steps land (every --poll seconds; Ctrl-C stops cleanly).

      Writes with --out DIR: steps.csv, steps.jsonl, summary.json, index.html, and the per-step \
      numbers as TensorBoard scalars (tensorboard/events.out.tfevents.*), each atomically.

      Examples:
        logitdyn run-log outputs/my-run/token_exports --out runlog
        logitdyn run-log rollout_dumps/ --scalars tensorboard_log/ --out runlog
        logitdyn run-log runs/ --format tensorboard --early 0.2
      """)

  @Argument(help: ArgumentHelp("The run log: a file or a run directory.", valueName: "path")) var path: String
  @Option(help: ArgumentHelp("The format: \(RunLogFormat.allCases.map(\.rawValue).joined(separator: ", ")) (default: detected).", valueName: "name")) var format: String?
  @Option(help: ArgumentHelp("Scalar logs to read with the sample log (TensorBoard event files, CSV, JSONL; a file or a directory; repeatable).", valueName: "path")) var scalars: [String] = []
  @Option(name: .customLong("entropy-tag"), help: "The entropy curve's tag (default: actor/entropy, train/entropy, … whichever is there).") var entropyTag: String?
  @Option(name: .customLong("performance-tag"), help: "The performance curve's tag (default: validation accuracy val-core/… or val/…, else critic/score/mean, train/reward, …).") var performanceTag: String?
  @Option(parsing: .unconditional, help: "The share of the run the early fit of the law sees.") var early: Double = 0.15
  @Option(name: .customLong("warn-halving"), parsing: .unconditional, help: "Warn when the entropy halves within this share of the run's steps.") var warnHalving: Double = 0.1
  @Option(name: .customLong("forking-entropy"), parsing: .unconditional, help: "A token is forking above this entropy (nats).") var forkingEntropy: Double = RunLogSettings().forkingEntropy
  @Option(parsing: .unconditional, help: "The importance-ratio trust region [1 − ε, 1 + ε].") var epsilon: Double = RunLogSettings().ratioEpsilon
  @Option(name: .customLong("clip-cov-ratio"), parsing: .unconditional, help: "Clip-Cov's ratio (verl's default).") var clipCovRatio: Double = RunLogSettings().clipCovRatio
  @Option(name: .customLong("kl-cov-ratio"), parsing: .unconditional, help: "KL-Cov's ratio (verl's default).") var klCovRatio: Double = RunLogSettings().klCovRatio
  @Option(name: .customLong("correct-above"), parsing: .unconditional, help: "A sample is correct (pass@k) when its reward is above this.") var correctAbove: Double = RunLogSettings().correctAbove
  @Option(name: .customLong("pass-k"), help: ArgumentHelp("The k of pass@k.", valueName: "k1,k2,...")) var passK: String = "1,4,8,16"
  @Option(help: "Seed of Clip-Cov's draw and of the bootstrap.") var seed: UInt64 = 0
  @Option(help: ArgumentHelp("Output directory.", valueName: "dir")) var out: String?
  @Flag(help: "Print summary.json instead of the text summary.") var json = false
  @Flag(help: "Watch the folder and update the outputs as new steps land (Ctrl-C stops).") var follow = false
  @Option(parsing: .unconditional, help: "--follow: seconds between looks.") var poll: Double = 5
  @Option(name: .customLong("max-polls"), help: "--follow: stop after this many looks (default: until Ctrl-C).") var maxPolls: Int?
  @Flag(name: .shortAndLong, help: "No progress display.") var quiet = false

  func makeLog() throws -> RunLog {
    var chosen: RunLogFormat?
    if let format {
      guard let f = RunLogFormat(rawValue: format) else { throw CLIError("unknown format '\(format)' (available: \(RunLogFormat.allCases.map(\.rawValue).joined(separator: ", ")))") }
      chosen = f
    }
    var log = try RunLog(path: path, format: chosen)
    log.scalarPaths = scalars
    for extra in scalars where !FileManager.default.fileExists(atPath: extra) { throw CLIError("--scalars \(extra): no such file or directory") }
    log.entropyTag = entropyTag
    log.performanceTag = performanceTag
    guard early > 0, early <= 1 else { throw CLIError("--early must be in (0, 1], got \(formatNumber(early))") }
    guard warnHalving > 0, warnHalving <= 1 else { throw CLIError("--warn-halving must be in (0, 1], got \(formatNumber(warnHalving))") }
    guard forkingEntropy.isFinite, forkingEntropy >= 0 else { throw CLIError("--forking-entropy must be a finite number ≥ 0") }
    guard epsilon > 0, epsilon < 1 else { throw CLIError("--epsilon must be in (0, 1), got \(formatNumber(epsilon))") }
    guard clipCovRatio > 0, clipCovRatio <= 1, klCovRatio > 0, klCovRatio <= 1 else { throw CLIError("--clip-cov-ratio and --kl-cov-ratio must be in (0, 1]") }
    guard correctAbove.isFinite else { throw CLIError("--correct-above must be a finite number") }
    guard poll > 0, poll.isFinite else { throw CLIError("--poll must be a positive number of seconds") }
    if let maxPolls, maxPolls < 1 { throw CLIError("--max-polls must be at least 1") }
    log.earlyFraction = early
    log.warnHalving = warnHalving
    log.settings.forkingEntropy = forkingEntropy
    log.settings.ratioEpsilon = epsilon
    log.settings.clipCovRatio = clipCovRatio
    log.settings.klCovRatio = klCovRatio
    log.settings.correctAbove = correctAbove
    log.settings.seed = seed
    var ks: [Int] = []
    for part in passK.split(separator: ",") {
      guard let k = Int(part.trimmingCharacters(in: .whitespaces)), k >= 1 else { throw CLIError("--pass-k: '\(part)' is not a whole number ≥ 1") }
      ks.append(k)
    }
    guard !ks.isEmpty else { throw CLIError("--pass-k needs at least one k") }
    log.settings.passK = ks
    return log
  }

  /// Writes the outputs of `result` into `directory`, each file atomically.
  static func write(_ result: RunLogResult, to directory: String) throws {
    try AtomicFileWriter.write(Data(result.stepsCSV.utf8), to: directory + "/steps.csv")
    try AtomicFileWriter.write(Data(result.stepsJSONL.utf8), to: directory + "/steps.jsonl")
    try AtomicFileWriter.write(Data((result.summaryJSON.rendered() + "\n").utf8), to: directory + "/summary.json")
    try AtomicFileWriter.write(Data(result.html(title: "logitdyn run-log").utf8), to: directory + "/index.html")
    if !result.steps.isEmpty {
      let tb = directory + "/tensorboard"
      try FileManager.default.createDirectory(atPath: tb, withIntermediateDirectories: true)
      // One event file, replaced on each update (TensorBoard reads the directory).
      for old in (try? FileManager.default.contentsOfDirectory(atPath: tb)) ?? [] where old.hasPrefix("events.out.tfevents.") && old.hasSuffix(".logitdyn") {
        try? FileManager.default.removeItem(atPath: tb + "/" + old)
      }
      try AtomicFileWriter.write(result.tensorBoard, to: tb + "/" + TensorBoardWriter.fileName(wallTime: 0))
    }
  }

  func run() throws {
    let log = try makeLog()
    var directory = try out.map { try OutputDirectory($0) }
    var state = RunLog.State()
    let progress = ProgressLine(enabled: !quiet && !json, label: "run-log", unit: "steps")
    var result = try log.update(&state) { done, total in progress.update(done, of: total) }
    progress.finish()
    if let out {
      do {
        try directory!.create()
        try Self.write(result, to: out)
      } catch {
        directory?.removeIfCreated()
        throw error
      }
    }
    print(json ? result.summaryJSON.rendered() : result.text + (out.map { "\nwrote        \($0)/steps.csv, steps.jsonl, summary.json, index.html" + (result.steps.isEmpty ? "" : ", tensorboard/") } ?? ""))
    guard follow else { return }
    // Follow: look again every --poll seconds; Ctrl-C stops after the current look.
    Interrupt.install()
    defer { Interrupt.restore() }
    var polls = 0
    var seen = result.steps.count
    while !Interrupt.requested, maxPolls.map({ polls < $0 }) ?? true {
      let deadline = Date().addingTimeInterval(poll)
      while Date() < deadline, !Interrupt.requested { usleep(50_000) }
      if Interrupt.requested { break }
      polls += 1
      result = try log.update(&state)
      if let out { try Self.write(result, to: out) }
      if result.steps.count != seen, !quiet {
        seen = result.steps.count
        let last = result.steps.last
        print("step \(last?.step ?? 0): \(result.steps.count) steps" + (last?.entropy.map { ", entropy \(formatNumber($0.mean, digits: 4))" } ?? "") + (last?.rewardMean.map { ", reward \(formatNumber($0, digits: 4))" } ?? "")
              + (result.curves?.warnings.first.map { "; warning: \($0)" } ?? ""))
      }
    }
  }
}
