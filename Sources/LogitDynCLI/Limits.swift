import ArgumentParser
import Foundation
import OutputFormats

/// The limits every command applies to what its options and files may ask for, so that a
/// hostile or mistyped input ends in a one-line error instead of an allocation that kills the
/// machine or a computation that never ends.
enum Limits {
  /// Default of `--max-memory`: 8 GiB.
  static let defaultMaxMemory = "8G"
  /// The largest JSON batch file `loss` reads (1 GiB).
  static let maxJSONBytes = 1 << 30
  /// The largest TOML file (config or sweep) read (16 MiB).
  static let maxTOMLBytes = 16 << 20
  /// The largest sweep grid: 10⁶ points.
  static let maxSweepPoints = 1_000_000
  /// Default wall-clock budget of `game` solves (seconds).
  static let defaultGameSeconds = 10.0

  /// `"8G"`, `"512M"`, `"1.5GiB"`, `"2e9"` → bytes (K/M/G/T are powers of 1024; a bare
  /// number is bytes).
  static func parseBytes(_ text: String) -> Double? {
    var t = text.trimmingCharacters(in: .whitespaces).uppercased()
    for suffix in ["IB", "B"] where t.hasSuffix(suffix) && t.count > suffix.count {
      t.removeLast(suffix.count)
      break
    }
    var scale = 1.0
    if let last = t.last, let power = ["K": 1.0, "M": 2, "G": 3, "T": 4][String(last)] {
      scale = Foundation.pow(1024, power)
      t.removeLast()
    }
    guard let v = Double(t), v.isFinite, v > 0 else { return nil }
    return v * scale
  }

  /// `bytes` for messages: "12.3 GiB".
  static func describe(_ bytes: Double) -> String {
    if !bytes.isFinite || bytes >= 0x1p60 { return "more than an exbibyte" }
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"]
    var v = bytes, u = 0
    while v >= 1024 && u < units.count - 1 {
      v /= 1024
      u += 1
    }
    return u == 0 ? "\(Int(v)) bytes" : "\(formatNumber(v, digits: 3)) \(units[u])"
  }
}

/// `--max-memory`, shared by the commands that allocate from their options.
struct MemoryLimitOption: ParsableArguments {
  @Option(
    name: .customLong("max-memory"),
    help: ArgumentHelp(
      "The most memory the command may allocate from its options and files (K, M, G, T: powers of 1024); a larger request is an error before anything is allocated.",
      valueName: "size"))
  var maxMemory: String = Limits.defaultMaxMemory

  /// The limit in bytes.
  func bytes() throws -> Double {
    guard let b = Limits.parseBytes(maxMemory) else {
      throw CLIError("--max-memory must be a size such as 8G, 512M or 2e9 bytes, got '\(maxMemory)'")
    }
    return b
  }

  /// Fails when `estimate` bytes exceed the limit, naming what asked for them.
  func check(_ estimate: Double, _ what: @autoclosure () -> String) throws {
    let limit = try bytes()
    guard estimate <= limit else {
      throw CLIError("\(what()) would need about \(Limits.describe(estimate)), more than --max-memory \(Limits.describe(limit)): make it smaller or raise --max-memory")
    }
  }
}
