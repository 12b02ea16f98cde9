import ArgumentParser
import Dispatch
import Foundation
import LogitDynamics
import OutputFormats
import ParallelMap
import SampleStatistics

/// `logitdyn rlvr`: sequence tasks with a verifiable reward, where entropy collapse happens.
struct RLVRCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rlvr",
    abstract: "Mini-RLVR: pre-train an autoregressive policy on an imperfect teacher, then RL with group advantages and any loss.",
    discussion: """
      Tasks: skills (default: (op, a, b) → 4 digits summing to f_op(a, b) with the numpy \
      prototype's ten rules; the teacher is wrong on the last --hard-ops operations), hidden-ops \
      (the same with rules up to 36, two of them residues mod 37), digit-sum (4 digits summing to a target; many \
      answers), addition (a + b as 3 digits).

      Methods (--loss, --losses; `all` for every one), each on GRPO advantages and PPO-clip \
      ε 0.2 with dual-clip 3 unless it changes them: grpo, dr-grpo (no std), dapo (clip-higher \
      0.2/0.28), clip-cov (ratio 0.2, bounds (1, 5)), kl-cov (ratio 0.2, β = 1), entropy-bonus \
      (0.05), steer, lp-reg (ρ_neg 0.1, κ 0.02), siren (α 0.005, top-p 0.8, peaks above the \
      0.8 quantile, anchored on the first rollout), epo (bonus 0.001 with smoothing), bapo \
      (adaptive clip bounds), canon (entropy-split advantages; _lambda, alpha, beta), aepo \
      (temperature-switched extra rollout; temperature_high, temperature_low, entropy_base, \
      reinforce_sample_num), or any loss of `logitdyn loss`; parameters with --set.
      """,
    subcommands: [RLVRTrain.self, RLVRCompare.self, RLVRBase.self],
    defaultSubcommand: RLVRTrain.self)
}

/// The shared options.
struct RLVROptions: ParsableArguments {
  @Option(help: "Task: hidden-ops, skills, digit-sum, addition.") var task: String = "skills"
  @Option(name: .customLong("hard-ops"), help: "hidden-ops, skills: operations the teacher gets wrong.") var hardOps: Int = 6
  @Option(help: "Hidden width of the policy.") var hidden: Int = 128
  @Option(help: "Hidden activation: tanh or relu.") var activation: String = "tanh"
  @Option(help: "Initialisation: standard or he.") var initialization: String = "standard"
  @Option(name: .customLong("teacher-accuracy"), parsing: .unconditional, help: "The teacher's accuracy on the skills it knows.") var teacherAccuracy: Double = 0.6
  @Option(name: .customLong("teacher-hidden-accuracy"), parsing: .unconditional, help: "How often the teacher gets a hidden operation right (else it answers as if the operation were a + b).")
  var teacherHiddenAccuracy: Double = 0.05
  @Option(help: "Seeds (runs in parallel, one per core).") var seeds: Int = 5
  @Option(parsing: .unconditional, help: "Sampling temperature T > 0 (the policy's log-probs and entropies are at T).") var temperature: Double = 1
  @Option(help: "RL updates.") var updates: Int = 2000
  @Option(name: .customLong("sft-steps"), help: "Supervised pre-training steps of the base model.") var sftSteps: Int = 6000
  @Option(name: .customLong("sft-batch"), help: "Teacher answers per pre-training step.") var sftBatch: Int = 256
  @Option(name: .customLong("sft-rate"), parsing: .unconditional, help: "Adam step size of the pre-training.") var sftRate: Double = 6e-3
  @Option(name: .customLong("lr"), parsing: .unconditional, help: "Adam step size of the RL updates.") var learningRate: Double = 1e-3
  @Option(name: .customLong("eval-every"), help: "Evaluate every this many updates.") var evalEvery: Int = 100
  @Option(name: .customLong("eval-samples"), help: "Samples per held-out prompt (pass@k up to this k).") var evalSamples: Int = 64
  @Option(name: .customLong("eval-prompts"), help: "Held-out prompts per evaluation.") var evalPrompts: Int = 200
  @Option(name: .customLong("base-dir"), help: ArgumentHelp("Load the base model of each seed from DIR/base-seedS.policy, or train and save it there.", valueName: "dir"))
  var baseDir: String?
  @Flag(help: "A small configuration (about a minute for the default comparison).") var quick = false
  @Option(help: ArgumentHelp("Output directory.", valueName: "dir")) var out: String = "rlvr"
  @Flag(name: .shortAndLong, help: "No progress display.") var quiet = false

