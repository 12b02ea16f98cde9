import Foundation
import SeededRandom
import StrictJSON
import TOMLKit

/// A bad sweep file or store, with the message shown to the user (file, line and field where
/// they are known).
public struct SweepError: Error, CustomStringConvertible, Sendable, Equatable {
  public let description: String
  public init(_ description: String) { self.description = description }
}

/// A configuration value: what a TOML key may hold.
public enum ConfigValue: Sendable, Equatable, CustomStringConvertible {
  case int(Int), double(Double), string(String), bool(Bool), list([ConfigValue])

  /// The value as a command-line argument (`list` joined by commas).
  public var description: String {
    switch self {
    case .int(let i): return String(i)
    case .double(let d): return "\(d)"
    case .string(let s): return s
    case .bool(let b): return b ? "true" : "false"
    case .list(let l): return l.map(\.description).joined(separator: ",")
    }
  }

  /// A canonical JSON fragment (for run identities and the store).
  public var json: String {
    switch self {
    case .int(let i): return String(i)
    case .double(let d): return d.isFinite ? "\(d)" : "null"
    case .string(let s): return "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    case .bool(let b): return b ? "true" : "false"
    case .list(let l): return "[" + l.map(\.json).joined(separator: ",") + "]"
    }
  }
}

/// The type a field expects.
public enum FieldType: String, Sendable {
  case integer, number, string, boolean, list
}

/// The fields of a `[game]` table: the game and the options of `logitdyn game learn`.
public enum GameSchema {
  public static let fields: [String: FieldType] = [
    "game": .string, "rule": .string, "tau": .number, "lambda": .number, "lr": .number, "steps": .integer,
    "seed": .integer, "reference_lambda": .number,
  ]
}

/// The fields of a `[run]` table: the options of `logitdyn run` (flags are booleans).
public enum RunSchema {
  public static let fields: [String: FieldType] = [
    "env": .string, "arms": .integer, "means": .list, "noise": .number, "drift": .number, "dim": .integer,
    "reward_model": .string, "contexts": .integer, "policy": .string, "hidden": .list, "activation": .string,
    "rule": .string, "baseline": .string, "baseline_rate": .number, "batch": .integer, "group": .integer,
    "epochs": .integer, "clip": .number, "clip_high": .number, "no_std": .boolean, "optimizer": .string,
    "lr": .number, "schedule": .string, "lr_final": .number, "warmup": .integer, "runs": .integer,
    "steps": .integer, "seed": .integer, "threads": .integer, "no_quantiles": .boolean,
    "adaptive_entropy": .number, "adaptive_entropy_delta": .number, "quiet": .boolean,
  ]

  /// Whether `value` has the type `type` (integers are numbers too).
  static func matches(_ value: ConfigValue, _ type: FieldType) -> Bool {
    switch (type, value) {
    case (.integer, .int), (.number, .int), (.number, .double), (.string, .string), (.boolean, .bool), (.list, .list): return true
    case (.list, .int), (.list, .double): return true  // a single number for a list field
    default: return false
    }
  }
}

/// One run of a sweep: its fully resolved settings and a stable identity.
public struct RunSpec: Sendable, Equatable {
  /// `run` (a lab run) or `game` (learning in a game).
  public let kind: String
  /// Position in the expanded sweep (grid order).
  public let index: Int
  /// Every `[run]` setting after the sweep's values were applied, in key order.
  public let settings: [(String, ConfigValue)]
  /// The loss table (`name` and parameters), if any.
  public let loss: [(String, ConfigValue)]
  /// The swept fields' values of this run.
  public let varied: [(String, ConfigValue)]

  /// Canonical JSON of the resolved configuration.
  public var configJSON: String {
    let run = settings.map { "\"\($0.0)\":\($0.1.json)" }.joined(separator: ",")
    let l = loss.map { "\"\($0.0)\":\($0.1.json)" }.joined(separator: ",")
    return "{\"\(kind)\":{\(run)},\"loss\":{\(l)}}"
  }

  /// A stable 16-hex-digit identity: FNV-1a 64 of the canonical configuration.
  public var id: String {
    String(FNV1a.hash64(configJSON.utf8), radix: 16).leftPadded(to: 16)
  }

