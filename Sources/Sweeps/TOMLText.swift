import StrictJSON
import TOMLKit

/// TOML text handed to TOMLKit only after a check for the inputs on which its C++ parser
/// (toml++ 3.x, as vendored by TOMLKit 0.6) aborts the process instead of reporting an error.
///
/// toml++ guards two parser entry points with `TOML_ASSERT_ASSUME`, which TOMLKit builds as
/// `assert` (SwiftPM does not define `NDEBUG` for C++ targets, in debug or release):
/// - `parse_key` asserts that the key starts with a bare-key character `[A-Za-z0-9_-]` or a
///   quote. Its callers check this for key-value pairs, but the table-header path does not:
///   `[,]`, `[=]`, `[.]`, `[{`, `[[.]]` abort.
/// - `parse_value` asserts that the value does not start with a value terminator. The array
///   parser checks for `]` and `,` after `[` or `,` (skipping whitespace, newlines and
///   comments) but not for `}`: `a = [}`, `a = [1,}`, `a = {b = [}` abort.
///
/// - the date-time scanner: after a date `dddd-dd-dd` and a space, toml++ reads one digit and
///   asserts that the value goes on (`m = 1655-01-01 1` followed by a tab or the end aborts).
///
/// Turning the assertions off (`NDEBUG`) would make them `__builtin_assume`: undefined
/// behaviour, not errors. A newer TOMLKit would not help while it vendors the same parser
/// entry points, so we check the two conditions ourselves with a small scanner that knows
/// strings, comments, arrays and inline tables, and report them as TOML errors with the
/// line and column. Everything else goes to TOMLKit, whose errors are kept.
public enum TOMLText {
  /// Where and why a text is not TOML.
  public struct Problem: Error, Sendable, Equatable {
    /// 1-based line and column.
    public let line: Int, column: Int
    /// What is wrong.
    public let message: String
  }

  /// The table of `text`, or an error `"path:line:column: message"` (one line).
  public static func parse(_ text: String, path: String) throws(SweepError) -> TOMLTable {
    if let p = precheck(text) { throw SweepError("\(path):\(p.line):\(p.column): \(p.message)") }
    do { return try TOMLTable(string: text) } catch let error as TOMLParseError {
      throw SweepError("\(path):\(error.source.begin.line):\(error.source.begin.column): \(JSONNode.printable(error.description, limit: 200))")
    } catch {
      throw SweepError("\(path): not valid TOML")
    }
  }

