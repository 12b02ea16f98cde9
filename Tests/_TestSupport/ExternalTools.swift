import Foundation

/// The tools outside Swift that some tests need (python3 with numpy, safetensors or
/// tensorboard; Chromium). A missing tool skips its test with a note on a developer's machine;
/// with `CI=true` it is a failure (`.ci/run` installs what the tests need).
public enum ExternalTools {
  /// Whether this run is CI's (`CI=true`): a missing tool is then a failure, not a skip.
  public static let inCI = ProcessInfo.processInfo.environment["CI"] == "true"

  /// Runs `python3 -c script arguments…`; returns its exit status and its standard output
  /// (and standard error when `mergeErrors`). Status 127 when python3 cannot be started.
  public static func python(_ script: String, arguments: [String] = [], mergeErrors: Bool = true) -> (status: Int32, output: String) {
    run("/usr/bin/env", ["python3", "-c", script] + arguments, mergeErrors: mergeErrors)
  }

  /// Runs `executable arguments…`; returns its exit status and output (127 if it cannot start).
  public static func run(_ executable: String, _ arguments: [String], mergeErrors: Bool = true) -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    let out = Pipe()
    p.standardOutput = out
    p.standardError = mergeErrors ? out : FileHandle.nullDevice
    do { try p.run() } catch { return (127, "\(error)") }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
  }

  /// Whether python3 can import every module of `modules` (`["numpy", "safetensors"]`).
  public static func hasPython(_ modules: [String]) -> Bool {
    python("import " + modules.joined(separator: ", ")).status == 0
  }

  /// Whether a test that needs python3 with `modules` runs: when they import, and always under
  /// `CI=true` (where their absence fails the test). For `@Test(.enabled(if:))`.
  public static func runs(python modules: [String]) -> Bool { inCI || hasPython(modules) }
}

/// A fresh directory for one test's files: `…/logitdyn-<name>-<pid>`, emptied first.
public func temporaryDirectory(_ name: String) throws -> String {
  let path = FileManager.default.temporaryDirectory.appendingPathComponent("logitdyn-\(name)-\(getpid())").path
  try? FileManager.default.removeItem(atPath: path)
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

/// `|a − b| ≤ tolerance · max(1, |b|)`: relative closeness to a reference `b`, absolute near 0.
public func isClose(_ a: Double, _ b: Double, _ tolerance: Double) -> Bool {
  abs(a - b) <= tolerance * max(1, abs(b))
}
