import Foundation

/// A one-line progress display on standard error, shown only when standard error is a
/// terminal (and not with `--quiet`); redrawn at most ten times a second.
final class ProgressLine: @unchecked Sendable {
  let enabled: Bool
  let label: String
  let unit: String
  let bytesPerUnit: Int
  let start = Date()
  var lastDraw = Date.distantPast
  var drawn = false

  init(enabled: Bool, label: String, unit: String, bytesPerUnit: Int = 0) {
    self.enabled = enabled && isatty(STDERR_FILENO) == 1
    self.label = label
    self.unit = unit
    self.bytesPerUnit = bytesPerUnit
  }

  func update(_ done: Int, of total: Int) {
    guard enabled else { return }
    let now = Date()
    guard done == total || now.timeIntervalSince(lastDraw) > 0.1 else { return }
    lastDraw = now
    let elapsed = max(now.timeIntervalSince(start), 1e-9)
    var text = "\r\(label): \(done)/\(total) \(unit) (\(total > 0 ? 100 * done / total : 100)%)"
    if bytesPerUnit > 0 {
      text += String(format: "  %.2f GB/s", Double(done * bytesPerUnit) / elapsed / 1e9)
    }
    FileHandle.standardError.write(Data((text + "\u{1B}[K").utf8))
    drawn = true
  }

  func finish() {
    if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
  }
}
