import ArgumentParser
import Foundation
import LogitDynamics
import OutputFormats

/// `logitdyn reproduce`: every claim of the source papers, run and judged, with a report.
struct ReproduceCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "reproduce",
    abstract: "Check every claim of the source papers numerically: a verdict table and an HTML report with plots.",
    discussion: """
      Runs the registered experiments (seed 002: the update-norm formula and its \
      self-regulation, the note's experiments and open questions; seeds 003/004: the entropy \
      mechanism, R = −a·e^H + b, Clip-Cov and KL-Cov; seed 000: softmax's gradient, Lipschitz \
      and co-coercivity constants, learning in games and logit equilibria). Each verdict \
      (holds / fails / inconclusive) is computed from the run's numbers; comparisons of \
      methods run over seeds and are judged by Welch's t (holds at one-sided p < 0.01, fails \
      when the effect points the other way). Every experiment names the constants it is judged \
      against (--list shows them with a wrong value each; --set changes one).

      Writes DIR/index.html (self-contained: inline SVG plots, no scripts, no external \
      resources), DIR/results.json, DIR/verdicts.md (the verdict table in Markdown, with the \
      date and core count), and DIR/series/NAME.csv for every experiment's plotted series; \
      with --tensorboard, an event file of the same series for TensorBoard.
      """)

  @Option(parsing: .upToNextOption, help: ArgumentHelp("Run only the experiments whose names start with these.", valueName: "name"))
  var only: [String] = []
  @Flag(help: "Smaller configurations (under a minute in all).") var quick = false
  @Option(help: ArgumentHelp("Output directory.", valueName: "dir")) var out: String = "report"
  @Option(help: ArgumentHelp("Also write the series as a TensorBoard event file in this directory.", valueName: "dir")) var tensorboard: String?
  @Option(help: "Worker threads (default: all cores).") var threads: Int?
  @Option(help: "Base seed.") var seed: UInt64 = 1
  @Option(name: .customLong("set"), help: ArgumentHelp("Run with a claim's constant changed, e.g. --set 'skewed row=0.245' (see --list for the constants); applies to every selected experiment that has it.", valueName: "name=value"))
  var settings: [String] = []
  @Flag(help: "List the experiments and exit.") var list = false
  @Flag(name: .shortAndLong, help: "No progress display.") var quiet = false

  func run() throws {
    var experiments: [Experiment] = try ExperimentRegistry.select(only)
    for setting in settings {
      guard let eq = setting.lastIndex(of: "="), let value = Double(setting[setting.index(after: eq)...].trimmingCharacters(in: .whitespaces)), value.isFinite else {
        throw CLIError("--set expects name=value with a finite number, got '\(setting)'")
      }
      let name = setting[..<eq].trimmingCharacters(in: .whitespaces)
      guard experiments.contains(where: { $0.constants.contains { $0.name == name } }) else {
        throw CLIError("--set: no selected experiment has a constant '\(name)' (see logitdyn reproduce --list)")
      }
      experiments = try experiments.map { e in e.constants.contains { $0.name == name } ? try e.setting(name, to: value) : e }
    }
    if list {
      for e in experiments {
        print("\(e.name.padding(toLength: 26, withPad: " ", startingAt: 0)) \(e.claim)")
        for c in e.constants { print("    \(c.name) = \(c.value) (\(c.meaning); wrong: \(c.wrong))") }
      }
      return
    }
    if let threads, threads < 1 { throw CLIError("--threads must be at least 1, got \(threads)") }
    do { try FileManager.default.createDirectory(atPath: out + "/series", withIntermediateDirectories: true) } catch {
      throw CLIError("cannot create the output directory '\(out)'")
    }
    let context = ExperimentContext(quick: quick, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount, seed: seed)
    let progress = ProgressLine(enabled: !quiet, label: "reproduce", unit: "experiments")
    var sections: [ReportSection] = []
    var table = TextTable(["experiment", "verdict", "seconds", "result"])
    let start = Date()
    for (i, e) in experiments.enumerated() {
      progress.update(i, of: experiments.count)
      let t = Date()
      let result: ExperimentResult
      do { result = try e.run(context) } catch {
        progress.finish()
        throw CLIError("experiment \(e.name) could not run: \(error)")
      }
      let seconds = Date().timeIntervalSince(t)
      var section = ReportSection(name: e.name, source: e.source, claim: e.claim, verdict: result.verdict.rawValue, summary: result.summary,
                                  evidence: result.evidence, figures: result.figures, notes: result.notes, seconds: seconds,
                                  setup: e.setup, constants: e.constants.map { ($0.name, $0.value, $0.meaning) })
      section.tables = result.tables
      sections.append(section)
      table.append([e.name, result.verdict.rawValue, String(format: "%.1f", seconds), Self.shorten(result.summary, 90)])
    }
    progress.finish()
    let mode = quick ? "quick" : "full"
    let subtitle = "\(sections.count) experiments, \(mode) mode, seed \(seed), \(String(format: "%.1f", Date().timeIntervalSince(start))) s on \(context.threads) threads; LogitDynamics \(LogitDynVersion.string). Verdicts are computed from the measured numbers."
    try AtomicFileWriter.write(Data(HTMLReport.render(title: "LogitDynamics: the source papers' claims, checked", subtitle: subtitle, sections: sections).utf8),
                               to: out + "/index.html")
    try AtomicFileWriter.write(Data((Self.resultsJSON(sections, mode: mode).rendered() + "\n").utf8), to: out + "/results.json")
    try AtomicFileWriter.write(Data(Self.markdownTable(sections, mode: mode, threads: context.threads, seconds: Date().timeIntervalSince(start)).utf8),
                               to: out + "/verdicts.md")
    for s in sections { try AtomicFileWriter.write(Data(Self.csv(s).utf8), to: out + "/series/\(s.name).csv") }
    // The sections' tables in Markdown, one file per section that has any (for the README).
    let tabled = sections.filter { !$0.tables.isEmpty }
    if !tabled.isEmpty { try FileManager.default.createDirectory(atPath: out + "/tables", withIntermediateDirectories: true) }
    for s in tabled {
      try AtomicFileWriter.write(Data(s.tables.map(\.markdown).joined(separator: "\n").utf8), to: out + "/tables/\(s.name).md")
    }
    if let tensorboard {
      try FileManager.default.createDirectory(atPath: tensorboard, withIntermediateDirectories: true)
      var writer = TensorBoardWriter()
      for s in sections {
        for figure in s.figures {
          for series in figure.series where !series.markers {
            for (k, y) in series.y.enumerated() where y.isFinite {
              let step = series.x[k].isFinite && series.x[k] == series.x[k].rounded() && series.x[k] >= 0 ? Int(series.x[k]) : k
              writer.add(tag: "\(s.name)/\(figure.title)/\(series.name)", step: step, value: y)
            }
          }
        }
        for (name, value) in s.evidence where value.isFinite { writer.add(tag: "\(s.name)/evidence/\(name)", step: 0, value: value) }
      }
      try AtomicFileWriter.write(writer.bytes, to: tensorboard + "/" + TensorBoardWriter.fileName())
    }
    let counts = ["holds", "fails", "inconclusive"].map { v in "\(sections.filter { $0.verdict == v }.count) \(v)" }.joined(separator: ", ")
    print(table.rendered())
    print("\n\(counts); report \(out)/index.html" + (tensorboard.map { ", TensorBoard events in \($0)" } ?? ""))
  }

  static func shorten(_ s: String, _ n: Int) -> String { s.count <= n ? s : String(s.prefix(n - 1)) + "…" }

  /// The verdict table in Markdown (for the README): date, mode, cores, and one row per experiment.
  static func markdownTable(_ sections: [ReportSection], mode: String, threads: Int, seconds: Double) -> String {
    let date = ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])
    var md = "`logitdyn reproduce` (\(mode) mode), \(date), \(ProcessInfo.processInfo.activeProcessorCount) cores (\(threads) threads), \(String(format: "%.0f", seconds)) s; LogitDynamics \(LogitDynVersion.string).\n\n"
    md += "| experiment | verdict | seconds | result |\n|---|---|---:|---|\n"
    for s in sections {
      let summary = s.summary.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
      md += "| `\(s.name)` | **\(s.verdict)** | \(String(format: "%.1f", s.seconds)) | \(summary) |\n"
    }
    return md
  }

  static func resultsJSON(_ sections: [ReportSection], mode: String) -> JSONValue {
    .object([
      ("mode", .string(mode)), ("version", .string(LogitDynVersion.string)),
      ("experiments", .array(sections.map { s in
        .object([("name", .string(s.name)), ("source", .string(s.source)), ("claim", .string(s.claim)), ("verdict", .string(s.verdict)),
                 ("summary", .string(s.summary)), ("seconds", .number(s.seconds)), ("setup", .string(s.setup)),
                 ("constants", .object(s.constants.map { ($0.0, .number($0.1)) })),
                 ("evidence", .object(s.evidence.map { ($0.0, .number($0.1)) })), ("notes", .array(s.notes.map { .string($0) })),
                 ("tables", .array(s.tables.map { t in
                   .object([("title", .string(t.title)), ("header", .array(t.header.map { .string($0) })),
                            ("rows", .array(t.rows.map { .array($0.map { .string($0) }) }))])
                 }))])
      })),
    ])
  }

  /// The plotted series of a section in long form: `figure,series,x,y,lower,upper`.
  static func csv(_ s: ReportSection) -> String {
    func q(_ t: String) -> String { "\"" + t.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
    func f(_ x: Double?) -> String { x.map { $0.isFinite ? "\($0)" : "" } ?? "" }
    var text = "figure,series,x,y,lower,upper\n"
    for figure in s.figures {
      for series in figure.series {
        for k in series.x.indices where k < series.y.count {
          text += "\(q(figure.title)),\(q(series.name)),\(f(series.x[k])),\(f(series.y[k])),\(f(series.lower?[k])),\(f(series.upper?[k]))\n"
        }
      }
    }
    return text
  }
}
