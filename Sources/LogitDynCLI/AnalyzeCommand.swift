import ArgumentParser
import Foundation
import LogitDynamics

/// `logitdyn analyze`: fused one-pass diagnostics over logged logits.
struct AnalyzeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "analyze",
    abstract: "Per-token entropy, log-probs, update norms and the covariance behind entropy collapse, from dumped logits.",
    discussion: """
      FILE is a .npy file (one tensor, named after the file: logits.npy is 'logits') or a \
      .safetensors file (several named tensors). Logits are [T, V] or [B, L, V] in f32, f16, \
      bf16 (safetensors BF16, numpy |V2, or uint16 with --bf16) or f64; full log-probabilities \
      work too. Optional per-token tensors: tokens (the sampled ids), advantages ([B, L] or \
      [B]), a response mask, old log-probs. Rows with NaN or +inf logits are flagged, counted \
      and left out; -inf logits are masked vocabulary entries.

      Prints a summary (entropy quantiles, forking tokens, the token covariance table of \
      seed 003, the first-order entropy change of a policy-gradient step, what Clip-Cov and \
      KL-Cov would select). With --out DIR writes DIR/tokens.<format> (one row per token) \
      and DIR/summary.json, each atomically.

      Example: logitdyn analyze batch.safetensors --out report --format npy
      """)

  @Argument(help: ArgumentHelp("Tensor files (.npy, .safetensors).", valueName: "file"))
  var files: [String]

  @Option(help: ArgumentHelp("Name of the logits tensor.", valueName: "name")) var logits: String?
  @Option(help: ArgumentHelp("Name of the sampled-token tensor.", valueName: "name")) var tokens: String?
  @Option(help: ArgumentHelp("Name of the advantages tensor.", valueName: "name")) var advantages: String?
  @Option(help: ArgumentHelp("Name of the response-mask tensor.", valueName: "name")) var mask: String?
  @Option(name: .customLong("old-logprobs"), help: ArgumentHelp("Name of the old log-probs tensor.", valueName: "name"))
  var oldLogProbs: String?

  @Flag(help: "Read 2-byte integer tensors (<u2, <i2) as bfloat16.") var bf16 = false

  @Option(parsing: .unconditional, help: "Softmax temperature τ > 0 (p = softmax(z/τ)).")
  var temperature: Double = 1

  @Option(help: ArgumentHelp("Directory for tokens.<format> and summary.json.", valueName: "dir")) var out: String?

  @Option(help: "Per-token output format: csv, jsonl or npy.") var format: String = "csv"

  @Option(help: "Worker threads (default: all cores).") var threads: Int?

  @Option(name: .customLong("clip-cov-ratio"), parsing: .unconditional, help: "Clip-Cov: fraction of valid tokens detached (verl's default 2e-4).")
  var clipCovRatio: Double = CovarianceSelection.verlClipCovRatio
  @Option(name: .customLong("clip-cov-lb"), parsing: .unconditional, help: "Clip-Cov: lower covariance bound (exclusive).")
  var clipCovLB: Double = 1
  @Option(name: .customLong("clip-cov-ub"), parsing: .unconditional, help: "Clip-Cov: upper covariance bound (exclusive).")
  var clipCovUB: Double = 5
  @Option(name: .customLong("kl-cov-ratio"), parsing: .unconditional, help: "KL-Cov: fraction of valid tokens penalised (verl's default 2e-4; the paper's 7B runs 2e-3, 32B 2e-4).")
  var klCovRatio: Double = CovarianceSelection.verlKLCovRatio
  @Option(name: .customLong("clip-ratio-low"), parsing: .unconditional, help: "PPO ε_low (tokens PPO clips are not Clip-Cov candidates).")
  var clipRatioLow: Double = 0.2
  @Option(name: .customLong("clip-ratio-high"), parsing: .unconditional, help: "PPO ε_high.")
  var clipRatioHigh: Double = 0.2
  @Option(help: "Seed of Clip-Cov's random draw.") var seed: UInt64 = 0
  @Option(name: .customLong("micro-batches"), help: ArgumentHelp("Also select Clip-Cov/KL-Cov tokens inside each of N micro-batches of ⌈B/N⌉ sequences, as verl's loss does (the counts are per micro-batch, so they add up to more than the global ones).", valueName: "N"))
  var microBatches: Int = 1

  @Option(help: "Also replay the batch through a loss of `logitdyn loss` (vanilla, dapo, reinforce, clip_cov, kl_cov, steer); writes DIR/loss.json.")
  var loss: String?
  @Option(name: .customLong("set"), parsing: .singleValue, help: ArgumentHelp("A loss parameter, key=value (repeatable; see logitdyn loss --help).", valueName: "key=value"))
  var settings: [String] = []
  @Flag(help: "Print the summary as JSON.") var json = false
  @Flag(name: .shortAndLong, help: "No progress display.") var quiet = false

  func run() throws {
    guard let format = TokenTableFormat(rawValue: format) else {
      throw CLIError("--format must be csv, jsonl or npy, got '\(format)'")
    }
    guard temperature > 0, temperature.isFinite else { throw CLIError("--temperature must be a positive finite number, got \(temperature)") }
    if let threads, threads < 1 { throw CLIError("--threads must be at least 1, got \(threads)") }
    for (name, v) in [("--clip-cov-ratio", clipCovRatio), ("--kl-cov-ratio", klCovRatio)] where !(v >= 0 && v <= 1) {
      throw CLIError("\(name) must be a fraction in [0, 1], got \(v)")
    }
    guard clipCovLB < clipCovUB else { throw CLIError("--clip-cov-lb (\(clipCovLB)) must be below --clip-cov-ub (\(clipCovUB))") }
    guard clipRatioLow >= 0, clipRatioHigh >= 0 else { throw CLIError("--clip-ratio-low/high must be ≥ 0") }

    var tensors: [Tensor] = []
    for file in files {
      tensors += try TensorFiles.open(path: file, twoByteIntegersAreBFloat16: bf16)
    }
    var names = TensorNames()
    if let logits { names.logits = [logits] }
    if let tokens { names.tokens = [tokens] }
    if let advantages { names.advantages = [advantages] }
    if let mask { names.mask = [mask] }
    if let oldLogProbs { names.oldLogProbs = [oldLogProbs] }
    for (flag, value) in [("--logits", logits), ("--tokens", tokens), ("--advantages", advantages), ("--mask", mask), ("--old-logprobs", oldLogProbs)] {
      if let value, !tensors.contains(where: { $0.name == value }) {
        throw CLIError("\(flag) '\(value)': no such tensor (found: \(tensors.map(\.name).joined(separator: ", ")))")
      }
    }
    let batch = try LogitBatch(tensors: tensors, names: names)
    guard microBatches >= 1, microBatches <= batch.batch else {
      throw CLIError("--micro-batches must be between 1 and the number of sequences B = \(batch.batch)\(batch.batch == 1 ? " (micro-batches split sequences: give [B, L, V] logits)" : ""), got \(microBatches)")
    }

    var options = AnalysisOptions()
    options.temperature = temperature
    options.threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
    options.clipCovRatio = clipCovRatio
    options.clipCovLowerBound = clipCovLB
    options.clipCovUpperBound = clipCovUB
    options.klCovRatio = klCovRatio
    options.microBatches = microBatches
    options.clipRatioLow = clipRatioLow
    options.clipRatioHigh = clipRatioHigh
    options.seed = seed

    let policyLoss = try loss.map { try LossCommand.makeLoss(name: $0, parameters: try LossCommand.parameters(settings)) }
    if loss == nil, !settings.isEmpty { throw CLIError("--set applies to a --loss") }

    // Checked now, created only when the results are ready to be written.
    var outputDirectory = try out.map { try OutputDirectory($0) }

    let progress = ProgressLine(enabled: !quiet, label: "analyze", unit: "rows", bytesPerUnit: batch.vocabulary * batch.logits.dtype.byteSize)
    let analysis: BatchAnalysis
    do {
      analysis = try BatchAnalysis(batch: batch, options: options) { done, total in progress.update(done, of: total) }
    } catch {
      progress.finish()
      throw error
    }
    progress.finish()

    // The loss replay on the kernel's per-token values.
    var lossDocument: JSONValue?, lossText = ""
    if let policyLoss, let name = loss {
      let tokens = try analysis.tokenBatch()
      let result = try policyLoss.evaluate(tokens)
      lossDocument = LossCommand.document(result, tokens)
      lossText = "\nloss       \(name): \(formatNumber(result.loss, digits: 8))"
        + result.metrics.map { ", \($0.0) \(formatNumber($0.1, digits: 4))" }.joined()
        + (result.selectedMask.contains(1) ? ", \(Int(result.selectedMask.reduce(0, +))) tokens selected" : "")
    }

    if let out {
      do {
        try outputDirectory!.create()
        try analysis.writeTokens(to: out + "/tokens.\(format.rawValue)", format: format)
        try AtomicFileWriter.write(Data((analysis.summaryJSON.rendered() + "\n").utf8), to: out + "/summary.json")
        if let lossDocument { try AtomicFileWriter.write(Data((lossDocument.rendered() + "\n").utf8), to: out + "/loss.json") }
      } catch {
        outputDirectory?.removeIfCreated()
        throw error
      }
    }
    if json {
      if let lossDocument, case .object(var fields) = analysis.summaryJSON {
        fields.append(("loss", lossDocument))
        print(JSONValue.object(fields).rendered())
      } else {
        print(analysis.summaryJSON.rendered())
      }
    } else {
      print(analysis.summaryText + lossText)
      if let out { print("wrote      \(out)/tokens.\(format.rawValue), \(out)/summary.json\(lossDocument == nil ? "" : ", \(out)/loss.json")") }
    }
  }
}
