import Foundation
import Testing

/// Every hostile input the fuzzing issue lists, through the real binary: a non-zero exit,
/// exactly one line on standard error, nothing created on disk, and bounded resources. The
/// binary runs under `ulimit -v` (4 GiB of address space) and `ulimit -t` (CPU seconds), so
/// an input that allocates or computes without bound is killed and fails the test, however
/// loaded the machine is; a wall-clock watchdog catches hangs (a FIFO never opened for
/// writing).
@Suite struct HostileInputTests {
  struct Outcome {
    var status: Int32
    var stderr: String
    var seconds: Double
  }

  /// How much slower a sanitizer build runs: CPU limits and time bounds scale by it.
  static let slowdown = CLITests.sanitized ? 4.0 : 1.0

  static let root: String = {
    let d = NSTemporaryDirectory() + "logitdyn-hostile-\(getpid())"
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
  }()

  /// A fresh, empty working directory for one case.
  static func workdir(_ name: String) -> String {
    let d = root + "/" + name
    try? FileManager.default.removeItem(atPath: d)
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
  }

  /// Input files live outside the working directory, so "nothing created" is "still empty".
  static func input(_ name: String, _ data: Data) -> String {
    let p = root + "/inputs/" + name
    try? FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    _ = FileManager.default.createFile(atPath: p, contents: data)
    return p
  }

  static func input(_ name: String, _ text: String) -> String { input(name, Data(text.utf8)) }

  /// Runs `logitdyn arguments` in `cwd` under the resource limits.
  static func run(_ arguments: [String], cwd: String, cpuSeconds: Int = 2, watchdog: Double = 20) throws -> Outcome {
    let watchdog = watchdog * slowdown
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    // AddressSanitizer reserves terabytes of shadow address space, so an ASan build runs
    // without `ulimit -v`; the memory bound is checked by the plain test run.
    let limits = (CLITests.addressSanitized ? "" : "ulimit -v 4194304; ") + "ulimit -t \(Int(Double(cpuSeconds) * slowdown))"
    process.arguments = ["-c", limits + "; exec \"$0\" \"$@\"", CLITests.binary.path] + arguments
    process.currentDirectoryURL = URL(fileURLWithPath: cwd)
    process.environment = CLITests.childEnvironment
    let err = Pipe()
    process.standardOutput = FileHandle.nullDevice
    process.standardError = err
    let start = Date()
    try process.run()
    let drain = CLITests.PipeDrain(err)
    let deadline = start.addingTimeInterval(watchdog)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    if process.isRunning {
      process.terminate()
      process.waitUntilExit()
      return Outcome(status: -1, stderr: "(hung: killed after \(watchdog) s)", seconds: watchdog)
    }
    let seconds = Date().timeIntervalSince(start)
    let data = drain.wait()
    return Outcome(status: process.terminationStatus, stderr: String(decoding: data, as: UTF8.self), seconds: seconds)
  }

  /// The case must fail cleanly: exit ≠ 0 and not killed by a signal (ulimit kills show as
  /// 128 + n from the shell's exec: SIGXCPU 152, SIGKILL 137, SIGABRT 134, SIGSEGV 139; an
  /// uncaught Swift trap is SIGILL 132 or SIGTRAP 133), one line on stderr naming
  /// `fragment`, an empty working directory.
  static func expectClean(_ name: String, _ arguments: [String], _ fragment: String, cpuSeconds: Int = 2, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let cwd = workdir(name)
    let o = try run(arguments, cwd: cwd, cpuSeconds: cpuSeconds)
    #expect(o.status != 0, "\(name): exit 0", sourceLocation: sourceLocation)
    #expect(o.status < 128, "\(name): killed or crashed (status \(o.status)): \(o.stderr)", sourceLocation: sourceLocation)
    let lines = o.stderr.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
    #expect(lines.count == 2 && lines[1].isEmpty, "\(name): stderr is not one line: \(o.stderr.debugDescription)", sourceLocation: sourceLocation)
    #expect(o.stderr.hasPrefix("logitdyn: error: "), "\(name): \(o.stderr)", sourceLocation: sourceLocation)
    #expect(o.stderr.contains(fragment), "\(name): '\(fragment)' not in \(o.stderr)", sourceLocation: sourceLocation)
    let left = (try? FileManager.default.contentsOfDirectory(atPath: cwd)) ?? []
    #expect(left.isEmpty, "\(name): left behind \(left)", sourceLocation: sourceLocation)
  }