  func settings(seed: UInt64) throws -> RLVRSettings {
    guard let kind = SequenceTask.Kind(rawValue: task) else {
      throw CLIError("unknown task '\(task)' (available: \(SequenceTask.Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
    }
    var s = RLVRSettings()
    s.task = kind
    s.hardOps = hardOps
    s.teacherAccuracy = teacherAccuracy
    s.teacherHiddenAccuracy = teacherHiddenAccuracy
    guard sftBatch >= 1 else { throw CLIError("--sft-batch must be at least 1, got \(sftBatch)") }
    s.sftBatch = sftBatch
    s.hidden = hidden
    switch activation {
    case "tanh": s.activation = .tanh
    case "relu": s.activation = .relu
    default: throw CLIError("unknown --activation '\(activation)' (tanh or relu)")
    }
    guard let initKind = SequencePolicy.Initialization(rawValue: initialization) else {
      throw CLIError("unknown --initialization '\(initialization)' (\(SequencePolicy.Initialization.allCases.map(\.rawValue).joined(separator: " or ")))")
    }
    s.initialization = initKind
    s.updates = quick ? min(updates, 300) : updates
    s.sftSteps = quick ? min(sftSteps, 400) : sftSteps
    s.evalEvery = quick ? min(evalEvery, 50) : evalEvery
    s.evalSamples = quick ? min(evalSamples, 16) : evalSamples
    s.evalPrompts = quick ? min(evalPrompts, 100) : evalPrompts
    s.seed = seed
    s.temperature = temperature
    guard sftRate > 0, sftRate.isFinite, learningRate > 0, learningRate.isFinite else { throw CLIError("--sft-rate and --lr must be finite numbers > 0") }
    s.sftLearningRate = Float(sftRate)
    s.learningRate = Float(learningRate)
    if quick { s.hidden = min(hidden, 64) }
    guard seeds >= 1 else { throw CLIError("--seeds must be at least 1, got \(seeds)") }
    _ = try RLVRTrainer(s)
    return s
  }

  /// The base model of a seed: loaded, or pre-trained (and saved with --base-dir).
  func base(_ trainer: RLVRTrainer) throws -> SequencePolicy {
    let path = baseDir.map { $0 + "/base-seed\(trainer.settings.seed).policy" }
    if let path, let data = FileManager.default.contents(atPath: path) {
      let policy = try SequencePolicy(decoding: data, source: path)
      guard policy.inputs == SequencePolicy.inputDimension(trainer.task), policy.vocabulary == trainer.task.vocabulary else {
        throw CLIError("\(path) was trained for another task (\(policy.inputs) inputs)")
      }
      return policy
    }
    let policy = trainer.pretrain()
    if let path, let dir = baseDir {
      try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
      try AtomicFileWriter.write(policy.encoded(), to: path)
    }
    return policy
  }
}

/// A named method: a loss of `PolicyLosses`.
func rlvrMethod(_ name: String, settings: [String]) throws -> RLVRMethod {
  return try RLVRMethod.named(name, parameters: try RLVRMethod.parse(settings))
}

/// The methods of a comma-separated list (`all`: every named method).
func rlvrMethods(_ list: String, settings: [String]) throws -> [(String, RLVRMethod)] {
  let names = list.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
  guard !names.isEmpty else { throw CLIError("--losses is empty") }
  let expanded = names.flatMap { $0 == "all" ? RLVRMethod.names : [$0] }
  var seen = Set<String>()
  return try expanded.filter { seen.insert($0).inserted }.map { ($0, try rlvrMethod($0, settings: settings)) }
}

/// Runs methods × seeds and writes the series, the summary and the table.
enum RLVRRunner {
  struct Outcome {
    var method: String, seed: UInt64
    var records: [UpdateRecord] = [], evaluations: [Evaluation] = []
    var seconds = 0.0
  }

