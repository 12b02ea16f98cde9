import ArgumentParser
import Foundation
import LogitDynamics
import OutputFormats
import Sweeps


/// `logitdyn run`: many seeded runs of a softmax policy, with per-step probes.
struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run N seeded policy-gradient runs (bandits, contextual bandits; tabular, linear or MLP policies) and record the theory's probes per step.",
    discussion: """
      Each step records, over runs (mean; 10/50/90% quantiles of reward, p_c, entropy, C(p), \
      ‖Δz‖): reward, regret, p_c, entropy, collision probability, the measured logit-update \
      norm next to the closed form η|A|√(1 − 2p_c + C(p)) (batches of one), the zero-sum \
      residual, the first-order entropy change −Cov(log p, Δz) next to the actual one, and the \
      logit-space prediction's norm with the ratio and cosine of the real change to it (the \
      J Jᵀ and optimiser effect; 1 and 1 for tabular SGD). Run i uses the random stream \
      (seed, i): the series is identical for any --threads.

      Tabular bandit runs with reinforce, reinforce-baseline, expected or natural, batch 1, SGD \
      and a constant rate use the vectorised runner; everything else the general one.

      Writes DIR/series.csv (one line per step, written whole and flushed as it goes; Ctrl-C \
      stops at the end of the chunk of steps being computed and keeps every completed line) and \
      DIR/summary.json.

      Examples:
        logitdyn run --env gaussian-bandit --arms 10 --rule reinforce-baseline --lr 0.1 --runs 1024 --steps 1000 --seed 1 --out runs/a
        logitdyn run --env contextual-bandit --dim 8 --arms 4 --reward-model nonlinear --policy mlp --hidden 32,32 --optimizer adam --lr 0.003 --rule grpo --group 8 --runs 64 --steps 500
      """)

  /// The help line of a ``LabConfiguration`` key with its default: one text for the
  /// command line, configuration files and sweep files.
  static func help(_ key: String, default value: String? = nil, valueName: String? = nil) -> ArgumentHelp {
    let text = LabConfiguration.field(named: key)?.help ?? key
    guard let value else { return ArgumentHelp(text, valueName: valueName) }
    let sentence = text.hasSuffix(".") ? String(text.dropLast()) : text
    return ArgumentHelp("\(sentence) (default: \(value)).", valueName: valueName)
  }
  static let defaults = LabConfiguration()

  // Every option of the lab is optional here: what is given replaces the value of the
  // --config file, or of `LabConfiguration()`, whose defaults the help shows.
  @Option(help: RunCommand.help("env", default: RunCommand.defaults.environment)) var env: String?
  @Option(help: RunCommand.help("arms", default: "\(RunCommand.defaults.arms)")) var arms: Int?
  @Option(parsing: .unconditional, help: RunCommand.help("means", valueName: "m1,m2,...")) var means: String?
  @Option(parsing: .unconditional, help: RunCommand.help("noise", default: "\(RunCommand.defaults.noise)")) var noise: Double?
  @Option(parsing: .unconditional, help: RunCommand.help("drift", default: "\(RunCommand.defaults.drift)")) var drift: Double?
  @Option(help: RunCommand.help("dim", default: "\(RunCommand.defaults.dimension)")) var dim: Int?
  @Option(name: .customLong("reward-model"), help: RunCommand.help("reward_model", default: RunCommand.defaults.rewardModel)) var rewardModel: String?
  @Option(help: RunCommand.help("contexts")) var contexts: Int?
  @Option(help: RunCommand.help("policy", default: RunCommand.defaults.policy)) var policy: String?
  @Option(parsing: .unconditional, help: RunCommand.help("hidden", default: RunCommand.defaults.hidden.map(String.init).joined(separator: ","), valueName: "w1,w2,...")) var hidden: String?
  @Option(help: RunCommand.help("activation", default: RunCommand.defaults.activation)) var activation: String?
  @Option(help: RunCommand.help("rule", default: RunCommand.defaults.rule)) var rule: String?
  @Option(help: RunCommand.help("baseline")) var baseline: String?
  @Option(name: .customLong("baseline-rate"), parsing: .unconditional, help: RunCommand.help("baseline_rate", default: "\(RunCommand.defaults.baselineRate)")) var baselineRate: Double?
  @Option(help: RunCommand.help("batch")) var batch: Int?
  @Option(help: RunCommand.help("group")) var group: Int?
  @Option(help: RunCommand.help("epochs")) var epochs: Int?
  @Option(parsing: .unconditional, help: RunCommand.help("clip", default: "\(RunCommand.defaults.clip)")) var clip: Double?
  @Option(name: .customLong("clip-high"), parsing: .unconditional, help: RunCommand.help("clip_high")) var clipHigh: Double?
  @Flag(name: .customLong("no-std"), help: RunCommand.help("no_std")) var noStd = false
  @Option(help: "A loss of `logitdyn loss` (vanilla, dapo, reinforce, clip_cov, kl_cov, steer, …) as the surrogate, with --set parameters and interventions; each sample is a one-token response.")
  var loss: String?
  @Option(name: .customLong("set"), parsing: .singleValue, help: ArgumentHelp("A loss parameter, key=value (repeatable; see logitdyn loss --help).", valueName: "key=value"))
  var settings: [String] = []
  @Option(name: .customLong("adaptive-entropy"), parsing: .unconditional, help: RunCommand.help("adaptive_entropy", valueName: "target"))
  var adaptiveEntropyTarget: Double?
  @Option(name: .customLong("adaptive-entropy-delta"), parsing: .unconditional, help: RunCommand.help("adaptive_entropy_delta", default: "\(RunCommand.defaults.adaptiveEntropyDelta)"))
  var adaptiveEntropyDelta: Double?
  @Option(help: RunCommand.help("optimizer", default: RunCommand.defaults.optimizer)) var optimizer: String?
  @Option(name: .customLong("lr"), parsing: .unconditional, help: RunCommand.help("lr", default: "\(RunCommand.defaults.learningRate)")) var learningRate: Double?
  @Option(help: RunCommand.help("schedule", default: RunCommand.defaults.schedule)) var schedule: String?
  @Option(name: .customLong("lr-final"), parsing: .unconditional, help: RunCommand.help("lr_final", default: "\(RunCommand.defaults.learningRateFinal)")) var lrFinal: Double?
  @Option(help: RunCommand.help("warmup", default: "\(RunCommand.defaults.warmup)")) var warmup: Int?
  @Option(parsing: .unconditional, help: RunCommand.help("runs", default: "\(RunCommand.defaults.runs)")) var runs: Int?
  @Option(parsing: .unconditional, help: RunCommand.help("steps", default: "\(RunCommand.defaults.steps)")) var steps: Int?
  @Option(help: RunCommand.help("seed", default: "\(RunCommand.defaults.seed)")) var seed: UInt64?
  @Option(help: RunCommand.help("threads")) var threads: Int?
  @Flag(name: .customLong("no-quantiles"), help: RunCommand.help("no_quantiles")) var noQuantiles = false
  @Option(help: ArgumentHelp("Output directory.", valueName: "dir")) var out: String?
  @Flag(name: .shortAndLong, help: "No progress display.") var quiet = false
  @OptionGroup var memory: MemoryLimitOption
  @Option(help: ArgumentHelp("A TOML file of the run's keys (the options' names, `-` or `_`; a [loss] table holds name and parameters; or the sweep format's [run] table); the command line's own options win.", valueName: "file.toml"))
  var config: String?

  /// The lab configuration: `--config`'s file (or the defaults), then the options given here.
  func configuration() throws -> LabConfiguration {
    var c = LabConfiguration()
    if let config {
      c = try ConfigurationFile.lab(path: config)
    }
    if let env { c.environment = env }
    if let arms { c.arms = arms }
    if let noise { c.noise = noise }
    if let drift { c.drift = drift }
    if let dim { c.dimension = dim }
    if let rewardModel { c.rewardModel = rewardModel }
    if let contexts { c.contexts = contexts }
    if let policy { c.policy = policy }
    if let activation { c.activation = activation }
    if let rule { c.rule = rule }
    if let baseline { c.baseline = baseline }
    if let baselineRate { c.baselineRate = baselineRate }
    if let batch { c.batch = batch }
    if let group { c.group = group }
    if let epochs { c.epochs = epochs }
    if let clip { c.clip = clip }
    if let clipHigh { c.clipHigh = clipHigh }
    if noStd { c.noStd = true }
    if let adaptiveEntropyTarget { c.adaptiveEntropyTarget = adaptiveEntropyTarget }
    if let adaptiveEntropyDelta { c.adaptiveEntropyDelta = adaptiveEntropyDelta }
    if let optimizer { c.optimizer = optimizer }
    if let learningRate { c.learningRate = learningRate }
    if let schedule { c.schedule = schedule }
    if let lrFinal { c.learningRateFinal = lrFinal }
    if let warmup { c.warmup = warmup }
    if let runs { c.runs = runs }
    if let steps { c.steps = steps }
    if let seed { c.seed = seed }
    if let threads { c.threads = threads }
    if noQuantiles { c.quantiles = false }
    // The list options go through the schema's parsing (comma-separated numbers).
    for (key, text) in [("means", means), ("hidden", hidden)] {
      guard let text else { continue }
      do { try c.set(key, to: .string(text)) } catch { throw CLIError("--\(key): \(error.message)") }
    }
    if loss != nil || !settings.isEmpty {
      // The command line's loss replaces the file's name; its parameters are added, key by key.
      let given = try LossCommand.parameters(settings)
      guard let name = loss ?? c.loss else { throw CLIError("--set and --adaptive-entropy apply to a --loss") }
      try c.setLoss(name: name, parameters: c.lossParameters.merging(given) { $1 })
    }
    return c
  }

  /// The runner of the configuration, after the memory check.
  func plan() throws -> (configuration: LabConfiguration, runner: LabRunner) {
    let c = try configuration()
    let estimate = try c.estimatedBytes(threads: c.threads ?? ProcessInfo.processInfo.activeProcessorCount)
    try memory.check(estimate.bytes, estimate.what)
    return (c, try c.makeRunner())
  }

  func run() throws {
    let (c, runner) = try plan()
    let steps = c.steps, runs = c.runs
    let description = c.summary(vectorised: runner.isVectorised)
    // The series goes to a temporary file in --out, renamed to series.csv when the run is
    // complete (series.interrupted.csv after Ctrl-C); a failed run leaves nothing behind.
    var series: AtomicFileWriter? = nil
    var outputDirectory = try out.map { try OutputDirectory($0) }
    if let out {
      do {
        try outputDirectory!.create()
        series = try AtomicFileWriter(path: out + "/series.csv")
        try series!.write(StepAggregate.csvHeader + "\n")
      } catch {
        outputDirectory?.removeIfCreated()
        throw error
      }
    }
    var finished = false
    defer {
      if !finished {
        series?.abandon()
        outputDirectory?.removeIfCreated()
      }
    }
    Interrupt.install()
    defer { Interrupt.restore() }

    let progress = ProgressLine(enabled: !quiet, label: "run", unit: "steps")
    let start = Date()
    var first: StepAggregate?, last: StepAggregate?
    var pending = ""
    var lastFlush = Date()
    var writeError: (any Error)? = nil
    // Ctrl-C is honoured between chunks of steps; every step already computed is written.
    try runner.run(threads: c.threads ?? ProcessInfo.processInfo.activeProcessorCount, stopRequested: { Interrupt.requested }) { agg in
      if first == nil { first = agg }
      last = agg
      pending += agg.csvRow + "\n"
      if Date().timeIntervalSince(lastFlush) > 0.2 || agg.step == steps - 1 || Interrupt.requested {
        // Whole lines only: a Ctrl-C never leaves a half-written line.
        do { try series?.write(pending) } catch { writeError = error; return false }
        pending = ""
        lastFlush = Date()
      }
      progress.update(agg.step + 1, of: steps)
      return true
    }
    if let writeError { throw CLIError("\(writeError)") }
    progress.finish()
    let elapsed = Date().timeIntervalSince(start)
    guard let first, let last else { return }
    let completed = last.step + 1
    let seriesName = completed < steps ? "series.interrupted.csv" : "series.csv"
    if let out {
      if !pending.isEmpty { try series!.write(pending) }
      try series!.commit(to: out + "/" + seriesName)
    }
    let summary: JSONValue = .object([
      ("env", .string(c.environment)), ("arms", .integer(c.arms)), ("policy", .string(c.policy)), ("rule", .string(c.rule)),
      ("configuration", .string(description)), ("runner", .string(runner.isVectorised ? "vectorised" : "general")),
      ("optimizer", .string(c.optimizer)), ("schedule", .string(c.schedule)),
      ("lr", .number(c.learningRate)), ("runs", .integer(runs)), ("steps", .integer(steps)),
      ("steps_completed", .integer(completed)), ("interrupted", .bool(completed < steps)),
      ("seed", .integer(Int(truncatingIfNeeded: c.seed))), ("series_file", .string(seriesName)),
    ] + Self.outcomeFields(first: first, last: last) + [("run_steps_per_second", .number(Double(runs * completed) / elapsed))])
    if let out {
      try AtomicFileWriter.write(Data((summary.rendered() + "\n").utf8), to: out + "/summary.json")
    }
    finished = true
    print("""
      \(c.environment), K = \(c.arms), \(description), η = \(formatNumber(c.learningRate)), \(runs) runs × \(completed) steps\(completed < steps ? " (interrupted)" : "")
      entropy      \(formatNumber(first.mean[Probe.entropy.rawValue], digits: 4)) → \(formatNumber(last.mean[Probe.entropy.rawValue], digits: 4)) nats (mean over runs)
      reward       last step mean \(formatNumber(last.mean[Probe.reward.rawValue], digits: 4)), regret \(formatNumber(last.mean[Probe.regret.rawValue], digits: 4))
      ‖Δz‖         \(formatNumber(first.mean[Probe.updateNorm.rawValue], digits: 4)) → \(formatNumber(last.mean[Probe.updateNorm.rawValue], digits: 4))\(runner.isVectorised || c.policy == "tabular" && c.optimizer == "sgd" ? "" : "\nJ Jᵀ effect  ‖Δz‖ / logit-space step \(formatNumber(last.mean[Probe.jacobianRatio.rawValue], digits: 4)), cosine \(formatNumber(last.mean[Probe.jacobianCosine.rawValue], digits: 4)) (last step)")
      speed        \(formatNumber(Double(runs * completed) / elapsed / 1e6, digits: 3)) M run-steps/s
      """ + (out.map { "\nwrote        \($0)/\(seriesName), \($0)/summary.json" } ?? ""))
    // Interrupted by Ctrl-C: the files are complete up to the last step; exit as SIGINT would.
    if completed < steps { throw ExitCode(130) }
  }
}

extension RunCommand {
  /// The outcome of a lab run in its summary (`run`'s `summary.json`, `sweep`'s store): the
  /// mean over runs of the probes at the first and the last step.
  static func outcomeFields(first: StepAggregate, last: StepAggregate) -> [(String, JSONValue)] {
    func metric(_ a: StepAggregate, _ p: Probe) -> JSONValue { .number(a.mean[p.rawValue]) }
    return [
      ("entropy_first", metric(first, .entropy)), ("entropy_last", metric(last, .entropy)),
      ("reward_last", metric(last, .reward)), ("regret_last", metric(last, .regret)), ("collision_last", metric(last, .collision)),
      ("update_norm_first", metric(first, .updateNorm)), ("update_norm_last", metric(last, .updateNorm)),
      ("jjt_ratio_last", metric(last, .jacobianRatio)), ("jjt_cosine_last", metric(last, .jacobianCosine)),
    ]
  }
}