  /// The command line of `logitdyn run` (or `logitdyn game learn GAME`) for this run, without
  /// the subcommand.
  public var arguments: [String] {
    var out: [String] = []
    if kind == "game", let game = settings.first(where: { $0.0 == "game" })?.1 { out.append(game.description) }
    for (key, value) in settings where !(kind == "game" && key == "game") {
      let option = "--" + key.replacingOccurrences(of: "_", with: "-")
      if case .bool(let b) = value {
        if b { out.append(option) }
        continue
      }
      out += [option, value.description]
    }
    if let name = loss.first(where: { $0.0 == "name" })?.1 {
      out += ["--loss", name.description]
      for (key, value) in loss where key != "name" { out += ["--set", "\(key)=\(value.description)"] }
    }
    return out
  }

  public static func == (a: RunSpec, b: RunSpec) -> Bool { a.configJSON == b.configJSON && a.index == b.index }
}

extension String {
  func leftPadded(to n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}

/// A sweep file (TOML):
///
/// ```toml
/// [run]                     # the options of `logitdyn run`
/// env = "gaussian-bandit"
/// arms = 10
/// rule = "reinforce-baseline"
/// runs = 256
/// steps = 500
///
/// [loss]                    # optional: a loss and its parameters
/// name = "kl_cov"
/// kl_cov_ratio = 0.2
///
/// [sweep]                   # lists over any [run] field (or loss.FIELD), expanded as a grid
/// lr = [0.01, 0.1]
/// seed = [1, 2, 3]
/// ```
///
/// Unknown tables or fields and values of the wrong type are refused naming the file, the line
/// and the field.
public struct SweepConfig: Sendable {
  public let path: String
  /// `run` or `game`: which table the file has.
  public let kind: String
  public let run: [(String, ConfigValue)]
  public let loss: [(String, ConfigValue)]
  /// Swept fields in file order: `lr`, `seed`, or `loss.kl_cov_ratio`.
  public let sweep: [(String, [ConfigValue])]

  /// Reads and checks `path`.
  public init(path: String) throws(SweepError) {
    let text: String
    do { text = try UntrustedFile.text(path: path, limit: Self.maximumFileBytes) } catch { throw SweepError("\(error)") }
    try self.init(text: text, path: path)
  }

