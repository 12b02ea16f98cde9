import ArgumentParser
import Foundation
import LogitDynamics
import OutputFormats


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

  @Option(help: "Environment: gaussian-bandit, bernoulli-bandit or contextual-bandit.") var env: String = "gaussian-bandit"
  @Option(help: "Number of arms (actions) K ≥ 2.") var arms: Int = 10
  @Option(parsing: .unconditional, help: ArgumentHelp("Fixed arm means (comma-separated); default: drawn per run.", valueName: "m1,m2,..."))
  var means: String?
  @Option(parsing: .unconditional, help: "Reward noise σ (Gaussian arms, contextual bandits).") var noise: Double = 1
  @Option(parsing: .unconditional, help: "Non-stationary bandits: arm means take a N(0, drift²) step after every step.") var drift: Double = 0
  @Option(help: "Contextual bandit: context dimension d.") var dim: Int = 8
  @Option(name: .customLong("reward-model"), help: "Contextual bandit: linear or nonlinear mean rewards.") var rewardModel: String = "linear"
  @Option(help: "Contextual bandit: a finite set of S contexts per run (needed by tabular policies).") var contexts: Int?
  @Option(help: "Policy: tabular, linear or mlp.") var policy: String = "tabular"
  @Option(parsing: .unconditional, help: ArgumentHelp("MLP hidden widths.", valueName: "w1,w2,...")) var hidden: String = "64"
  @Option(help: "MLP activation: tanh or relu.") var activation: String = "tanh"
  @Option(help: "Update rule: reinforce, reinforce-baseline, expected, natural, ppo, grpo.") var rule: String = "reinforce-baseline"
  @Option(help: "Baseline of sampled rules: none, running-mean, learned, rloo (leave-one-out within a group; default: running-mean for reinforce-baseline and ppo, none for reinforce).")
  var baseline: String?
  @Option(name: .customLong("baseline-rate"), parsing: .unconditional, help: "Rate of the running-mean or learned baseline.") var baselineRate: Double = 0.01
  @Option(help: "Samples per step B (default 1; grpo: the group size).") var batch: Int?
  @Option(help: "Samples per context G, a GRPO group (default 1; grpo: 8).") var group: Int?
  @Option(help: "PPO/GRPO: optimiser epochs per batch (default: ppo 4, grpo 1).") var epochs: Int?
  @Option(parsing: .unconditional, help: "PPO/GRPO clip range ε (low side).") var clip: Double = 0.2
  @Option(name: .customLong("clip-high"), parsing: .unconditional, help: "PPO/GRPO clip range on the high side (clip-higher; default: --clip).") var clipHigh: Double?
  @Flag(name: .customLong("no-std"), help: "GRPO: centre advantages without dividing by the group std (Dr. GRPO).") var noStd = false
  @Option(help: "A loss of `logitdyn loss` (vanilla, dapo, reinforce, clip_cov, kl_cov, steer) as the surrogate, with --set parameters and interventions; each sample is a one-token response.")
  var loss: String?
  @Option(name: .customLong("set"), parsing: .singleValue, help: ArgumentHelp("A loss parameter, key=value (repeatable; see logitdyn loss --help).", valueName: "key=value"))
  var settings: [String] = []
  @Option(name: .customLong("adaptive-entropy"), parsing: .unconditional, help: ArgumentHelp("With --loss: an adaptive entropy bonus (Skywork-OR1/TRL) holding the entropy near this target (nats).", valueName: "target"))
  var adaptiveEntropyTarget: Double?
  @Option(name: .customLong("adaptive-entropy-delta"), parsing: .unconditional, help: "Step δ of the adaptive entropy coefficient.")
  var adaptiveEntropyDelta: Double = 0.005
  @Option(help: "Optimiser: sgd or adam.") var optimizer: String = "sgd"
  @Option(name: .customLong("lr"), parsing: .unconditional, help: "Step size η > 0.") var learningRate: Double = 0.1
  @Option(help: "Learning-rate schedule: constant, linear, cosine, inverse-sqrt.") var schedule: String = "constant"
  @Option(name: .customLong("lr-final"), parsing: .unconditional, help: "linear/cosine schedules: final rate as a fraction of --lr.") var lrFinal: Double = 0
  @Option(help: "Linear warm-up steps.") var warmup: Int = 0
  @Option(parsing: .unconditional, help: "Number of independent runs N ≥ 1.") var runs: Int = 1024
  @Option(parsing: .unconditional, help: "Steps per run.") var steps: Int = 1000
  @Option(help: "Experiment seed.") var seed: UInt64 = 1
  @Option(help: "Worker threads (default: all cores).") var threads: Int?
  @Flag(name: .customLong("no-quantiles"), help: "Report means and maxima only (no per-step sort over runs).") var noQuantiles = false
  @Option(help: ArgumentHelp("Output directory.", valueName: "dir")) var out: String?
  @Flag(name: .shortAndLong, help: "No progress display.") var quiet = false
  @OptionGroup var memory: MemoryLimitOption
  @Option(help: ArgumentHelp("A TOML file of options (keys are option names; a [loss] table holds name and --set parameters); the command line's own options win.", valueName: "file.toml"))
  var config: String?

  /// Either runner, behind one call.
  struct Plan {
    var vectorised: Bool
    var description: String
    var run: (Int, () -> Bool, (StepAggregate) -> Bool) throws(LabError) -> Void
  }

  func parseList(_ text: String, option: String) throws -> [Double] {
    try text.split(separator: ",").enumerated().map { i, field in
      guard let v = Double(field.trimmingCharacters(in: .whitespaces)), v.isFinite else {
        throw CLIError("value \(i + 1) of \(option) is not a number: '\(field)'")
      }
      return v
    }
  }

  /// Builds the experiment the options describe, naming the first bad option.
  func plan() throws -> Plan {
    let banditKinds = BanditSpec.Kind.allCases.map(\.rawValue)
    guard banditKinds.contains(env) || env == "contextual-bandit" else {
      throw CLIError("unknown environment '\(env)' (available: \((banditKinds + ["contextual-bandit"]).joined(separator: ", ")))")
    }
    let rules = UpdateRule.names + ["ppo", "grpo"]
    guard rules.contains(rule) else { throw CLIError("unknown rule '\(rule)' (available: \(rules.joined(separator: ", ")))") }
    guard ["tabular", "linear", "mlp"].contains(policy) else { throw CLIError("unknown policy '\(policy)' (available: tabular, linear, mlp)") }
    guard let opt = Optimizer(name: optimizer) else {
      throw CLIError("unknown optimizer '\(optimizer)' (available: \(Optimizer.names.joined(separator: ", ")))")
    }
    guard let lrSchedule = LearningRateSchedule(name: schedule, final: lrFinal, warmup: warmup) else {
      throw CLIError("unknown schedule '\(schedule)' (available: \(LearningRateSchedule.names.joined(separator: ", ")))")
    }
    if let threads, threads < 1 { throw CLIError("--threads must be at least 1, got \(threads)") }
    if let baseline, !["none", "running-mean", "learned", "rloo"].contains(baseline) {
      throw CLIError("unknown baseline '\(baseline)' (available: none, running-mean, learned, rloo)")
    }
    let isGRPO = rule == "grpo"
    let groupSize = group ?? (isGRPO ? 8 : 1)
    let batchSize = batch ?? groupSize
    let baselineName = baseline ?? (rule == "reinforce-baseline" || rule == "ppo" ? "running-mean" : "none")

    // Environment.
    let environment: any Environment
    var banditSpec: BanditSpec?
    if let kind = BanditSpec.Kind(rawValue: env) {
      let spec = BanditSpec(kind: kind, arms: arms, means: try means.map { try parseList($0, option: "--means") }, noise: noise, drift: drift)
      banditSpec = spec
      environment = BanditEnvironment(spec)
    } else {
      guard let model = ContextualBandit.RewardModel(rawValue: rewardModel) else {
        throw CLIError("unknown reward model '\(rewardModel)' (available: linear, nonlinear)")
      }
      if means != nil { throw CLIError("--means applies to bandits, not to a contextual bandit") }
      if drift != 0 { throw CLIError("--drift applies to bandits, not to a contextual bandit") }
      environment = ContextualBandit(dimension: dim, actions: arms, model: model, noise: noise, states: contexts)
    }
    do { try environment.validate() } catch { throw CLIError("\(error)") }

    // What the run will allocate, checked before anything is built (sizes near Int.max give
    // a large estimate, not an overflow).
    let workers = threads ?? ProcessInfo.processInfo.activeProcessorCount
    if runs < 1 { throw CLIError("--runs must be at least 1, got \(runs)") }
    if steps < 1 { throw CLIError("--steps must be at least 1, got \(steps)") }
    if batchSize < 1 { throw CLIError("--batch must be at least 1, got \(batchSize)") }
    if groupSize < 1 { throw CLIError("--group must be at least 1, got \(groupSize)") }
    let widths: [Int] = policy == "mlp" ? try parseList(hidden, option: "--hidden").map { w -> Int in
      guard w >= 1, w == w.rounded(), w < 1e6 else { throw CLIError("--hidden widths must be whole numbers ≥ 1 and < 10⁶, got \(formatNumber(w))") }
      return Int(w)
    } : []
    let features = banditSpec == nil ? dim : 1
    let parameters: Double
    switch policy {
    case "tabular": parameters = Double(environment.stateCount ?? 1) * Double(arms)
    case "linear": parameters = LabResources.networkParameters(features: features, hidden: [], actions: arms)
    default: parameters = LabResources.networkParameters(features: features, hidden: widths, actions: arms)
    }
    let estimate = policy == "tabular" && banditSpec != nil
      ? max(LabResources.banditBytes(runs: runs, arms: arms),
            LabResources.generalBytes(runs: runs, parameters: parameters, features: 1, actions: arms, hidden: [], fixedContexts: nil, batch: batchSize, threads: workers))
      : LabResources.generalBytes(runs: runs, parameters: parameters, features: features, actions: arms, hidden: widths, fixedContexts: contexts, batch: batchSize, threads: workers)
    try memory.check(estimate, "\(runs) runs of a \(policy) policy with \(formatNumber(parameters)) parameters, K = \(arms)\(banditSpec == nil ? ", d = \(dim)" : ""), B = \(batchSize)")

    // The vectorised runner when it applies.
    if let banditSpec, policy == "tabular", loss == nil, let simple = UpdateRule(name: rule, baselineRate: baselineRate),
      batchSize == 1, groupSize == 1, opt == .sgd, lrSchedule == LearningRateSchedule(), baseline == nil || baseline == (simple == .reinforce ? "none" : "running-mean") || !simple.isSampled
    {
      var e = BanditExperiment(bandit: banditSpec, rule: simple, learningRate: learningRate, runs: runs, steps: steps, seed: seed)
      e.quantiles = !noQuantiles
      do { try e.validate() } catch { throw CLIError("\(error)") }
      return Plan(vectorised: true, description: "tabular, \(rule)") { threads, stop, onStep throws(LabError) in
        try e.run(threads: threads, stopRequested: stop, onStep: onStep)
      }
    }

    // The general runner.
    let pol: any Policy
    switch policy {
    case "tabular": pol = TabularPolicy(states: environment.stateCount ?? 1, actions: arms)
    case "linear": pol = LinearPolicy(features: environment.featureCount, actions: arms)
    default:
      guard let act = MLPPolicy.Activation(rawValue: activation) else { throw CLIError("unknown activation '\(activation)' (available: tanh, relu)") }
      pol = MLPPolicy(features: environment.featureCount, hidden: widths, actions: arms, activation: act)
    }
    var e = LabExperiment(environment: environment, policy: pol, learningRate: learningRate, runs: runs, steps: steps, seed: seed)
    e.optimizer = opt
    e.schedule = lrSchedule
    e.batchSize = batchSize
    e.groupSize = groupSize
    e.quantiles = !noQuantiles
    switch rule {
    case "expected": e.estimator = .expected
    case "natural": e.estimator = .natural
    default: e.estimator = .sampled
    }
    switch baselineName {
    case "running-mean": e.advantage = .runningMean(rate: baselineRate)
    case "learned": e.advantage = .learned(rate: baselineRate)
    case "rloo": e.advantage = .leaveOneOut
    default: e.advantage = .reward
    }
    if isGRPO { e.advantage = .groupNormalized(scaleByStd: !noStd, epsilon: 1e-6) }
    if let loss {
      guard !["expected", "natural"].contains(rule) else { throw CLIError("--loss needs a sampled rule, not \(rule)") }
      let parameters = try LossCommand.parameters(settings)
      e.surrogate = .tokenLoss(try LossCommand.makeLoss(name: loss, parameters: parameters), epochs: epochs ?? 1)
      if let target = adaptiveEntropyTarget {
        e.adaptiveEntropy = AdaptiveEntropyCoefficient(value: 0, delta: adaptiveEntropyDelta, target: target)
      }
    } else if !settings.isEmpty || adaptiveEntropyTarget != nil {
      throw CLIError("--set and --adaptive-entropy apply to a --loss")
    } else if rule == "ppo" || isGRPO {
      e.surrogate = .ppoClip(epochs: epochs ?? (isGRPO ? 1 : 4), clipLow: clip, clipHigh: clipHigh ?? clip)
    } else if epochs != nil || clipHigh != nil {
      throw CLIError("--epochs and --clip-high apply to the ppo and grpo rules")
    }
    do { try e.validate() } catch { throw CLIError("\(error)") }
    let text = "\(policy)\(policy == "mlp" ? " \(hidden) \(activation)" : ""), \(rule)\(loss.map { ", loss \($0)" } ?? ""), \(optimizer), B = \(batchSize)\(groupSize > 1 ? ", G = \(groupSize)" : "")"
    return Plan(vectorised: false, description: text) { threads, stop, onStep throws(LabError) in
      try e.run(threads: threads, stopRequested: stop, onStep: onStep)
    }
  }

  func run() throws {
    let plan = try plan()
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
        throw CLIError("\(error)")
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
    do {
      // Ctrl-C is honoured between chunks of steps; every step already computed is written.
      try plan.run(threads ?? ProcessInfo.processInfo.activeProcessorCount, { Interrupt.requested }) { agg in
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
    } catch {
      throw CLIError("\(error)")
    }
    if let writeError { throw CLIError("\(writeError)") }
    progress.finish()
    let elapsed = Date().timeIntervalSince(start)
    guard let first, let last else { return }
    let completed = last.step + 1
    let seriesName = completed < steps ? "series.interrupted.csv" : "series.csv"
    if let out {
      do {
        if !pending.isEmpty { try series!.write(pending) }
        try series!.commit(to: out + "/" + seriesName)
      } catch { throw CLIError("\(error)") }
    }
    let summary: JSONValue = .object([
      ("env", .string(env)), ("arms", .integer(arms)), ("policy", .string(policy)), ("rule", .string(rule)),
      ("configuration", .string(plan.description)), ("runner", .string(plan.vectorised ? "vectorised" : "general")),
      ("optimizer", .string(optimizer)), ("schedule", .string(schedule)),
      ("lr", .number(learningRate)), ("runs", .integer(runs)), ("steps", .integer(steps)),
      ("steps_completed", .integer(completed)), ("interrupted", .bool(completed < steps)),
      ("seed", .integer(Int(truncatingIfNeeded: seed))), ("series_file", .string(seriesName)),
    ] + Self.outcomeFields(first: first, last: last) + [("run_steps_per_second", .number(Double(runs * completed) / elapsed))])
    if let out {
      do { try AtomicFileWriter.write(Data((summary.rendered() + "\n").utf8), to: out + "/summary.json") } catch {
        throw CLIError("\(error)")
      }
    }
    finished = true
    print("""
      \(env), K = \(arms), \(plan.description), η = \(formatNumber(learningRate)), \(runs) runs × \(completed) steps\(completed < steps ? " (interrupted)" : "")
      entropy      \(formatNumber(first.mean[Probe.entropy.rawValue], digits: 4)) → \(formatNumber(last.mean[Probe.entropy.rawValue], digits: 4)) nats (mean over runs)
      reward       last step mean \(formatNumber(last.mean[Probe.reward.rawValue], digits: 4)), regret \(formatNumber(last.mean[Probe.regret.rawValue], digits: 4))
      ‖Δz‖         \(formatNumber(first.mean[Probe.updateNorm.rawValue], digits: 4)) → \(formatNumber(last.mean[Probe.updateNorm.rawValue], digits: 4))\(plan.vectorised || policy == "tabular" && optimizer == "sgd" ? "" : "\nJ Jᵀ effect  ‖Δz‖ / logit-space step \(formatNumber(last.mean[Probe.jacobianRatio.rawValue], digits: 4)), cosine \(formatNumber(last.mean[Probe.jacobianCosine.rawValue], digits: 4)) (last step)")
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
