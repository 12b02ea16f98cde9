import Foundation
import GRDB
import RunStore
import Testing
import _TestSupport

@Suite struct RunStoreTests {
  /// A store path in a fresh directory of this test run.
  static func temporary(_ name: String) -> String {
    (try? temporaryDirectory("store-\(name)")).map { $0 + "/\(name).sqlite" } ?? "/nonexistent/\(name).sqlite"
  }

  static func run(_ id: String, config: String = "{}") -> StoredRun {
    StoredRun(id: id, sweep: "s", gridIndex: 0, config: config, varied: "{}", status: "done", started: 1, finished: 2, seconds: 1,
              codeVersion: "0.1.0", summary: "{\"x\":1}", series: "step\n0\n")
  }

  @Test func saveMergeAndRefuse() throws {
    let a = Self.temporary("a"), b = Self.temporary("b")
    let sa = try RunStore(path: a), sb = try RunStore(path: b)
    try sa.save(Self.run("r1"))
    try sb.save(Self.run("r2"))
    try sb.save(Self.run("r1"))
    #expect(try sa.merge(from: sb) == 1)
    #expect(try sa.runs().map(\.id) == ["r1", "r2"] && sa.finishedIDs() == ["r1", "r2"])
    // Reopening keeps everything.
    #expect(try RunStore(path: a, create: false).runs().count == 2)
    // Same id, different configuration: the merge is refused.
    let c = Self.temporary("c")
    try RunStore(path: c).save(Self.run("r1", config: "{\"lr\":1}"))
    #expect(throws: StoreError.self) { try sa.merge(from: try RunStore(path: c)) }
  }

  @Test func otherVersionsAndOtherDatabasesAreRefusedNotOverwritten() throws {
    let v = Self.temporary("v")
    _ = try RunStore(path: v)
    try DatabaseQueue(path: v).write { db in try db.execute(sql: "UPDATE meta SET value = '99' WHERE key = 'schema_version'") }
    do {
      _ = try RunStore(path: v)
      Issue.record("a version-99 store was opened")
    } catch {
      #expect(error.description.contains("schema version 99") && error.description.contains("refused, not modified"))
    }
    #expect(try DatabaseQueue(path: v).read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'schema_version'") } == "99")
    let other = Self.temporary("other")
    try DatabaseQueue(path: other).write { db in try db.execute(sql: "CREATE TABLE t (x INTEGER)") }
    #expect(throws: StoreError.self) { try RunStore(path: other) }
    #expect(throws: StoreError.self) { try RunStore(path: Self.temporary("missing"), create: false) }
  }
}

/// The check in front of TOMLKit: the inputs on which toml++ would abort are errors with a
/// place, and valid TOML that looks like them still parses.