  /// Parses and checks TOML text (`path` for messages).
  public init(text: String, path: String) throws(SweepError) {
    self.path = path
    let table = try TOMLText.parse(text, path: path)
    let lines = text.components(separatedBy: "\n")
    /// The line of `key` in table `section` (1-based), for messages.
    func line(_ key: String, in section: String?) -> Int {
      var current: String? = nil
      for (i, raw) in lines.enumerated() {
        let l = raw.trimmingCharacters(in: .whitespaces)
        if l.hasPrefix("[") {
          current = l.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
          if section == nil, current == key { return i + 1 }
          continue
        }
        guard current == section else { continue }
        for form in [key, "\"\(key)\"", "'\(key)'"] where l.hasPrefix(form) && l.dropFirst(form.count).trimmingCharacters(in: .whitespaces).hasPrefix("=") {
          return i + 1
        }
      }
      return 0
    }
    func value(_ v: any TOMLValueConvertible, key: String, section: String) throws(SweepError) -> ConfigValue {
      switch v.type {
      case .int: return .int(v.int!)
      case .double: return .double(v.double!)
      case .string: return .string(v.string!)
      case .bool: return .bool(v.bool!)
      case .array:
        var items: [ConfigValue] = []
        for element in v.array! { items.append(try value(element, key: key, section: section)) }
        return .list(items)
      default: throw SweepError("\(path):\(line(key, in: section)): field '\(key)' has an unsupported value (dates and tables are not options)")
      }
    }
    for key in table.keys where !["run", "game", "loss", "sweep"].contains(key) {
      throw SweepError("\(path):\(line(key, in: nil)): unknown field or table '\(key)' (expected the tables [run] or [game], [loss], [sweep])")
    }
    let kind = table["game"] != nil ? "game" : "run"
    guard table["run"] == nil || table["game"] == nil else { throw SweepError("\(path): a sweep file has either a [run] or a [game] table, not both") }
    guard let runTable = table[kind]?.table else { throw SweepError("\(path): a sweep file needs a [run] (lab) or [game] table") }
    let schema = kind == "game" ? GameSchema.fields : RunSchema.fields
    var run: [(String, ConfigValue)] = []
    for key in runTable.keys.sorted() {
      guard let type = schema[key] else {
        throw SweepError("\(path):\(line(key, in: kind)): unknown field '\(kind).\(key)' (fields: \(schema.keys.sorted().joined(separator: ", ")))")
      }
      let v = try value(runTable[key]!, key: key, section: kind)
      guard RunSchema.matches(v, type) else {
        throw SweepError("\(path):\(line(key, in: kind)): field '\(kind).\(key)' must be a \(type.rawValue), got \(v.json)")
      }
      run.append((key, v))
    }
    if kind == "game" {
      guard run.contains(where: { $0.0 == "game" }) else { throw SweepError("\(path): the [game] table needs game = \"…\"") }
    }
    var loss: [(String, ConfigValue)] = []
    if let lossTable = table["loss"]?.table {
      guard kind == "run" else { throw SweepError("\(path):\(line("loss", in: nil)): a [loss] table applies to lab runs ([run])") }
      guard lossTable["name"]?.string != nil else { throw SweepError("\(path):\(line("name", in: "loss")): the [loss] table needs name = \"…\"") }
      for key in lossTable.keys.sorted() { loss.append((key, try value(lossTable[key]!, key: key, section: "loss"))) }
    }
    var sweep: [(String, [ConfigValue])] = []
    if let sweepTable = table["sweep"]?.table {
      // File order (the grid's nesting order), from the text.
      let keys = sweepTable.keys.sorted { line($0, in: "sweep") < line($1, in: "sweep") }
      for key in keys {
        let v = try value(sweepTable[key]!, key: key, section: "sweep")
        guard case .list(let options) = v, !options.isEmpty else {
          throw SweepError("\(path):\(line(key, in: "sweep")): field 'sweep.\(key)' must be a non-empty list of values")
        }
        if key.hasPrefix("loss.") {
          guard !loss.isEmpty else { throw SweepError("\(path):\(line(key, in: "sweep")): 'sweep.\(key)' needs a [loss] table") }
        } else {
          guard let type = schema[key] else {
            throw SweepError("\(path):\(line(key, in: "sweep")): unknown field 'sweep.\(key)' (a [\(kind)] field, or loss.FIELD)")
          }
          for o in options where !RunSchema.matches(o, type) {
            throw SweepError("\(path):\(line(key, in: "sweep")): values of 'sweep.\(key)' must be \(type.rawValue)s, got \(o.json)")
          }
        }
        sweep.append((key, options))
      }
    }
    // The grid's size, checked before it is expanded: 100 values in each of 4 fields is
    // 10⁸ runs, which no machine should be asked to list.
    var points = 1
    for (key, options) in sweep {
      let (p, overflow) = points.multipliedReportingOverflow(by: options.count)
      guard !overflow, p <= Self.maximumGridPoints else {
        throw SweepError("\(path):\(line(key, in: "sweep")): the grid has more than \(Self.maximumGridPoints) points (\(sweep.map { "\($0.1.count)" }.joined(separator: " × "))); split it into several files")
      }
      points = p
    }
    self.kind = kind
    self.run = run
    self.loss = loss
    self.sweep = sweep
  }

  /// The largest grid a sweep file may describe: 10⁶ points.
  public static let maximumGridPoints = 1_000_000

  /// The largest sweep file read: 16 MiB.
  public static let maximumFileBytes = 16 << 20

  /// The runs of the grid, the first swept field varying slowest.
  public func expand() -> [RunSpec] {
    var combos: [[(String, ConfigValue)]] = [[]]
    for (key, options) in sweep {
      combos = combos.flatMap { prefix in options.map { prefix + [(key, $0)] } }
    }
    return combos.enumerated().map { index, varied in
      var settings = run, loss = self.loss
      for (key, v) in varied {
        if key.hasPrefix("loss.") {
          let k = String(key.dropFirst(5))
          loss.removeAll { $0.0 == k }
          loss.append((k, v))
        } else {
          settings.removeAll { $0.0 == key }
          settings.append((key, v))
        }
      }
      settings.sort { $0.0 < $1.0 }
      loss.sort { $0.0 < $1.0 }
      return RunSpec(kind: kind, index: index, settings: settings, loss: loss, varied: varied)
    }
  }

  /// The runs of shard `i` of `n` (1-based): those at positions `≡ i − 1 (mod n)` of the grid.
  public static func shard(_ runs: [RunSpec], index i: Int, of n: Int) throws(SweepError) -> [RunSpec] {
    guard n >= 1, i >= 1, i <= n else { throw SweepError("--shard must be I/N with 1 ≤ I ≤ N, got \(i)/\(n)") }
    return runs.filter { $0.index % n == i - 1 }
  }
}