  // MARK: - Files

  static func npy(descr: String, shape: String, data: Data, headerOverride: String? = nil) -> Data {
    var header = headerOverride ?? "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var out = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
    let n = header.utf8.count
    out.append(contentsOf: [UInt8(n & 0xFF), UInt8(n >> 8)])
    out.append(Data(header.utf8))
    out.append(data)
    return out
  }

  static func bytes<T>(_ values: [T]) -> Data { values.withUnsafeBytes { Data($0) } }

  static func safetensors(_ header: String, _ data: Data) -> Data {
    var out = Data()
    withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { out.append(contentsOf: $0) }
    out.append(Data(header.utf8))
    out.append(data)
    return out
  }

  static let logits = input("logits.npy", npy(descr: "<f4", shape: "(2, 4)", data: bytes([Float](repeating: 0.5, count: 8))))

  @Test func tokenIdsBeyondInt64DoNotCrashTheMessage() throws {
    let big = Self.input("big/tokens.npy", Self.npy(descr: "<i8", shape: "(2,)", data: Self.bytes([Int64.max, 1])))
    try Self.expectClean("tokens-big", ["analyze", Self.logits, big, "-q"], "outside the vocabulary")
    let negative = Self.input("negative/tokens.npy", Self.npy(descr: "<f8", shape: "(2,)", data: Self.bytes([-1e20, 1])))
    try Self.expectClean("tokens-neg", ["analyze", Self.logits, negative, "-q"], "outside the vocabulary")
    let st = Self.input("batch.safetensors", Self.safetensors(
      #"{"logits": {"dtype": "F32", "shape": [2, 4], "data_offsets": [0, 32]}, "tokens": {"dtype": "F64", "shape": [2], "data_offsets": [32, 48]}}"#,
      Self.bytes([Float](repeating: 0, count: 8)) + Self.bytes([9.3e18, 1.0])))
    try Self.expectClean("tokens-st", ["analyze", st, "-q", "--out", "report"], "outside the vocabulary")
  }

  @Test func npyHeadersThatUsedToCrashOrLie() throws {
    let deep = Self.input("deep.npy", Self.npy(descr: "", shape: "", data: Data(), headerOverride: "{'descr': '<f4', 'fortran_order': False, 'shape': " + String(repeating: "(", count: 9000)))
    try Self.expectClean("npy-deep", ["analyze", deep, "-q"], "malformed .npy header")
    let bang = Self.input("bang.npy", Self.npy(descr: "!f4", shape: "(2, 4)", data: Data(count: 32)))
    try Self.expectClean("npy-bang", ["analyze", bang, "-q", "--out", "report"], "big-endian")
    let crlf = Self.input("crlf.npy", Self.npy(descr: "", shape: "", data: Data(count: 32), headerOverride: "{'descr': '<f4',\r\n'fortran_order': Nope, 'shape': (2, 4), }"))
    try Self.expectClean("npy-crlf", ["analyze", crlf, "-q"], "fortran_order is not a bool")
  }

