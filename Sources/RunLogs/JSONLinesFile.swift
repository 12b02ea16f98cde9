import Diagnostics
import Foundation

/// Reading a JSON-lines file record by record, in bounded memory (4 MiB chunks), with every
/// error naming the file and the line: `path:12: column 40: …`.
public enum JSONLinesFile {
  /// Reads the records of the regular file `path`, calling `body(record, line)` for each
  /// (blank lines are skipped). A last line without its newline that does not parse is a
  /// record still being written: it is skipped and described in the returned notes, not an
  /// error. Any other bad line is an error.
  ///
  /// - Complexity: O(n) for `n` bytes.
  @discardableResult
  public static func read(path: String, _ body: (JSONLineRecord, Int) throws(MessageError) -> Void) throws(MessageError) -> [String] {
    let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else { throw MessageError("\(path): cannot open (\(String(cString: strerror(errno))))") }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { throw MessageError("\(path): not a regular file") }
    let chunk = 4 << 20
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
    defer { buffer.deallocate() }
    // The part of a line that crosses a chunk boundary.
    var pending = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    var pendingCount = 0
    defer { pending.deallocate() }
    func appendPending(_ bytes: UnsafeRawBufferPointer) {
      if pendingCount + bytes.count > pending.count {
        let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: max(2 * pending.count, pendingCount + bytes.count), alignment: 16)
        grown.baseAddress!.copyMemory(from: pending.baseAddress!, byteCount: pendingCount)
        pending.deallocate()
        pending = grown
      }
      (pending.baseAddress! + pendingCount).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
      pendingCount += bytes.count
    }
    var line = 0
    var notes: [String] = []
    func handle(_ bytes: UnsafeRawBufferPointer, last: Bool) throws(MessageError) {
      line += 1
      // Blank lines (and a CR of CRLF) are not records.
      var end = bytes.count
      if end > 0, bytes[end - 1] == 0x0D { end -= 1 }
      var blank = true
      for k in 0..<end where bytes[k] != 0x20 && bytes[k] != 0x09 { blank = false; break }
      if blank { return }
      let record: JSONLineRecord
      do { record = try JSONLineParser.parse(UnsafeRawBufferPointer(rebasing: bytes[0..<end])) } catch {
        if last {
          notes.append("\(path):\(line): the last line is an incomplete record (still being written?); skipped")
          return
        }
        throw MessageError("\(path):\(line): \(error)")
      }
      try body(record, line)
    }
    let raw = UnsafeRawBufferPointer(buffer)
    while true {
      let got = Foundation.read(fd, buffer.baseAddress, chunk)
      guard got >= 0 else { throw MessageError("\(path): read failed after line \(line) (\(String(cString: strerror(errno))))") }
      if got == 0 { break }
      var start = 0
      while start < got, let hit = memchr(raw.baseAddress! + start, 0x0A, got - start) {
        let nl = raw.baseAddress!.distance(to: UnsafeRawPointer(hit))
        if pendingCount == 0 {
          try handle(UnsafeRawBufferPointer(rebasing: raw[start..<nl]), last: false)
        } else {
          appendPending(UnsafeRawBufferPointer(rebasing: raw[start..<nl]))
          try handle(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(pending)[0..<pendingCount]), last: false)
          pendingCount = 0
        }
        start = nl + 1
      }
      if start < got { appendPending(UnsafeRawBufferPointer(rebasing: raw[start..<got])) }
      guard pendingCount <= 1 << 30 else { throw MessageError("\(path):\(line + 1): a line longer than 1 GiB") }
    }
    if pendingCount > 0 {
      try handle(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(pending)[0..<pendingCount]), last: true)
    }
    return notes
  }
}
