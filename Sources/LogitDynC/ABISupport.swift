// The C ABI's plumbing: status codes, the error message buffer, JSON results, input views.
//
// Nothing thrown or trapped may cross the boundary: every entry point validates its arguments
// before any library call that has a precondition, and turns every thrown error into
// `LD_ERROR_INVALID` with the error's message copied into the caller's buffer.

import Diagnostics
import Glibc
import OutputFormats

/// `LD_OK`: the call succeeded and every output was written.
let statusOK: Int32 = 0
/// `LD_ERROR_INVALID`: bad input or arguments; the message says which; outputs untouched or partial.
let statusInvalid: Int32 = 1

/// An error whose description is the one line the caller sees.
///
/// The package's one message-error type (``Diagnostics/MessageError``) under this module's name.
typealias ABIError = MessageError

/// Copies `message` as UTF-8 into `buffer` (at most `capacity − 1` bytes, cut on a character
/// boundary, NUL-terminated). Nothing is written when `buffer` is NULL or `capacity < 1`.
func writeMessage(_ message: String, to buffer: UnsafeMutablePointer<CChar>?, capacity: Int64) {
  guard let buffer, capacity >= 1 else { return }
  var bytes = Array(message.utf8)
  if bytes.count > Int(capacity) - 1 {
    var cut = Int(capacity) - 1
    while cut > 0 && (bytes[cut] & 0xC0) == 0x80 { cut -= 1 }  // not inside a UTF-8 sequence
    bytes.removeSubrange(cut...)
  }
  for (i, b) in bytes.enumerated() { buffer[i] = CChar(bitPattern: b) }
  buffer[bytes.count] = 0
}

/// Runs `body`, mapping a thrown error to `LD_ERROR_INVALID` and its message in `buffer`.
func guarded(_ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int64, _ body: () throws -> Void) -> Int32 {
  do {
    try body()
    if let buffer, capacity >= 1 { buffer[0] = 0 }
    return statusOK
  } catch {
    writeMessage("\(error)", to: buffer, capacity: capacity)
    return statusInvalid
  }
}

/// Hands `document` to the caller as a `malloc`ed NUL-terminated UTF-8 string (freed with
/// `ld_free`); nothing when `out` is NULL.
func emit(_ document: JSONValue, to out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) throws {
  guard let out else { return }
  let text = document.rendered()
  guard let copy = strdup(text) else { throw ABIError("out of memory for the \(text.utf8.count)-byte result") }
  out.pointee = copy
}

/// `count` doubles at `pointer` as an array (nil when `pointer` is NULL).
func doubles(_ pointer: UnsafePointer<Double>?, _ count: Int) -> [Double]? {
  guard let pointer else { return nil }
  return Array(UnsafeBufferPointer(start: pointer, count: count))
}

/// A required array of `count` doubles named `name`.
func requiredDoubles(_ pointer: UnsafePointer<Double>?, _ count: Int, _ name: String) throws -> [Double] {
  guard let values = doubles(pointer, count) else { throw ABIError("\(name) is required (got NULL)") }
  return values
}

/// `text` (NUL-terminated UTF-8) as a string; nil for NULL.
func string(_ text: UnsafePointer<CChar>?) -> String? {
  guard let text else { return nil }
  return String(cString: text)
}

/// Checks a `[rows × columns]` shape: both ≥ 1 and the product representable.
func checkedShape(_ rows: Int64, _ columns: Int64, _ what: String) throws -> (Int, Int, Int) {
  guard rows >= 1, columns >= 1 else { throw ABIError("\(what) must have at least one row and one column, got \(rows)×\(columns)") }
  let (n, overflow) = rows.multipliedReportingOverflow(by: columns)
  guard !overflow, n <= Int64(Int32.max) * 64 else { throw ABIError("\(what) is too large: \(rows)×\(columns)") }
  return (Int(rows), Int(columns), Int(n))
}

/// Parameters given as `key=value` lines (verl's names), as `logitdyn loss --set` takes them.
func parameterLines(_ text: UnsafePointer<CChar>?) -> [String] {
  guard let s = string(text) else { return [] }
  return s.split(whereSeparator: { $0 == "\n" }).map(String.init).filter { !$0.allSatisfy { $0 == " " || $0 == "\t" } }
}
