import Diagnostics
import Configuration
import Foundation
import Games
import PGLab
import PolicyLosses
import SeededRandom
import StrictJSON
import TOMLKit

/// A bad sweep file or store, with the message shown to the user (file, line and field where
/// they are known).
///
/// The package's one message-error type (``Diagnostics/MessageError``) under this module's name.
public typealias SweepError = MessageError

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

  /// What a sweep run is: a lab experiment or learning in a game, typed.
  public enum Job: Sendable {
    /// A lab run (a `[run]` table).
    case lab(LabConfiguration)
    /// Learning in a game (a `[game]` table).
    case game(GameRunConfiguration)
  }

  /// The typed configuration of this run, built through the one schema of
  /// ``LabConfiguration`` or ``GameRunConfiguration`` (its settings were checked against it when
  /// the file was read; a value out of range is named here).
  public func job() throws(SweepError) -> Job {
    do {
      if kind == "game" {
        var c = GameRunConfiguration()
        try c.set(settings)
        return .game(c)
      }
      var c = LabConfiguration()
      try c.set(settings)
      if let name = loss.first(where: { $0.0 == "name" })?.1 {
        var parameters: [String: String] = [:]
        for (key, value) in loss where key != "name" { parameters[key] = value.description }
        try c.setLoss(name: name.description, parameters: parameters)
      }
      return .lab(c)
    } catch {
      throw SweepError("\(error)")
    }
  }

  /// Equal when the canonical configurations and the grid positions are.
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
  /// The file's path (named in messages).
  public let path: String
  /// `run` or `game`: which table the file has.
  public let kind: String
  /// The `[run]` or `[game]` settings before the sweep, in key order.
  public let run: [(String, ConfigValue)]
  /// The `[loss]` table (`name` and parameters) in key order; empty without one.
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
    try self.init(text: text, path: path, flat: false)
  }

  /// `flat`: a lab run whose `[run]` keys are at the top level (`run --config`'s own form).
  init(text: String, path: String, flat: Bool) throws(SweepError) {
    self.path = path
    let table = try TOMLText.parse(text, path: path)
    let lines = text.components(separatedBy: "\n")
    /// The line of `key` in table `section` (1-based), for messages.
    func line(_ key: String, in section: String?) -> Int {
      var current: String? = nil
      for (i, raw) in lines.enumerated() {
        let l = raw.trimmingCharacters(in: .whitespaces)
        if l.hasPrefix("[") {
          // `[name]`, perhaps followed by a comment: the name is what the brackets hold.
          let inside = l.dropFirst().prefix { $0 != "]" }
          current = inside.trimmingCharacters(in: CharacterSet(charactersIn: "[] \"'"))
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
    func value(_ v: any TOMLValueConvertible, key: String, section: String?) throws(SweepError) -> ConfigValue {
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
    let kind: String
    var runTable: [String: any TOMLValueConvertible] = [:]
    /// The table of the run's keys in messages (`nil`: the top level of a flat file).
    let runSection: String?
    if flat {
      kind = "run"
      runSection = nil
      for key in table.keys where key != "loss" {
        if table[key]!.table != nil {
          throw SweepError("\(path):\(line(key, in: nil)): unknown table '\(key)' (a configuration file has option keys and a [loss] table)")
        }
        runTable[key.replacingOccurrences(of: "-", with: "_")] = table[key]!
      }
    } else {
      for key in table.keys where !["run", "game", "loss", "sweep"].contains(key) {
        throw SweepError("\(path):\(line(key, in: nil)): unknown field or table '\(key)' (expected the tables [run] or [game], [loss], [sweep])")
      }
      kind = table["game"] != nil ? "game" : "run"
      runSection = kind
      guard table["run"] == nil || table["game"] == nil else { throw SweepError("\(path): a sweep file has either a [run] or a [game] table, not both") }
      guard let t = table[kind]?.table else { throw SweepError("\(path): a sweep file needs a [run] (lab) or [game] table") }
      for key in t.keys { runTable[key] = t[key]! }
    }
    let schema: [String: FieldType] = kind == "game"
      ? Dictionary(uniqueKeysWithValues: GameRunConfiguration.fields.map { ($0.name, $0.type) })
      : Dictionary(uniqueKeysWithValues: LabConfiguration.fields.map { ($0.name, $0.type) })
    var run: [(String, ConfigValue)] = []
    /// `key`'s name in messages and its line.
    func place(_ key: String) -> (name: String, line: Int) {
      guard flat else { return ("\(kind).\(key)", line(key, in: kind)) }
      let n = line(key, in: nil)
      return (key, n > 0 ? n : line(key.replacingOccurrences(of: "_", with: "-"), in: nil))
    }
    for key in runTable.keys.sorted() {
      guard let type = schema[key] else {
        throw SweepError("\(path):\(place(key).line): unknown field '\(place(key).name)' (fields: \(schema.keys.sorted().joined(separator: ", ")))")
      }
      let v = try value(runTable[key]!, key: key, section: runSection)
      guard v.matches(type) else {
        throw SweepError("\(path):\(place(key).line): field '\(place(key).name)' must be a\(type == .integer ? "n" : "") \(type.rawValue), got \(v.json)")
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
      for key in lossTable.keys.sorted() {
        guard key == "name" || VerlParameters.knownKeys.contains(key) else {
          throw SweepError("\(path):\(line(key, in: "loss")): unknown field 'loss.\(key)' (fields: name, \(VerlParameters.keyList))")
        }
        loss.append((key, try value(lossTable[key]!, key: key, section: "loss")))
      }
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
          guard VerlParameters.knownKeys.contains(String(key.dropFirst(5))) else {
            throw SweepError("\(path):\(line(key, in: "sweep")): unknown field 'sweep.\(key)' (loss parameters: \(VerlParameters.keyList))")
          }
        } else {
          guard let type = schema[key] else {
            throw SweepError("\(path):\(line(key, in: "sweep")): unknown field 'sweep.\(key)' (a [\(kind)] field: \(schema.keys.sorted().joined(separator: ", ")); or loss.FIELD)")
          }
          for o in options where !o.matches(type) {
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
  ///
  /// - Complexity: O(P·F·(S + log F)) for `P` grid points of `S` swept fields over `F` settings.
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
