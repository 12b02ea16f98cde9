import Diagnostics
import Foundation

/// `logitdyn run-log`'s library side: read a run's logs, analyse each step and the curves.
public struct RunLog: Sendable {
  /// The log (a file or a run directory) and its format.
  public var path: String, format: RunLogFormat
  /// Scalar logs read next to the sample log (`--scalars`).
  public var scalarPaths: [String] = []
  /// The per-step analyses' settings.
  public var settings = RunLogSettings()
  /// The curves: tags (`nil`: chosen from the known names), the early fraction and the
  /// halving warning's share of the run.
  public var entropyTag: String?, performanceTag: String?
  /// The early fit's share of the run's steps (`--early`) and the halving warning's share (`--warn-halving`).
  public var earlyFraction = 0.15, warnHalving = 0.1
  /// Bootstrap resamples of the law's band.
  public var bootstrapDraws = 1000

  /// A log at `path` in `format` (detected when `nil`).
  public init(path: String, format: RunLogFormat? = nil) throws(MessageError) {
    guard FileManager.default.fileExists(atPath: path) else { throw MessageError("\(path): no such file or directory") }
    self.path = path
    if let format { self.format = format } else { self.format = try SampleLogReaders.detect(path) }
  }

  /// The step summaries computed so far, by step, and the steps whose files were complete
  /// (a follow pass re-reads the incomplete ones).
  public struct State: Sendable {
    /// Each step's summary.
    public var summaries: [Int: StepSummary] = [:]
    /// The steps read complete (not read again).
    public var complete: Set<Int> = []
    /// Each step's notes.
    public var notes: [Int: [String]] = [:]
    /// The files read.
    public var files: Set<String> = []
    /// Nothing read yet.
    public init() {}
  }

  /// Reads what is new since `state` (every step the first time; then the steps not yet
  /// complete and any new ones), and returns the whole result.
  public func update(_ state: inout State, progress: (Int, Int) -> Void = { _, _ in }) throws(MessageError) -> RunLogResult {
    var scalars = ScalarLog()
    if format.hasSamples {
      let steps = try SampleLogReaders.steps(path, format: format)
      let todo = steps.filter { !state.complete.contains($0.step) }
      for (k, stepFiles) in todo.enumerated() {
        progress(k, todo.count)
        for records in try SampleLogReaders.read(stepFiles, format: format) {
          state.summaries[records.step] = StepAnalysis.summarize(records, settings: settings)
          state.notes[records.step] = records.notes
          if records.complete { state.complete.insert(records.step) }
        }
        state.files.formUnion(stepFiles.files)
      }
      progress(todo.count, todo.count)
    } else {
      try Self.readScalars(path, format: format, into: &scalars)
      state.files.formUnion(SampleLogReaders.isDirectory(path) ? SampleLogReaders.files(under: path) : [path])
    }
    for extra in scalarPaths {
      try Self.readScalars(extra, format: nil, into: &scalars)
    }
    let summaries = state.summaries.keys.sorted().map { state.summaries[$0]! }
    // The curves: scalar logs when they have entropy and performance, else the steps' own means.
    var curves: CurveAnalysis?
    var curveSkip: String?
    let tags = scalars.tags
    if let h = ScalarCurves.entropyTag(in: tags, preferred: entropyTag), let r = ScalarCurves.performanceTag(in: tags, preferred: performanceTag) {
      curves = ScalarCurves.analyze(entropyTag: h, entropy: scalars.series[h]!, performanceTag: r, performance: scalars.series[r]!,
                                    earlyFraction: earlyFraction, warnHalving: warnHalving, draws: bootstrapDraws, seed: settings.seed)
    } else if !summaries.isEmpty {
      let h = summaries.compactMap { s in s.entropy.map { (step: s.step, value: $0.mean) } }
      let r = summaries.compactMap { s in s.rewardMean.map { (step: s.step, value: $0) } }
      if !h.isEmpty && !r.isEmpty {
        curves = ScalarCurves.analyze(entropyTag: "entropy_mean", entropy: h, performanceTag: "reward_mean", performance: r,
                                      earlyFraction: earlyFraction, warnHalving: warnHalving, draws: bootstrapDraws, seed: settings.seed)
      } else if !h.isEmpty {
        // Entropy alone: its halving and speed (the law needs a performance too).
        curves = ScalarCurves.analyze(entropyTag: "entropy_mean", entropy: h, performanceTag: "reward_mean", performance: [],
                                      earlyFraction: earlyFraction, warnHalving: warnHalving, draws: bootstrapDraws, seed: settings.seed)
        curves?.skipped = ["the entropy–performance law: the log has no reward per sample"]
      } else {
        curveSkip = "the entropy curve and the law: the log has no per-token entropy" + (r.isEmpty ? " and no reward" : "")
      }
    } else {
      let missing = [ScalarCurves.entropyTag(in: tags, preferred: entropyTag) == nil ? "an entropy tag (\(entropyTag ?? ScalarCurves.entropyTags.joined(separator: ", ")))" : nil,
                     ScalarCurves.performanceTag(in: tags, preferred: performanceTag) == nil ? "a performance tag (\(performanceTag ?? "val-core/…, val/…, " + ScalarCurves.performanceTags.joined(separator: ", ")))" : nil].compactMap { $0 }
      curveSkip = "the curves: no \(missing.joined(separator: " and ")) among the \(tags.count) tags" + (tags.isEmpty ? "" : " (\(tags.prefix(12).joined(separator: ", "))\(tags.count > 12 ? ", …" : ""))")
    }
    var result = RunLogResult(format: format.rawValue, files: state.files.sorted(), steps: summaries, curves: curves,
                              notes: scalars.notes + state.notes.keys.sorted().flatMap { state.notes[$0]! }, settings: settings)
    if let curveSkip { result.extraSkipped = [curveSkip] }
    return result
  }

  /// Reads the scalar log at `path` (a file or a directory of them) into `scalars`.
  static func readScalars(_ path: String, format: RunLogFormat?, into scalars: inout ScalarLog) throws(MessageError) {
    let files = SampleLogReaders.isDirectory(path) ? SampleLogReaders.files(under: path) : [path]
    // TensorBoard's runs are directories of event files: one run at a time.
    let runs = Set(files.filter { ($0 as NSString).lastPathComponent.contains("tfevents") }.map { ($0 as NSString).deletingLastPathComponent })
    if runs.count > 1 {
      throw MessageError("\(path) holds \(runs.count) TensorBoard runs (directories of event files): name one of \(runs.sorted().prefix(8).joined(separator: ", "))\(runs.count > 8 ? ", …" : "")")
    }
    var read = 0
    for file in files {
      let name = (file as NSString).lastPathComponent
      if name.contains("tfevents") && (format == nil || format == .tensorboard) {
        try scalars.addEventFile(file)
      } else if name.hasSuffix(".csv") && (format == nil || format == .csv) {
        try scalars.addCSV(file)
      } else if name.hasSuffix(".jsonl") && (format == nil || format == .jsonl) {
        try scalars.addJSONL(file)
      } else if format == .tensorboard && files.count == 1 {
        try scalars.addEventFile(file)
      } else {
        continue
      }
      read += 1
    }
    if read == 0 { throw MessageError("\(path): no scalar log (TensorBoard event file, .csv or .jsonl) found") }
  }
}
