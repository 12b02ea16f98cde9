import Diagnostics
import Foundation

/// The run-log formats `logitdyn run-log` reads.
public enum RunLogFormat: String, Sendable, CaseIterable {
  /// prime-rl's trainer token exports: `token_exports/step_N/rank_R.jsonl`, a `STABLE` marker
  /// per complete step (schema version 1).
  case primeRL = "prime-rl"
  /// open-instruct's saved rollouts: sharded `*_rollouts_NNNNNN.jsonl`, one sample per line.
  case openInstruct = "open-instruct"
  /// verl's `trainer.rollout_data_dir` dumps: `{step}.jsonl`, one sample per line.
  case verl = "verl"
  /// TensorBoard event files (`events.out.tfevents.*`): scalars.
  case tensorboard
  /// A CSV scalar log (a step column and one column per tag).
  case csv
  /// A JSONL scalar log (one object per line with a step and numeric fields).
  case jsonl

  /// Whether the format holds per-sample records (the others hold scalar curves).
  public var hasSamples: Bool { self == .primeRL || self == .openInstruct || self == .verl }
}

/// One step's files of a sample log, and whether the step is complete.
public struct StepFiles: Sendable, Equatable {
  /// The step.
  public var step: Int
  /// Its files, in reading order.
  public var files: [String]
  /// Whether the writer has finished the step (prime-rl: `STABLE` exists; otherwise `true`
  /// except for the last file of a live run, whose last line may be incomplete).
  public var complete: Bool

  /// The files of `step` (`-1`: split by the records' own step field).
  public init(step: Int, files: [String], complete: Bool) {
    self.step = step
    self.files = files
    self.complete = complete
  }
}

/// Finding a run log's files and reading its samples step by step.
public enum SampleLogReaders {
  /// The files of a directory, recursively, sorted (hidden files skipped).
  static func files(under root: String) -> [String] {
    guard let e = FileManager.default.enumerator(atPath: root) else { return [] }
    var out: [String] = []
    while let relative = e.nextObject() as? String {
      if relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
      var isDirectory: ObjCBool = false
      let path = root + "/" + relative
      if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue { out.append(path) }
    }
    return out.sorted()
  }

