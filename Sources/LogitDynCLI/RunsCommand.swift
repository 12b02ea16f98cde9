import ArgumentParser
import Dispatch
import Foundation
import LogitDynamics
import OutputFormats
import ParallelMap
import RunStore
import Sweeps

/// `logitdyn runs`: look at a store.
struct RunsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "runs", abstract: "Look at a run store: list, show, compare, export, plot.",
    subcommands: [RunsList.self, RunsShow.self, RunsCompare.self, RunsExport.self, RunsPlot.self])
}

/// The store option of the `runs` subcommands.
struct StoreOption: ParsableArguments {
  @Option(help: ArgumentHelp("The run store.", valueName: "path")) var store: String

  func open() throws -> [StoredRun] {
    return try RunStore(path: store, create: false).runs()
  }

  /// Flat `key → number or text` of a JSON object string.
  static func fields(_ json: String) -> [(String, String)] {
    guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return [] }
    return object.keys.sorted().map { key in
      let v = object[key]!
      if let n = v as? NSNumber { return (key, formatNumber(n.doubleValue, digits: 5)) }
      return (key, "\(v)")
    }
  }
}

struct RunsList: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "list", abstract: "One line per run: id, sweep, varied settings, status, summary metrics.")
  @OptionGroup var store: StoreOption

  func run() throws {
    let runs = try store.open()
    guard let firstRun = runs.first else { print("no runs in \(store.store)"); return }
    let variedKeys = StoreOption.fields(firstRun.varied).map(\.0), metricKeys = ["entropy_last", "reward_last", "regret_last", "update_norm_last"]
    var table = TextTable(["id", "sweep", "#"] + variedKeys + ["status", "seconds"] + metricKeys)
    for r in runs {
      let varied = Dictionary(StoreOption.fields(r.varied), uniquingKeysWith: { a, _ in a })
      let summary = Dictionary(StoreOption.fields(r.summary), uniquingKeysWith: { a, _ in a })
      table.append([r.id, r.sweep, "\(r.gridIndex)"] + variedKeys.map { varied[$0] ?? "" } + [r.status, formatNumber(r.seconds, digits: 3)]
                   + metricKeys.map { summary[$0] ?? "" })
    }
    print(table.rendered())
    print("\(runs.count) runs")
  }
}

struct RunsShow: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "show", abstract: "One run's configuration, timings and summary.")
  @OptionGroup var store: StoreOption
  @Argument(help: "Run id (a unique prefix is enough).") var id: String

  func run() throws {
    let matches = try store.open().filter { $0.id.hasPrefix(id) }
    guard matches.count == 1, let r = matches.first else {
      throw CLIError(matches.isEmpty ? "no run \(id) in \(store.store)" : "'\(id)' matches \(matches.count) runs; give more of the id")
    }
    print("""
      run        \(r.id) (\(r.sweep), grid position \(r.gridIndex)), \(r.status), \(formatNumber(r.seconds, digits: 4)) s, logitdyn \(r.codeVersion)
      config     \(r.config)
      """)
    for (k, v) in StoreOption.fields(r.summary) { print(k.padding(toLength: 18, withPad: " ", startingAt: 0) + v) }
    print("series     \(r.series.split(separator: "\n").count - 1) steps")
  }
}

struct RunsCompare: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "compare", abstract: "Summaries of several runs side by side.")
  @OptionGroup var store: StoreOption
  @Argument(help: "Run ids (prefixes); default: all.") var ids: [String] = []

  func run() throws {
    let runs = try store.open().filter { r in ids.isEmpty || ids.contains { r.id.hasPrefix($0) } }
    guard !runs.isEmpty else { throw CLIError("no matching runs in \(store.store)") }
    let keys = StoreOption.fields(runs[0].summary).map(\.0)
    var table = TextTable(["metric"] + runs.map { String($0.id.prefix(8)) })
    for (k, _) in StoreOption.fields(runs[0].varied) {
      table.append([k] + runs.map { r in StoreOption.fields(r.varied).first { $0.0 == k }?.1 ?? "" })
    }
    for k in keys { table.append([k] + runs.map { r in StoreOption.fields(r.summary).first { $0.0 == k }?.1 ?? "" }) }
    print(table.rendered())
  }
}