  static func run(_ options: RLVROptions, methods: [(String, RLVRMethod)]) throws {
    guard options.seeds >= 1 else { throw CLIError("--seeds must be at least 1, got \(options.seeds)") }
    let seeds = (1...options.seeds).map { UInt64($0) }
    // Base models first (one per seed, shared by the methods, from --base-dir when cached), in
    // parallel; then the comparison of the library (`Experiments.RLVRComparison`).
    let settings = try seeds.map { try options.settings(seed: $0) }
    let trainers = try settings.map { s throws -> RLVRTrainer in
      return try RLVRTrainer(s)
    }
    let progress = ProgressLine(enabled: !options.quiet, label: "rlvr", unit: "runs")
    let threads = ProcessInfo.processInfo.activeProcessorCount
    let bases: [SequencePolicy] = try parallelMap(count: seeds.count, threads: threads) { i in try options.base(trainers[i]) }
    let start = Date()
    let total = seeds.count * methods.count
    let comparison: RLVRComparison
    do {
      comparison = try RLVRComparison.run(
        seeds: seeds, settings: { settings[seeds.firstIndex(of: $0)!] }, arms: methods.map { name, method in RLVRArm(name) { _ in method } },
        bases: bases, threads: threads, finished: { progress.advance(of: total) })
    } catch {
      progress.finish()
      throw error
    }
    let outcomes = seeds.indices.flatMap { s in
      methods.map { name, _ in
        let run = comparison.runs[name]![s]
        return Outcome(method: name, seed: seeds[s], records: run.records, evaluations: run.evaluations, seconds: run.seconds)
      }
    }
    progress.finish()
    try write(outcomes, options: options, methods: methods.map(\.0), seconds: Date().timeIntervalSince(start), settings: settings[0])
  }

  /// Mean and sample sd (0 for a single seed, so that one-seed tables read `± 0`).
  static func meanSD(_ v: [Double]) -> (Double, Double) {
    (SampleStatistics.mean(v), v.count > 1 ? SampleStatistics.standardDeviation(v) : 0)
  }

