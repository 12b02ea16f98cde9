import ArgumentParser
import Foundation
import LogitDynamics
import OutputFormats

/// Set by the SIGINT handler; polled between steps.
nonisolated(unsafe) private var interruptRequested: sig_atomic_t = 0

/// `logitdyn run`: many seeded bandit runs of a softmax policy, with per-step probes.
struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run N seeded K-armed bandit runs of a tabular softmax policy and record the theory's probes per step.",
    discussion: """
      Each step records, over runs (mean and 10/50/90% quantiles): reward, regret, p_c, \
      entropy, collision probability, the measured logit-update norm next to the closed form \
      η|A|√(1 − 2p_c + C(p)), the zero-sum residual, and the first-order entropy change \
      −Cov(log p, Δz) next to the actual one. Run i uses the random stream (seed, i): the \
      series is identical for any --threads.

      Writes DIR/series.csv (one line per step, written whole and flushed as it goes; Ctrl-C \
      stops after the current step and keeps every completed line) and DIR/summary.json.

      Example: logitdyn run --env gaussian-bandit --arms 10 --rule reinforce-baseline --lr 0.1 --runs 1024 --steps 1000 --seed 1 --out runs/a
      """)

  @Option(help: "Environment: gaussian-bandit or bernoulli-bandit.") var env: String = "gaussian-bandit"
  @Option(help: "Number of arms K ≥ 2.") var arms: Int = 10
  @Option(parsing: .unconditional, help: ArgumentHelp("Fixed arm means (comma-separated); default: drawn per run.", valueName: "m1,m2,..."))
  var means: String?
  @Option(parsing: .unconditional, help: "Reward noise σ of Gaussian arms.") var noise: Double = 1
  @Option(help: "Policy: tabular.") var policy: String = "tabular"
  @Option(help: "Update rule: reinforce, reinforce-baseline, expected, natural.") var rule: String = "reinforce-baseline"
  @Option(name: .customLong("baseline-rate"), parsing: .unconditional, help: "Running-mean rate of the baseline.") var baselineRate: Double = 0.01
  @Option(name: .customLong("lr"), parsing: .unconditional, help: "Step size η > 0.") var learningRate: Double = 0.1
  @Option(parsing: .unconditional, help: "Number of independent runs N ≥ 1.") var runs: Int = 1024
  @Option(parsing: .unconditional, help: "Steps per run.") var steps: Int = 1000
  @Option(help: "Experiment seed.") var seed: UInt64 = 1
  @Option(help: "Worker threads (default: all cores).") var threads: Int?
  @Option(help: ArgumentHelp("Output directory.", valueName: "dir")) var out: String?
  @Flag(name: .shortAndLong, help: "No progress display.") var quiet = false

  func run() throws {
    guard let kind = BanditSpec.Kind(rawValue: env) else {
      throw CLIError("unknown environment '\(env)' (available: \(BanditSpec.Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
    }
    guard policy == "tabular" else { throw CLIError("unknown policy '\(policy)' (available: tabular)") }
    guard let updateRule = UpdateRule(name: rule, baselineRate: baselineRate) else {
      throw CLIError("unknown rule '\(rule)' (available: \(UpdateRule.names.joined(separator: ", ")))")
    }
    if let threads, threads < 1 { throw CLIError("--threads must be at least 1, got \(threads)") }
    var fixedMeans: [Double]? = nil
    if let means {
      fixedMeans = try means.split(separator: ",").enumerated().map { i, field in
        guard let v = Double(field.trimmingCharacters(in: .whitespaces)) else {
          throw CLIError("arm mean \(i) in --means is not a number: '\(field)'")
        }
        return v
      }
    }
    let experiment = BanditExperiment(
      bandit: BanditSpec(kind: kind, arms: arms, means: fixedMeans, noise: noise), rule: updateRule,
      learningRate: learningRate, runs: runs, steps: steps, seed: seed)
    do { try experiment.validate() } catch { throw CLIError("\(error)") }

    var series: FileHandle? = nil
    if let out {
      do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
        throw CLIError("cannot create --out directory '\(out)'")
      }
      let path = out + "/series.csv"
      guard FileManager.default.createFile(atPath: path, contents: Data((StepAggregate.csvHeader + "\n").utf8)),
        let handle = FileHandle(forWritingAtPath: path)
      else { throw CLIError("cannot write '\(path)'") }
      handle.seekToEndOfFile()
      series = handle
    }
    interruptRequested = 0
    // A parent may have started us with SIGINT blocked (inherited signal mask): unblock it.
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
    signal(SIGINT) { _ in interruptRequested = 1 }
    defer { signal(SIGINT, SIG_DFL) }

    let progress = ProgressLine(enabled: !quiet, label: "run", unit: "steps")
    let start = Date()
    var first: StepAggregate?, last: StepAggregate?
    var pending = ""
    var lastFlush = Date()
    do {
      try experiment.run(threads: threads ?? ProcessInfo.processInfo.activeProcessorCount) { agg in
        if first == nil { first = agg }
        last = agg
        pending += agg.csvRow + "\n"
        if Date().timeIntervalSince(lastFlush) > 0.2 || agg.step == steps - 1 || interruptRequested != 0 {
          // Whole lines only: a Ctrl-C never leaves a half-written line.
          series?.write(Data(pending.utf8))
          pending = ""
          lastFlush = Date()
        }
        progress.update(agg.step + 1, of: steps)
        return interruptRequested == 0
      }
    } catch {
      throw CLIError("\(error)")
    }
    if !pending.isEmpty { series?.write(Data(pending.utf8)) }
    try? series?.close()
    progress.finish()
    let elapsed = Date().timeIntervalSince(start)
    guard let first, let last else { return }
    let completed = last.step + 1
    func metric(_ a: StepAggregate, _ p: Probe) -> JSONValue { .number(a.mean[p.rawValue]) }
    let summary: JSONValue = .object([
      ("env", .string(env)), ("arms", .integer(arms)), ("policy", .string(policy)), ("rule", .string(rule)),
      ("lr", .number(learningRate)), ("runs", .integer(runs)), ("steps", .integer(steps)),
      ("steps_completed", .integer(completed)), ("interrupted", .bool(completed < steps)),
      ("seed", .integer(Int(truncatingIfNeeded: seed))),
      ("entropy_first", metric(first, .entropy)), ("entropy_last", metric(last, .entropy)),
      ("reward_last", metric(last, .reward)), ("regret_last", metric(last, .regret)),
      ("update_norm_first", metric(first, .updateNorm)), ("update_norm_last", metric(last, .updateNorm)),
      ("run_steps_per_second", .number(Double(runs * completed) / elapsed)),
    ])
    if let out {
      do { try AtomicFileWriter.write(Data((summary.rendered() + "\n").utf8), to: out + "/summary.json") } catch {
        throw CLIError("\(error)")
      }
    }
    print("""
      \(env), K = \(arms), \(rule), η = \(formatNumber(learningRate)), \(runs) runs × \(completed) steps\(completed < steps ? " (interrupted)" : "")
      entropy      \(formatNumber(first.mean[Probe.entropy.rawValue], digits: 4)) → \(formatNumber(last.mean[Probe.entropy.rawValue], digits: 4)) nats (mean over runs)
      reward       last step mean \(formatNumber(last.mean[Probe.reward.rawValue], digits: 4)), regret \(formatNumber(last.mean[Probe.regret.rawValue], digits: 4))
      ‖Δz‖         \(formatNumber(first.mean[Probe.updateNorm.rawValue], digits: 4)) → \(formatNumber(last.mean[Probe.updateNorm.rawValue], digits: 4))
      speed        \(formatNumber(Double(runs * completed) / elapsed / 1e6, digits: 3)) M run-steps/s
      """ + (out.map { "\nwrote        \($0)/series.csv, \($0)/summary.json" } ?? ""))
    // Interrupted by Ctrl-C: the files are complete up to the last step; exit as SIGINT would.
    if completed < steps { throw ExitCode(130) }
  }
}