struct RunsExport: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "export", abstract: "Export run summaries (and optionally series) as CSV or JSON Lines.")
  @OptionGroup var store: StoreOption
  @Option(help: "csv or jsonl.") var format: String = "csv"
  @Option(help: ArgumentHelp("Output file (written atomically).", valueName: "path")) var out: String
  @Flag(help: "Export every step of every run (long format) instead of one line per run.") var series = false

  func run() throws {
    guard ["csv", "jsonl"].contains(format) else { throw CLIError("unknown format '\(format)' (available: csv, jsonl)") }
    let runs = try store.open()
    var text = ""
    if series {
      guard format == "csv" else { throw CLIError("--series exports CSV") }
      for (k, r) in runs.enumerated() {
        let lines = r.series.split(separator: "\n")
        if k == 0, let header = lines.first { text += "run_id," + header + "\n" }
        for line in lines.dropFirst() { text += r.id + "," + line + "\n" }
      }
    } else if format == "jsonl" {
      for r in runs {
        text += "{\"id\":\"\(r.id)\",\"sweep\":\"\(r.sweep)\",\"grid_index\":\(r.gridIndex),\"status\":\"\(r.status)\",\"seconds\":\(r.seconds),\"code_version\":\"\(r.codeVersion)\",\"config\":\(r.config),\"varied\":\(r.varied),\"summary\":\(r.summary)}\n"
      }
    } else {
      let variedKeys = runs.first.map { StoreOption.fields($0.varied).map(\.0) } ?? []
      let summaryKeys = runs.first.map { StoreOption.fields($0.summary).map(\.0) } ?? []
      text = (["id", "sweep", "grid_index", "status", "seconds"] + variedKeys + summaryKeys).joined(separator: ",") + "\n"
      for r in runs {
        let varied = Dictionary(StoreOption.fields(r.varied), uniquingKeysWith: { a, _ in a })
        let summary = Dictionary(StoreOption.fields(r.summary), uniquingKeysWith: { a, _ in a })
        text += ([r.id, r.sweep, "\(r.gridIndex)", r.status, "\(r.seconds)"] + variedKeys.map { varied[$0] ?? "" } + summaryKeys.map { summary[$0] ?? "" })
          .joined(separator: ",") + "\n"
      }
    }
    try AtomicFileWriter.write(Data(text.utf8), to: out)
    print("wrote \(out) (\(runs.count) runs)")
  }
}

struct RunsPlot: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "plot", abstract: "Plot a series column of chosen runs (SVG, the report's style).")
  @OptionGroup var store: StoreOption
  @Option(help: "A column of series.csv (e.g. entropy_mean, reward_mean, update_norm_mean).") var column: String = "entropy_mean"
  @Option(help: ArgumentHelp("Output SVG file.", valueName: "path")) var out: String
  @Flag(name: .customLong("log-y"), help: "Logarithmic y axis.") var logY = false
  @Argument(help: "Run ids (prefixes); default: all.") var ids: [String] = []

  func run() throws {
    let runs = try store.open().filter { r in ids.isEmpty || ids.contains { r.id.hasPrefix($0) } }
    guard !runs.isEmpty else { throw CLIError("no matching runs in \(store.store)") }
    var series: [PlotSeries] = []
    for r in runs {
      let lines = r.series.split(separator: "\n")
      guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map(String.init),
        let c = header.firstIndex(of: column)
      else { throw CLIError("run \(r.id) has no column '\(column)'") }
      var x: [Double] = [], y: [Double] = []
      for line in lines.dropFirst() {
        let cells = line.split(separator: ",", omittingEmptySubsequences: false)
        x.append((Double(cells[0]) ?? 0) + 1)
        y.append(Double(cells[c]) ?? .nan)
      }
      let label = StoreOption.fields(r.varied).map { "\($0.0)=\($0.1)" }.joined(separator: " ")
      series.append(PlotSeries(label.isEmpty ? String(r.id.prefix(8)) : label, x: x, y: y))
    }
    let svg = SVGPlot.render(Figure("\(column) per step", x: "step", y: column, logX: true, logY: logY, series: series))
    try AtomicFileWriter.write(Data(svg.utf8), to: out)
    print("wrote \(out) (\(runs.count) runs)")
  }
}
