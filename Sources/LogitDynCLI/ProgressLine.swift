import Foundation

/// A one-line progress display on standard error, shown only when standard error is a
/// terminal (and not with `--quiet`); redrawn at most ten times a second. Safe to call from
/// several threads (one lock).
final class ProgressLine: @unchecked Sendable {
  private let lock = NSLock()
  private var completed = 0
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

  /// How many units ``advance(of:)`` has counted.
  var completedCount: Int {
    lock.lock()
    defer { lock.unlock() }
    return completed
  }

  /// One more unit of `total` done (from any thread); returns how many are done.
  @discardableResult
  func advance(of total: Int) -> Int {
    lock.lock()
    completed += 1
    let done = completed
    lock.unlock()
    update(done, of: total)
    return done
  }

  func update(_ done: Int, of total: Int) {
    guard enabled else { return }
    lock.lock()
    defer { lock.unlock() }
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
    lock.lock()
    defer { lock.unlock() }
    if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
  }
}