  static func isDirectory(_ path: String) -> Bool {
    var d: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &d) && d.boolValue
  }

  /// The format of `path` (a file or a run directory), from its names and first record.
  public static func detect(_ path: String) throws(MessageError) -> RunLogFormat {
    let all = isDirectory(path) ? files(under: path) : [path]
    let names = all.map { ($0 as NSString).lastPathComponent }
    if all.contains(where: { $0.range(of: #"(^|/)step_\d+/rank_\d+\.jsonl$"#, options: .regularExpression) != nil }) { return .primeRL }
    if names.contains(where: { $0.contains("tfevents") }) { return .tensorboard }
    if names.contains(where: { $0.range(of: #"_rollouts_\d+\.jsonl$"#, options: .regularExpression) != nil }) { return .openInstruct }
    if names.contains(where: { $0.range(of: #"^\d+\.jsonl$"#, options: .regularExpression) != nil }) { return .verl }
    if let first = all.first(where: { $0.hasSuffix(".jsonl") }) {
      // A JSONL file named otherwise: its first record says which.
      // Only the first record is read (a sentinel error stops the reader there).
      var keys: [String] = []
      let stop = MessageError("first record read")
      do {
        try JSONLinesFile.read(path: first) { record, _ throws(MessageError) in
          keys = record.members.map(\.key)
          throw stop
        }
      } catch {}
      if keys.contains("token_ids") && keys.contains("trainer_logprobs") { return .primeRL }
      if keys.contains("response_tokens") && keys.contains("prompt_idx") { return .openInstruct }
      if keys.contains("input") && keys.contains("output") && keys.contains("score") { return .verl }
      return .jsonl
    }
    if all.contains(where: { $0.hasSuffix(".csv") }) { return .csv }
    throw MessageError("\(path): no run log found (prime-rl token exports, open-instruct rollouts, verl rollout dumps, TensorBoard event files, CSV or JSONL scalar logs); name one with --format")
  }

  /// The steps of a sample log and their files, in step order.
  public static func steps(_ path: String, format: RunLogFormat) throws(MessageError) -> [StepFiles] {
    let all = isDirectory(path) ? files(under: path) : [path]
    switch format {
    case .primeRL:
      var byStep: [Int: [String]] = [:], directories: [Int: String] = [:]
      for f in all {
        guard let m = f.range(of: #"step_(\d+)/rank_\d+\.jsonl$"#, options: .regularExpression) else { continue }
        let part = f[m]
        let digits = part.dropFirst(5).prefix { $0.isNumber }
        guard let step = Int(digits) else { continue }
        byStep[step, default: []].append(f)
        directories[step] = String(f[..<m.lowerBound]) + "step_\(digits)"
      }
      // The first layout (2026-05-21): token_exports/rank_R.jsonl with every step in one file,
      // or a single export file: one pseudo-step, split by the records' step field.
      if byStep.isEmpty {
        let flat = all.filter { $0.hasSuffix(".jsonl") }
        return flat.isEmpty ? [] : [StepFiles(step: -1, files: flat.sorted { rank($0) < rank($1) }, complete: true)]
      }
      return byStep.keys.sorted().map { step in
        let rankFiles = byStep[step]!.sorted { rank($0) < rank($1) }
        return StepFiles(step: step, files: rankFiles, complete: FileManager.default.fileExists(atPath: directories[step]! + "/STABLE"))
      }
    case .verl:
      let dumps = all.filter { ($0 as NSString).lastPathComponent.range(of: #"^\d+\.jsonl$"#, options: .regularExpression) != nil }
      let chosen = dumps.isEmpty ? all.filter { $0.hasSuffix(".jsonl") } : dumps
      return chosen.enumerated().map { k, f in
        StepFiles(step: Int((f as NSString).lastPathComponent.dropLast(6)) ?? k, files: [f], complete: true)
      }.sorted { $0.step < $1.step }
    case .openInstruct:
      // Shards hold any steps: one pseudo-step of all shards, split by the records' step field.
      let shards = all.filter { ($0 as NSString).lastPathComponent.range(of: #"_rollouts_\d+\.jsonl$"#, options: .regularExpression) != nil }
      return [StepFiles(step: -1, files: shards.isEmpty ? all.filter { $0.hasSuffix(".jsonl") && !$0.hasSuffix("_metadata.jsonl") } : shards, complete: true)]
    default:
      return []
    }
  }

  static func rank(_ path: String) -> Int {
    let name = (path as NSString).lastPathComponent
    return Int(name.dropFirst(5).prefix { $0.isNumber }) ?? 0
  }

  /// Reads the samples of `step` (open-instruct: of every step in its shards) in `format`.
  public static func read(_ step: StepFiles, format: RunLogFormat) throws(MessageError) -> [StepRecords] {
    var samples: [SampleRecord] = []
    var notes: [String] = []
    for file in step.files {
      let read = try JSONLinesFile.read(path: file) { record, line throws(MessageError) in
        let fields = RecordFields(record: record, place: "\(file):\(line)")
        switch format {
        case .primeRL: samples.append(try primeRL(fields, file: file, line: line))
        case .openInstruct: samples.append(try openInstruct(fields, line: line, file: file))
        case .verl: samples.append(try verl(fields, step: step.step, line: line, file: file))
        default: throw MessageError("\(file): \(format.rawValue) holds scalars, not samples")
        }
      }
      notes += read
    }
    if format == .primeRL, !step.complete {
      notes.append("step \(step.step) has no STABLE marker yet (the trainer may still be writing it): read as it is")
    }
    if step.step >= 0 {
      return [StepRecords(step: step.step, samples: samples, notes: notes, complete: step.complete && notes.isEmpty)]
    }
    // open-instruct: split by the records' own step.
    var byStep: [Int: [SampleRecord]] = [:]
    for s in samples { byStep[s.step, default: []].append(s) }
    let steps = byStep.keys.sorted()
    return steps.enumerated().map { k, s in StepRecords(step: s, samples: byStep[s]!, notes: k == 0 ? notes : [], complete: true) }
  }

  /// prime-rl's token export record (schema version 1): aligned per-token arrays over the
  /// packed sample (prompt and completion); the prompt is the tokens before the first one in
  /// the loss mask, and identifies the GRPO group.
  static func primeRL(_ f: RecordFields, file: String, line: Int) throws(MessageError) -> SampleRecord {
    if let version = try f.integer("schema_version", optional: true), version != 1 {
      throw f.fail("schema_version \(version): this reader knows prime-rl's token export schema version 1")
    }
    let step = try f.integer("step")!
    guard let ids = try f.integers("token_ids") else { throw f.fail("the required field 'token_ids' is missing") }
    let n = ids.count
    guard let mask = try f.flags("loss_mask", count: n) else { throw f.fail("the required field 'loss_mask' is missing") }
    let firstResponse = mask.firstIndex(of: true) ?? n
    // The GRPO group: nothing in the record names it; samples of one prompt share the prompt's
    // tokens (those before the first loss-masked one) and the environment.
    let environment = try f.string("env_name") ?? ""
    var sample = SampleRecord(step: step, group: environment + "|" + ids[0..<firstResponse].map(String.init).joined(separator: " "), source: "\(file):\(line)")
    let rank = try f.integer("rank", optional: true), micro = try f.integer("micro_step", optional: true)
    sample.microBatch = "rank \(rank ?? SampleLogReaders.rank(file)), micro step \(micro ?? 0)"
    var t = TokenArrays()
    t.count = n
    t.lossMask = mask
    t.advantages = try f.numbers("advantages", count: n)
    t.trainerLogProbs = try f.numbers("trainer_logprobs", count: n)
    t.inferenceLogProbs = try f.numbers("inference_logprobs", count: n)
    t.entropy = try f.numbers("entropy", count: n)
    t.importanceRatio = try f.numbers("importance_ratio", count: n)
    t.mismatchKL = try f.numbers("mismatch_kl", count: n)
    // All-null when the loss has no trust-region mask: then absent.
    if case .bools? = f.record["is_masked"] { t.trustRegionMasked = try f.flags("is_masked", count: n) }
    sample.tokens = t
    sample.responseTokens = ids.indices.filter { mask[$0] }.map { ids[$0] }
    // The legacy layout's per-token rewards (one value per sample, broadcast).
    if let rewards = try f.numbers("rewards", count: n), let k = mask.firstIndex(of: true) { sample.reward = rewards[k] }
    if let reward = try f.number("reward") { sample.reward = reward }
    return sample
  }

  /// open-instruct's saved rollout record: one sample, its prompt index within the step, the
  /// response tokens and their log-probabilities, reward and advantage.
  static func openInstruct(_ f: RecordFields, line: Int, file: String) throws(MessageError) -> SampleRecord {
    let step = try f.integer("step")!
    guard let prompt = try f.integer("prompt_idx", optional: true) ?? nil else { throw f.fail("the required field 'prompt_idx' is missing") }
    var sample = SampleRecord(step: step, group: String(prompt), source: "\(file):\(line)")
    guard let response = try f.integers("response_tokens") else { throw f.fail("the required field 'response_tokens' is missing") }
    sample.responseTokens = response
    sample.reward = try f.number("reward")
    sample.advantage = try f.number("advantage")
    if let logprobs = try f.numbers("logprobs", count: response.count, alignedWith: "response_tokens") {
      var t = TokenArrays()
      t.count = response.count
      t.inferenceLogProbs = logprobs
      sample.tokens = t
    }
    return sample
  }

  /// verl's rollout dump record: the prompt text (`input`, the GRPO group), the response text
  /// (`output`), the ground truth (`gts`) and the score.
  static func verl(_ f: RecordFields, step: Int, line: Int, file: String) throws(MessageError) -> SampleRecord {
    guard let input = try f.string("input") else { throw f.fail("the required field 'input' is missing") }
    guard let output = try f.string("output") else { throw f.fail("the required field 'output' is missing") }
    var sample = SampleRecord(step: try f.integer("step", optional: true) ?? step, group: input, source: "\(file):\(line)")
    sample.answerText = output
    sample.reward = try f.number("score")
    return sample
  }
}