  @Test func safetensorsThatUsedToLie() throws {
    let wrap = Self.input("wrap.safetensors", Self.safetensors(#"{"logits": {"dtype": "F32", "shape": [18446744073709551618, 4], "data_offsets": [0, 32]}}"#, Data(count: 32)))
    try Self.expectClean("st-wrap", ["analyze", wrap, "-q"], "not an unsigned 64-bit integer")
    let trailing = Self.input("trailing.safetensors", Self.safetensors(#"{"logits": {"dtype": "F32", "shape": [2, 4], "data_offsets": [0, 32]}}"#, Data(count: 40)))
    try Self.expectClean("st-trailing", ["analyze", trailing, "-q"], "bytes after the last tensor")
  }

  @Test func fifosAreRefusedNotWaitedOn() throws {
    let fifo = Self.root + "/inputs/batch.fifo.npy"
    try? FileManager.default.createDirectory(atPath: Self.root + "/inputs", withIntermediateDirectories: true)
    unlink(fifo)
    #expect(mkfifo(fifo, 0o600) == 0)
    try Self.expectClean("fifo-analyze", ["analyze", fifo, "-q"], "not a regular file")
    let jsonFifo = Self.root + "/inputs/batch.fifo.json"
    unlink(jsonFifo)
    #expect(mkfifo(jsonFifo, 0o600) == 0)
    try Self.expectClean("fifo-loss", ["loss", jsonFifo], "not a regular file")
  }

  @Test func analyzeOutIsNotCreatedBeforeAFailure() throws {
    let bad = Self.input("bad/tokens.npy", Self.npy(descr: "<i8", shape: "(2,)", data: Self.bytes([Int64(99), 1])))
    try Self.expectClean("analyze-out", ["analyze", Self.logits, bad, "--out", "newdir/report", "-q"], "outside the vocabulary")
  }

  // MARK: - Games

  @Test func nfgFilesDeclaringHugeGames() throws {
    for (k, counts) in ["4294967296 2", "4611686018427387904 2", "10000 10000", "9223372036854775807 9223372036854775807"].enumerated() {
      let file = Self.input("huge\(k).nfg", "NFG 1 R \"huge\" { \"1\" \"2\" } { \(counts) }\n1 2 3 4\n")
      try Self.expectClean("nfg-\(k)", ["game", "nash", file], "pure profiles")
    }
  }

  @Test func jsonGamesAreStrict() throws {
    let booleans = Self.input("bool.json", #"{"payoffs": {"player1": [[true, 0], [0, 1]], "player2": [[1, 0], [0, 1]]}}"#)
    try Self.expectClean("game-bool", ["game", "nash", booleans], "payoffs.player1[0][0] is true")
    let huge = Self.input("huge.json", #"{"payoffs": {"player1": [[1e400, 0], [0, 1]], "player2": [[1, 0], [0, 1]]}}"#)
    try Self.expectClean("game-huge", ["game", "nash", huge], "not a finite number")
  }

  @Test func gameSolversAreBoundedInTime() throws {
    // 1×200: exact at once (the column player's best responses), no trace.
    var row = (0..<200).map { _ in "0" }
    row[117] = "1"
    let wide = Self.input("wide.json", "{\"payoffs\": {\"player1\": [[\(row.joined(separator: ","))]], \"player2\": [[\(row.joined(separator: ","))]]}}")
    let cwd = Self.workdir("nash-wide")
    let o = try Self.run(["game", "nash", wide, "--json"], cwd: cwd)
    #expect(o.status == 0 && o.seconds < 2 * Self.slowdown, "\(o.stderr) \(o.seconds) s")
    // A random 30×30 game: within the time budget, exact or marked approximate.
    let r = try Self.run(["game", "nash", "random-30x30-seed3", "--time-limit", "0.5"], cwd: cwd, cpuSeconds: 3)
    #expect(r.status == 0 && r.seconds < 2.5 * Self.slowdown, "\(r.stderr) \(r.seconds) s")
    // A 200×200 QRE at λ = 50: exact answer or an error naming the λ reached, within the budget.
    let q = try Self.run(["game", "qre", "random-200x200", "--lambda", "50", "--time-limit", "0.5"], cwd: cwd, cpuSeconds: 5)
    // The budget is checked between arc-length steps; one step of a 400-unknown system is a
    // few dense factorisations (slow in a debug build).
    #expect(q.seconds < 5 * Self.slowdown, "\(q.seconds) s")
    if q.status != 0 { #expect(q.stderr.contains("time budget of 0.5 s spent: the trace reached λ = ")) }
    try Self.expectClean("qre-too-big", ["game", "qre", "random-300x300", "--lambda", "5"], "at most 400 strategies")
  }

  // MARK: - Options and sizes

  @Test func runOptionsNearIntMax() throws {
    let cases: [([String], String)] = [
      (["run", "--arms", "9223372036854775807", "--runs", "4"], "max-memory"),
      (["run", "--runs", "9223372036854775807"], "max-memory"),
      (["run", "--runs", "1000000000", "--out", "r"], "max-memory"),
      (["run", "--env", "contextual-bandit", "--dim", "4294967296", "--policy", "linear", "--runs", "4"], "max-memory"),
      (["run", "--env", "contextual-bandit", "--policy", "mlp", "--hidden", "4294967296", "--runs", "4"], "--hidden: widths"),
      (["run", "--env", "contextual-bandit", "--policy", "mlp", "--hidden", "500000,500000", "--runs", "4"], "max-memory"),
      (["run", "--batch", "9223372036854775807", "--policy", "linear"], "max-memory"),
      (["run", "--runs", "64", "--max-memory", "1k"], "max-memory"),
      (["run", "--max-memory", "lots"], "--max-memory must be a size"),
    ]
    for (k, (arguments, fragment)) in cases.enumerated() { try Self.expectClean("run-\(k)", arguments, fragment) }
  }

  @Test func sweepGridsAreBounded() throws {
    let file = Self.input("grid.toml", """
      [run]
      env = "gaussian-bandit"
      [sweep]
      lr = [\((1...100).map { "0.\($0)" }.joined(separator: ", "))]
      seed = [\((1...100).map(String.init).joined(separator: ", "))]
      arms = [\((2...101).map(String.init).joined(separator: ", "))]
      steps = [\((1...100).map(String.init).joined(separator: ", "))]
      """)
    try Self.expectClean("sweep-grid", ["sweep", "plan", file], "more than 1000000 points")
  }

  @Test func jsonLossBatchesAreStrict() throws {
    func batch(_ mask: String, _ logProb: String) -> String {
      #"{"response_mask": [\#(mask)], "old_log_prob": [[-1.0, -1.0]], "advantages": [[1.0, -1.0]], "log_prob": [\#(logProb)]}"#
    }
    let boolMask = Self.input("bool-mask.json", batch("[true, false]", "[-1.0, -1.0]"))
    try Self.expectClean("loss-bool", ["loss", boolMask], "response_mask[0][0] is true")
    let positive = Self.input("positive.json", batch("[1, 1]", "[5, -1.0]"))
    try Self.expectClean("loss-positive", ["loss", positive, "--out", "loss.json"], "log-probabilities are ≤ 0")
    let huge = Self.input("huge.json", batch("[1, 1]", "[1e308, -1.0]"))
    try Self.expectClean("loss-huge", ["loss", huge], "log-probabilities are ≤ 0")
    let overflow = Self.input("overflow.json", batch("[1, 1]", "[-1e400, -1.0]"))
    try Self.expectClean("loss-overflow", ["loss", overflow], "beyond the range of a double")
    let deep = Self.input("deep.json", String(repeating: "[", count: 100_000))
    try Self.expectClean("loss-deep", ["loss", deep], "nesting deeper than")
  }
  /// toml++ (inside TOMLKit) aborts on an assertion for these; they must be TOML errors.
  @Test func tomlThatUsedToAbortTheParser() throws {
    let texts = ["[,]", "[=]", "[.]", "[{", "[[.]]", "a = [}", "a = [1,}", "a = {b = [}", "a = [\n}", "a = [ # c\n}",
                 "a = [ 1, [ }, ]", "[run]\narms = [[}]]", "[sweep]\nlr = ['x', }", "[\rrms = 4"]
    for (k, text) in texts.enumerated() {
      let file = Self.input("bad-\(k).toml", text)
      try Self.expectClean("toml-sweep-\(k)", ["sweep", "plan", file], "bad-\(k).toml:")
      try Self.expectClean("toml-run-\(k)", ["run", "--config", file, "--out", "out"], "bad-\(k).toml:")
    }
  }
}
