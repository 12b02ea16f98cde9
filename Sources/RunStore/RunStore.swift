import Diagnostics
import Foundation
import GRDB

/// A finished run as stored.
public struct StoredRun: Sendable, Equatable {
  /// The run's identity (a sweep run's `RunSpec.id`: 16 hex digits hashing its configuration).
  public var id: String
  /// Name of the sweep file it came from.
  public var sweep: String
  /// Position in the sweep's grid.
  public var gridIndex: Int
  /// Canonical JSON of the resolved configuration.
  public var config: String
  /// JSON object of the swept fields' values.
  public var varied: String
  /// `done` or `failed`.
  public var status: String
  /// Wall-clock start and end (seconds since 1970) and duration.
  public var started: Double, finished: Double, seconds: Double
  /// Version of the code that ran it.
  public var codeVersion: String
  /// JSON summary metrics (or the failure message).
  public var summary: String
  /// The per-step series (CSV).
  public var series: String

  /// A stored run from its fields.
  public init(id: String, sweep: String, gridIndex: Int, config: String, varied: String, status: String, started: Double, finished: Double,
              seconds: Double, codeVersion: String, summary: String, series: String) {
    self.id = id
    self.sweep = sweep
    self.gridIndex = gridIndex
    self.config = config
    self.varied = varied
    self.status = status
    self.started = started
    self.finished = finished
    self.seconds = seconds
    self.codeVersion = codeVersion
    self.summary = summary
    self.series = series
  }
}

/// A store error, with the message shown to the user.
///
/// The package's one message-error type (``Diagnostics/MessageError``) under this module's name.
public typealias StoreError = MessageError

/// The run store: an SQLite database (through GRDB) holding each finished run's resolved
/// configuration, status, timings, code version, summary and series. Each run is written in
/// one transaction when it finishes, so a killed process loses at most the runs in flight and
/// never corrupts a finished one (SQLite's journal). A store written by another schema version
/// is refused, not overwritten.
public final class RunStore: @unchecked Sendable {
  /// The schema this code reads and writes.
  public static let schemaVersion = 1
  let queue: DatabaseQueue
  /// The database file.
  public let path: String

  /// Opens (or, with `create`, creates) the store at `path`.
  public init(path: String, create: Bool = true) throws(StoreError) {
    self.path = path
    let exists = FileManager.default.fileExists(atPath: path)
    guard exists || create else { throw StoreError("no store at \(path)") }
    do {
      var configuration = Configuration()
      configuration.busyMode = .timeout(10)
      queue = try DatabaseQueue(path: path, configuration: configuration)
      try queue.write { db in
        let hasMeta = try db.tableExists("meta")
        let hasRuns = try db.tableExists("runs")
        if !hasMeta {
          guard !hasRuns, try String.fetchOne(db, sql: "SELECT name FROM sqlite_master LIMIT 1") == nil else {
            throw StoreError("\(path) is an SQLite database but not a logitdyn run store: refused, not modified")
          }
          try db.execute(sql: "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
          try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('schema_version', ?), ('application', 'logitdyn')", arguments: [String(Self.schemaVersion)])
          try db.execute(sql: """
            CREATE TABLE runs (
              id TEXT PRIMARY KEY, sweep TEXT NOT NULL, grid_index INTEGER NOT NULL, config TEXT NOT NULL, varied TEXT NOT NULL,
              status TEXT NOT NULL, started REAL NOT NULL, finished REAL NOT NULL, seconds REAL NOT NULL,
              code_version TEXT NOT NULL, summary TEXT NOT NULL, series TEXT NOT NULL)
            """)
        } else {
          let version = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'schema_version'")
          guard version == String(Self.schemaVersion) else {
            throw StoreError("\(path) is a run store of schema version \(version ?? "unknown"); this logitdyn reads version \(Self.schemaVersion): refused, not modified")
          }
        }
      }
    } catch let error as StoreError {
      throw error
    } catch {
      throw StoreError("cannot open the store \(path): \(error)")
    }
  }

  /// Adds (or replaces) a finished run, in one transaction.
  ///
  /// - Complexity: O(S + log R) for a run of `S` bytes in a store of `R` runs (one insert keyed by id).
  public func save(_ run: StoredRun) throws(StoreError) {
    do {
      try queue.write { db in
        try db.execute(
          sql: """
            INSERT OR REPLACE INTO runs (id, sweep, grid_index, config, varied, status, started, finished, seconds, code_version, summary, series)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
          arguments: [run.id, run.sweep, run.gridIndex, run.config, run.varied, run.status, run.started, run.finished, run.seconds,
                      run.codeVersion, run.summary, run.series])
      }
    } catch {
      throw StoreError("cannot write to the store \(path): \(error)")
    }
  }

  /// The ids of the finished (`done`) runs.
  ///
  /// - Complexity: O(R) for `R` stored runs (a scan: `status` has no index).
  public func finishedIDs() throws(StoreError) -> Set<String> {
    do { return Set(try queue.read { db in try String.fetchAll(db, sql: "SELECT id FROM runs WHERE status = 'done'") }) } catch {
      throw StoreError("cannot read the store \(path): \(error)")
    }
  }

  /// All runs, by sweep and grid position.
  ///
  /// - Complexity: O(R log R + S) for `R` runs of `S` bytes in all (a sort: `sweep, grid_index` has no
  ///   index); every series is read into memory.
  public func runs() throws(StoreError) -> [StoredRun] {
    do {
      return try queue.read { db in
        try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY sweep, grid_index, id").map { row in
          StoredRun(id: row["id"], sweep: row["sweep"], gridIndex: row["grid_index"], config: row["config"], varied: row["varied"],
                    status: row["status"], started: row["started"], finished: row["finished"], seconds: row["seconds"],
                    codeVersion: row["code_version"], summary: row["summary"], series: row["series"])
        }
      }
    } catch {
      throw StoreError("cannot read the store \(path): \(error)")
    }
  }

  /// Copies the runs of `other` into this store; a run present in both must have the same
  /// configuration (else the merge is refused, naming it). Returns the number of runs copied.
  ///
  /// - Complexity: O(R log R + S + R′ log R′ + S′) for `R` runs of `S` bytes here and `R′` of `S′`
  ///   bytes in `other` (both read whole by ``runs()``), one transaction per copied run.
  public func merge(from other: RunStore) throws(StoreError) -> Int {
    let mine = Dictionary(uniqueKeysWithValues: try runs().map { ($0.id, $0) })
    var added = 0
    for run in try other.runs() {
      if let existing = mine[run.id] {
        guard existing.config == run.config else { throw StoreError("run \(run.id) has different configurations in \(path) and \(other.path)") }
        if existing.status == "done" { continue }
      }
      try save(run)
      added += 1
    }
    return added
  }
}