  /// The first place where toml++ would abort, or nil when the text may be handed to it.
  public static func precheck(_ text: String) -> Problem? {
    let s = Array(text.utf8)
    // toml++ skips a leading UTF-8 byte-order mark.
    var i = s.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    var line = 1, lineStart = i
    enum Container { case array, inlineTable }
    var stack: [Container] = []
    var atStatementStart = true  // root level, nothing but whitespace so far on this line
    func problem(_ message: String) -> Problem { Problem(line: line, column: i - lineStart + 1, message: message) }
    func isBareKey(_ c: UInt8) -> Bool {
      (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2D
    }
    func newline() {
      line += 1
      lineStart = i + 1
    }
    /// Skips what toml++ skips between array values: spaces, tabs, newlines, comments (and
    /// carriage returns, after which toml++ reports an error of its own if no newline follows).
    func skipArrayBlanks() {
      while i < s.count {
        let c = s[i]
        if c == 0x20 || c == 0x09 || c == 0x0D { i += 1; continue }
        if c == 0x0A { newline(); i += 1; continue }
        if c == 0x23 {  // a comment up to the end of the line
          while i < s.count && s[i] != 0x0A { i += 1 }
          continue
        }
        return
      }
    }
    /// Skips a string starting at `i` (basic, literal, or their multi-line forms).
    func skipString() {
      let quote = s[i]
      let multi = i + 2 < s.count && s[i + 1] == quote && s[i + 2] == quote
      i += multi ? 3 : 1
      while i < s.count {
        let c = s[i]
        if c == 0x5C && quote == 0x22 {  // an escape in a basic string (or a line-ending backslash)
          if i + 1 < s.count && s[i + 1] == 0x0A {
            i += 1
            newline()
          }
          i += i < s.count && s[i] == 0x0A ? 1 : 2
          continue
        }
        if c == 0x0A {
          if !multi { return }  // an unterminated one-line string: TOMLKit reports it
          newline()
        }
        if c == quote {
          if !multi { i += 1; return }
          if i + 2 < s.count && s[i + 1] == quote && s[i + 2] == quote {
            i += 3
            while i < s.count && s[i] == quote { i += 1 }  // up to two quotes may end the content
            return
          }
        }
        i += 1
      }
    }
    /// After `[` or `,` in an array: the next value must not start with `}`.
    func checkArrayValue() -> Problem? {
      skipArrayBlanks()
      if i < s.count && s[i] == 0x7D { return problem("expected a value or ']' in an array, found '}'") }
      return nil
    }
    func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    /// A value `dddd-dd-dd d` followed by anything but a digit (or by the end): toml++ reads
    /// the space as a date-time separator and asserts that a second digit follows. No valid
    /// TOML holds it outside strings and comments (a time has two-digit hours).
    func checkDateSpaceDigit() -> Problem? {
      guard isDigit(s[i]), i + 11 < s.count else { return nil }
      if i > 0 {
        let b = s[i - 1]
        if isBareKey(b) || b == 0x2E || b == 0x3A || b == 0x2B { return nil }  // inside a longer token
      }
      for k in 0..<10 where !(isDigit(s[i + k]) || s[i + k] == 0x2D) { return nil }
      guard s[i + 4] == 0x2D, s[i + 7] == 0x2D, s[i + 10] == 0x20, isDigit(s[i + 11]) else { return nil }
      if i + 12 < s.count && isDigit(s[i + 12]) { return nil }
      return problem("a date followed by a space and one digit is neither a date nor a date-time (hours have two digits)")
    }
    while i < s.count {
      let c = s[i]
      switch c {
      case 0x0A:
        newline()
        i += 1
        if stack.isEmpty { atStatementStart = true }
        continue
      case 0x20, 0x09, 0x0D:
        i += 1
        continue
      case 0x23:
        while i < s.count && s[i] != 0x0A { i += 1 }
        continue
      case 0x22, 0x27:
        atStatementStart = false
        skipString()
        continue
      case 0x5B:  // [
        if stack.isEmpty && atStatementStart {
          // A table header: [key] or [[key]].
          // toml++ skips spaces and tabs only (a lone carriage return is not whitespace).
          i += 1
          while i < s.count && (s[i] == 0x20 || s[i] == 0x09) { i += 1 }
          if i < s.count && s[i] == 0x5B {
            i += 1
            while i < s.count && (s[i] == 0x20 || s[i] == 0x09) { i += 1 }
          }
          guard i < s.count, isBareKey(s[i]) || s[i] == 0x22 || s[i] == 0x27 else {
            let found = i < s.count ? (s[i] >= 0x21 && s[i] < 0x7F ? "'\(Character(Unicode.Scalar(s[i])))'" : "byte 0x\(String(s[i], radix: 16))") : "the end of the file"
            return problem("a table header needs a key (a bare key [A-Za-z0-9_-] or a quoted one), found \(found)")
          }
          atStatementStart = false
          continue
        }
        stack.append(.array)
        i += 1
        if let p = checkArrayValue() { return p }
        continue
      case 0x7B:  // {
        atStatementStart = false
        stack.append(.inlineTable)
        i += 1
        continue
      case 0x5D, 0x7D:  // ] }
        if !stack.isEmpty { stack.removeLast() }
        i += 1
        continue
      case 0x2C:  // ,
        i += 1
        if stack.last == .array, let p = checkArrayValue() { return p }
        continue
      default:
        if let p = checkDateSpaceDigit() { return p }
        atStatementStart = false
        i += 1
      }
    }
    return nil
  }
}