  static func write(_ outcomes: [Outcome], options: RLVROptions, methods: [String], seconds: Double, settings: RLVRSettings) throws {
    do { try FileManager.default.createDirectory(atPath: options.out, withIntermediateDirectories: true) } catch {
      throw CLIError("cannot create \(options.out)")
    }
    let ks = outcomes.first?.evaluations.first?.passAtK.map(\.0) ?? []
    var csv = "update,seed,loss,mean_token_entropy,train_accuracy,heldout_accuracy," + ks.map { "pass_at_\($0)" }.joined(separator: ",")
      + ",heldout_entropy,distinct_correct,dH_predicted,dH_actual\n"
    func f(_ x: Double) -> String { x.isNaN ? "" : "\(x)" }
    for o in outcomes {
      let evals = Dictionary(o.evaluations.map { ($0.update, $0) }, uniquingKeysWith: { a, _ in a })
      for r in o.records {
        let e = evals[r.update]
        csv += "\(r.update),\(o.seed),\(o.method),\(f(r.meanTokenEntropy)),\(f(r.trainAccuracy)),\(f(e?.accuracy ?? .nan)),"
          + ks.indices.map { i in f(e?.passAtK[i].1 ?? .nan) }.joined(separator: ",")
          + ",\(f(e?.meanTokenEntropy ?? .nan)),\(f(e?.distinctCorrect ?? .nan)),\(f(r.entropyChangePredicted)),\(f(r.entropyChangeActual))\n"
      }
    }
    // Welch's t of each method against the first (GRPO in the default comparison), per seed's final evaluation.
    let reference = outcomes.filter { $0.method == methods[0] }.compactMap { $0.evaluations.last }
    func tText(_ finals: [Evaluation], _ m: String, _ value: (Evaluation) -> Double) -> String {
      let v = finals.map(value), r = reference.map(value)
      let (mean, sd) = meanSD(v)
      var text = "\(formatNumber(mean, digits: 3)) ± \(formatNumber(sd, digits: 2))"
      if m != methods[0], v.count > 1, r.count > 1 { text += " (t \(formatNumber(Stats.welch(v, r).t, digits: 2)))" }
      return text
    }
    var table = TextTable(["method", "held-out pass@1", "known skills", "hidden skills", "pass@\(ks.last ?? 1)", "distinct correct", "token entropy start → end", "entropy halved at"])
    var passTable = TextTable(["method"] + ks.map { "pass@\($0)" })
    var lawTable = TextTable(["method", "R = −a·e^H + b (R²)", "first 15%: predicted final", "measured final", "corr(ΔH pred, meas)"])
    var methodsJSON: [(String, JSONValue)] = []
    var lawLines: [String] = []
    var board: [(method: String, pass1: Double, cells: [String])] = []
    for m in methods {
      let runs = outcomes.filter { $0.method == m }
      let finals = runs.compactMap { $0.evaluations.last }
      let (acc, accSD) = meanSD(finals.map(\.accuracy)), (pass, passSD) = meanSD(finals.map { $0.passAtK.last?.1 ?? .nan })
      let (hEnd, _) = meanSD(finals.map(\.meanTokenEntropy)), (hStart, _) = meanSD(runs.compactMap { $0.evaluations.first?.meanTokenEntropy })
      let (distinct, _) = meanSD(finals.map(\.distinctCorrect))
      // Update at which the training entropy first falls below half its start (mean over seeds).
      let halved = runs.map { o -> Double in
        let h = o.records.dropFirst().map(\.meanTokenEntropy)
        guard let h0 = h.first else { return .nan }
        return Double(h.firstIndex { $0 < h0 / 2 }.map { $0 + 1 } ?? -1)
      }
      // The entropy–performance law on (held-out entropy, accuracy) of every evaluation.
      let points = runs.flatMap { $0.evaluations.map { ($0.meanTokenEntropy, $0.accuracy) } }
      let law = EntropyMechanismExperiments.fitLaw(entropy: points.map(\.0), reward: points.map(\.1))
      let early = runs.flatMap { o in o.evaluations.filter { Double($0.update) <= 0.15 * Double(settings.updates) }.map { ($0.meanTokenEntropy, $0.accuracy) } }
      let earlyLaw = early.count >= 3 ? EntropyMechanismExperiments.fitLaw(entropy: early.map(\.0), reward: early.map(\.1)) : (a: Double.nan, b: Double.nan, r2: Double.nan)
      let predictedFinal = -earlyLaw.a * Double.exp(hEnd) + earlyLaw.b
      let records = runs.flatMap { $0.records.dropFirst() }
      let correlation = Stats.correlation(records.map(\.entropyChangePredicted), records.map(\.entropyChangeActual))
      if early.count < 3 {
        lawLines.append("\(m): too few evaluations in the first 15% of updates to fit the law early (evaluate more often: --eval-every)")
      }
      let halvedText = halved.contains(where: { !($0 >= 0) }) ? "not in all seeds" : "\(Int(meanSD(halved).0)) of \(settings.updates)"
      table.append([m, tText(finals, m, \.accuracy), tText(finals, m, \.knownAccuracy), tText(finals, m, \.hiddenAccuracy),
                    tText(finals, m) { $0.passAtK.last?.1 ?? .nan }, tText(finals, m, \.distinctCorrect),
                    "\(formatNumber(hStart, digits: 3)) → \(formatNumber(hEnd, digits: 3))", halvedText])
      passTable.append([m] + ks.indices.map { i in formatNumber(meanSD(finals.map { $0.passAtK[i].1 }).0, digits: 3) })
      // Welch's t of `value` against the reference method (none for the reference itself).
      func welchT(_ value: (Evaluation) -> Double) -> Double? {
        guard m != methods[0], finals.count > 1, reference.count > 1 else { return nil }
        return Stats.welch(finals.map(value), reference.map(value)).t
      }
      func t(_ value: (Evaluation) -> Double) -> String { welchT(value).map { "\($0)" } ?? "" }
      board.append((m, acc, [m, "\(acc)", "\(accSD)", t(\.accuracy)] + ks.indices.map { i in "\(meanSD(finals.map { $0.passAtK[i].1 }).0)" }
        + ["\(meanSD(finals.map(\.knownAccuracy)).0)", "\(meanSD(finals.map(\.hiddenAccuracy)).0)", t(\.hiddenAccuracy), "\(hEnd)", "\(distinct)",
           t(\.distinctCorrect), "\(meanSD(runs.map(\.seconds)).0)"]))
      lawTable.append([m, "a \(formatNumber(law.a, digits: 3)), b \(formatNumber(law.b, digits: 3)) (\(formatNumber(law.r2, digits: 3)))",
                       early.count < 3 ? "—" : "\(formatNumber(predictedFinal, digits: 3)) (a \(formatNumber(earlyLaw.a, digits: 3)), b \(formatNumber(earlyLaw.b, digits: 3)))",
                       formatNumber(acc, digits: 3), formatNumber(correlation, digits: 3)])
      func welchJSON(_ value: (Evaluation) -> Double) -> JSONValue { welchT(value).map { .number($0) } ?? .null }
      methodsJSON.append((m, .object([
        ("heldout_accuracy_mean", .number(acc)), ("heldout_accuracy_sd", .number(accSD)), ("pass_at_\(ks.last ?? 1)_mean", .number(pass)),
        ("pass_at_\(ks.last ?? 1)_sd", .number(passSD)),
        ("pass_at_k_mean", .object(ks.indices.map { i in ("\(ks[i])", .number(meanSD(finals.map { $0.passAtK[i].1 }).0)) })),
        ("known_accuracy_mean", .number(meanSD(finals.map(\.knownAccuracy)).0)), ("hidden_accuracy_mean", .number(meanSD(finals.map(\.hiddenAccuracy)).0)),
        ("welch_t_vs_\(methods[0])", .object([
          ("heldout_accuracy", welchJSON(\.accuracy)), ("pass_at_\(ks.last ?? 1)", welchJSON { $0.passAtK.last?.1 ?? .nan }),
          ("distinct_correct", welchJSON(\.distinctCorrect)), ("known_accuracy", welchJSON(\.knownAccuracy)), ("hidden_accuracy", welchJSON(\.hiddenAccuracy)),
        ])),
        ("entropy_start", .number(hStart)), ("entropy_end", .number(hEnd)),
        ("distinct_correct", .number(distinct)), ("entropy_halved_at_update", .number(halved.contains(where: { !($0 >= 0) }) ? .nan : meanSD(halved).0)),
        ("law_a", .number(law.a)), ("law_b", .number(law.b)), ("law_r2", .number(law.r2)),
        ("law_first15_a", .number(earlyLaw.a)), ("law_first15_b", .number(earlyLaw.b)), ("law_first15_predicted_final_accuracy", .number(predictedFinal)),
        ("dH_predicted_vs_actual_correlation", .number(correlation)),
        ("seeds", .array(runs.map { o in .object([("seed", .integer(Int(o.seed))), ("heldout_accuracy", .number(o.evaluations.last?.accuracy ?? .nan))]) })),
      ])))
    }
    let summary: JSONValue = .object([
      ("task", .string(options.task)), ("updates", .integer(settings.updates)), ("seeds", .integer(options.seeds)), ("quick", .bool(options.quick)),
      ("seconds", .number(seconds)), ("methods", .object(methodsJSON)),
    ])
    try AtomicFileWriter.write(Data(csv.utf8), to: options.out + "/series.csv")
    try AtomicFileWriter.write(Data((summary.rendered() + "\n").utf8), to: options.out + "/summary.json")
    // The leaderboard: methods by final held-out pass@1, best first (Welch t against the first method).
    let sorted = board.enumerated().sorted { $0.element.pass1 != $1.element.pass1 ? $0.element.pass1 > $1.element.pass1 : $0.offset < $1.offset }.map(\.element)
    var leaderboard = (["rank", "method", "pass_at_1_mean", "pass_at_1_sd", "pass_at_1_welch_t"] + ks.map { "pass_at_\($0)_mean" }
      + ["known_accuracy_mean", "hidden_accuracy_mean", "hidden_accuracy_welch_t", "final_token_entropy", "distinct_correct", "distinct_correct_welch_t", "seconds_per_run"])
      .joined(separator: ",") + "\n"
    for (r, row) in sorted.enumerated() { leaderboard += "\(r + 1)," + row.cells.joined(separator: ",") + "\n" }
    try AtomicFileWriter.write(Data(leaderboard.utf8), to: options.out + "/leaderboard.csv")
    print("\(options.task), \(options.seeds) seeds × \(methods.count) methods, \(settings.updates) updates each, \(formatNumber(seconds, digits: 3)) s (mean ± sd over seeds)")
    print(table.rendered())
    print("\nheld-out pass@k (mean over seeds)")
    print(passTable.rendered())
    print("\nthe law R = −a·e^H + b on (held-out entropy, pass@1) of every evaluation, and fitted on the first 15% of updates")
    print(lawTable.rendered())
    for line in lawLines { print(line) }
    print("wrote \(options.out)/series.csv, \(options.out)/summary.json, \(options.out)/leaderboard.csv")
  }
}

struct RLVRTrain: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "train", abstract: "Train with one loss over several seeds.")
  @OptionGroup var options: RLVROptions
  @Option(help: "Method: grpo, dr-grpo, dapo, clip-cov, kl-cov, entropy-bonus, steer, lp-reg, siren, epo, bapo, canon, aepo, or a loss of `logitdyn loss`.") var loss: String = "grpo"
  @Option(name: .customLong("set"), parsing: .singleValue, help: ArgumentHelp("A loss parameter, key=value.", valueName: "key=value"))
  var settings: [String] = []

  func run() throws { try RLVRRunner.run(options, methods: [(loss, try rlvrMethod(loss, settings: settings))]) }
}

struct RLVRCompare: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "compare", abstract: "The default comparison: several losses × seeds, a table with the spread over seeds.")
  @OptionGroup var options: RLVROptions
  @Option(help: "Comma-separated methods (the first is the reference of Welch's t); `all`: every named method, GRPO first.") var losses: String = "grpo,clip-cov,kl-cov"
  @Option(name: .customLong("set"), parsing: .singleValue, help: ArgumentHelp("A parameter for every method, key=value.", valueName: "key=value"))
  var settings: [String] = []

  func run() throws { try RLVRRunner.run(options, methods: try rlvrMethods(losses, settings: settings)) }
}
