import Foundation

/// One value of a JSON-lines record, decoded for the run-log readers: numbers and arrays of
/// numbers straight into `Double` (the per-token arrays that make up most of a token export),
/// strings, and everything else kept as its JSON text.
public enum RecordValue: Sendable, Equatable {
  /// A number (`NaN`, `Infinity` and `-Infinity`, which Python's `json` writes, included).
  case number(Double)
  /// A string, escapes decoded.
  case string(String)
  /// `true` or `false`.
  case bool(Bool)
  /// `null`.
  case null
  /// An array of numbers and `null`s; a `null` is `NaN` (prime-rl writes non-finite values as
  /// `null`), counted in `nulls`.
  case numbers([Double], nulls: Int)
  /// An array of strings.
  case strings([String])
  /// An array of booleans (prime-rl's `loss_mask`, `is_masked`).
  case bools([Bool])
  /// Any other value (an object, a nested or mixed array), as its JSON text.
  case json(String)

  /// The JSON type's name for messages.
  public var typeName: String {
    switch self {
    case .number: return "a number"
    case .string: return "a string"
    case .bool: return "a boolean"
    case .null: return "null"
    case .numbers: return "an array of numbers"
    case .strings: return "an array of strings"
    case .bools: return "an array of booleans"
    case .json(let t): return t.hasPrefix("{") ? "an object" : "an array"
    }
  }
}

/// A JSON-lines record: its members in file order (keys unique).
public struct JSONLineRecord: Sendable {
  /// The members.
  public var members: [(key: String, value: RecordValue)]

  /// The value of `key`, or `nil`.
  public subscript(key: String) -> RecordValue? {
    for m in members where m.key == key { return m.value }
    return nil
  }
}

/// A line that is not a JSON object, with the column (1-based byte) and the problem.
public struct JSONLineError: Error, Sendable, Equatable, CustomStringConvertible {
  /// 1-based byte column in the line.
  public let column: Int
  /// What is wrong.
  public let message: String
  /// `column C: message`.
  public var description: String { "column \(column): \(message)" }
}

/// A strict, allocation-light parser of one JSON-lines record: RFC 8259 objects, with
/// Python's `NaN`/`Infinity` literals accepted as numbers. Numbers are parsed straight to
/// `Double`: the exact fast path (`m·10^e` with `m < 2⁵³`, `|e| ≤ 22`, both exact in binary
/// and one correctly rounded operation) for the decimals that loggers print, `strtod` (correctly
/// rounded) for the rest. Nesting is bounded; duplicate keys are refused.
///
/// - Complexity: O(n) for a line of `n` bytes.
public enum JSONLineParser {
  /// The deepest nesting read (objects and arrays inside the record).
  public static let maximumDepth = 64

  /// Parses `line` (one record, without its newline).
  public static func parse(_ line: UnsafeRawBufferPointer) throws(JSONLineError) -> JSONLineRecord {
    var p = Cursor(bytes: line)
    p.skipSpace()
    guard p.i < p.n else { throw p.fail("an empty line, not a JSON object") }
    guard p.peek == UInt8(ascii: "{") else { throw p.fail("a record is a JSON object; found \(p.describe())") }
    p.i += 1
    var members: [(key: String, value: RecordValue)] = []
    p.skipSpace()
    if p.i < p.n, p.peek == UInt8(ascii: "}") {
      p.i += 1
    } else {
      while true {
        p.skipSpace()
        guard p.i < p.n else { throw p.fail("the line ends inside the record (a record cut short?)") }
        guard p.peek == UInt8(ascii: "\"") else { throw p.fail("expected a key (a string), found \(p.describe())") }
        let keyStart = p.i
        let key = try p.string()
        for m in members where m.key == key { throw JSONLineError(column: keyStart + 1, message: "the key \"\(key)\" appears twice") }
        p.skipSpace()
        guard p.i < p.n, p.peek == UInt8(ascii: ":") else { throw p.fail(p.i < p.n ? "expected ':' after the key \"\(key)\", found \(p.describe())" : "the line ends inside the record (a record cut short?)") }
        p.i += 1
        p.skipSpace()
        members.append((key, try p.value()))
        p.skipSpace()
        guard p.i < p.n else { throw p.fail("the line ends inside the record (a record cut short?)") }
        if p.peek == UInt8(ascii: ",") { p.i += 1; continue }
        if p.peek == UInt8(ascii: "}") { p.i += 1; break }
        throw p.fail("expected ',' or '}' after the value of \"\(key)\", found \(p.describe())")
      }
    }
    p.skipSpace()
    guard p.i == p.n else { throw p.fail("unexpected \(p.describe()) after the record") }
    return JSONLineRecord(members: members)
  }

  /// Parses the UTF-8 text of one record.
  public static func parse(_ line: String) throws(JSONLineError) -> JSONLineRecord {
    var copy = line
    let result = copy.withUTF8 { buffer in
      Result { () throws(JSONLineError) in try parse(UnsafeRawBufferPointer(buffer)) }
    }
    return try result.get()
  }

  /// Exact powers of ten for the fast path.
  static let powers: [Double] = (0...22).map { Double("1e\($0)")! }
  #if arch(x86_64) && !os(Windows)
  /// 10⁰ … 10²⁷, exact in an 80-bit float (5²⁷ < 2⁶⁴).
  static let powers80: [Float80] = (0...27).map { k in (0..<k).reduce(Float80(1)) { r, _ in r * 10 } }
  #endif

  struct Cursor {
    let bytes: UnsafeRawBufferPointer
    var i = 0
    let n: Int
    init(bytes: UnsafeRawBufferPointer) {
      self.bytes = bytes
      n = bytes.count
    }

    var peek: UInt8 { bytes[i] }

    func fail(_ message: String) -> JSONLineError { JSONLineError(column: min(i, n) + 1, message: message) }

    func describe() -> String {
      guard i < n else { return "the end of the line" }
      let b = bytes[i]
      return b >= 0x21 && b < 0x7F ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x\(String(b, radix: 16, uppercase: true))"
    }

    mutating func skipSpace() {
      while i < n {
        let b = bytes[i]
        guard b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A else { return }
        i += 1
      }
    }

    mutating func literal(_ word: StaticString) -> Bool {
      let count = word.utf8CodeUnitCount
      guard n - i >= count else { return false }
      for k in 0..<count where bytes[i + k] != word.utf8Start[k] { return false }
      i += count
      return true
    }

    /// A value at `i`.
    mutating func value(depth: Int = 0) throws(JSONLineError) -> RecordValue {
      guard i < n else { throw fail("the line ends where a value should be (a record cut short?)") }
      switch peek {
      case UInt8(ascii: "\""): return .string(try string())
      case UInt8(ascii: "["): return try array(depth: depth)
      case UInt8(ascii: "{"):
        let start = i
        try skipContainer(depth: depth)
        return .json(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))
      case UInt8(ascii: "t"): if literal("true") { return .bool(true) }
      case UInt8(ascii: "f"): if literal("false") { return .bool(false) }
      case UInt8(ascii: "n"): if literal("null") { return .null }
      default:
        if let x = try number() { return .number(x) }
      }
      throw fail("expected a value, found \(describe())")
    }

    /// An array: numbers and nulls go to `[Double]`, strings to `[String]`, anything else is
    /// kept as its text.
    mutating func array(depth: Int) throws(JSONLineError) -> RecordValue {
      guard depth < JSONLineParser.maximumDepth else { throw fail("nesting deeper than \(JSONLineParser.maximumDepth) levels") }
      let start = i
      i += 1
      var numbers: [Double] = []
      var nulls = 0
      skipSpace()
      if i < n, peek == UInt8(ascii: "]") {
        i += 1
        return .numbers([], nulls: 0)
      }
      // Numbers (the common case) first.
      numbers.reserveCapacity(64)
      while true {
        skipSpace()
        guard i < n else { throw fail("the line ends inside an array (a record cut short?)") }
        if let x = try number() {
          numbers.append(x)
        } else if peek == UInt8(ascii: "n"), literal("null") {
          numbers.append(.nan)
          nulls += 1
        } else {
          break
        }
        skipSpace()
        guard i < n else { throw fail("the line ends inside an array (a record cut short?)") }
        if peek == UInt8(ascii: ",") { i += 1; continue }
        if peek == UInt8(ascii: "]") { i += 1; return .numbers(numbers, nulls: nulls) }
        throw fail("expected ',' or ']' in an array, found \(describe())")
      }
      // Booleans.
      if numbers.isEmpty, nulls == 0, peek == UInt8(ascii: "t") || peek == UInt8(ascii: "f") {
        var flags: [Bool] = []
        flags.reserveCapacity(64)
        while true {
          skipSpace()
          guard i < n else { throw fail("the line ends inside an array (a record cut short?)") }
          if literal("true") { flags.append(true) } else if literal("false") { flags.append(false) } else { break }
          skipSpace()
          guard i < n else { throw fail("the line ends inside an array (a record cut short?)") }
          if peek == UInt8(ascii: ",") { i += 1; continue }
          if peek == UInt8(ascii: "]") { i += 1; return .bools(flags) }
          throw fail("expected ',' or ']' in an array, found \(describe())")
        }
        i = start + 1
      }
      // Not all numbers: strings, or anything (kept as text).
      if numbers.isEmpty, nulls == 0, peek == UInt8(ascii: "\"") {
        var strings: [String] = []
        while true {
          skipSpace()
          guard i < n else { throw fail("the line ends inside an array (a record cut short?)") }
          guard peek == UInt8(ascii: "\"") else { break }
          strings.append(try string())
          skipSpace()
          guard i < n else { throw fail("the line ends inside an array (a record cut short?)") }
          if peek == UInt8(ascii: ",") { i += 1; continue }
          if peek == UInt8(ascii: "]") { i += 1; return .strings(strings) }
          throw fail("expected ',' or ']' in an array, found \(describe())")
        }
      }
      i = start
      try skipContainer(depth: depth)
      return .json(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))
    }

    /// Checks and skips an array or object at `i` (its text is kept by the caller).
    mutating func skipContainer(depth: Int) throws(JSONLineError) {
      guard depth < JSONLineParser.maximumDepth else { throw fail("nesting deeper than \(JSONLineParser.maximumDepth) levels") }
      let isArray = peek == UInt8(ascii: "[")
      let close = UInt8(ascii: isArray ? "]" : "}")
      i += 1
      skipSpace()
      if i < n, peek == close { i += 1; return }
      var keys = Set<String>()
      while true {
        skipSpace()
        guard i < n else { throw fail("the line ends inside an \(isArray ? "array" : "object") (a record cut short?)") }
        if !isArray {
          guard peek == UInt8(ascii: "\"") else { throw fail("expected a key (a string), found \(describe())") }
          let keyStart = i
          let key = try string()
          guard keys.insert(key).inserted else { throw JSONLineError(column: keyStart + 1, message: "the key \"\(key)\" appears twice") }
          skipSpace()
          guard i < n, peek == UInt8(ascii: ":") else { throw fail("expected ':' after a key, found \(describe())") }
          i += 1
          skipSpace()
        }
        guard i < n else { throw fail("the line ends where a value should be (a record cut short?)") }
        if peek == UInt8(ascii: "[") || peek == UInt8(ascii: "{") {
          try skipContainer(depth: depth + 1)
        } else {
          _ = try value(depth: depth + 1)
        }
        skipSpace()
        guard i < n else { throw fail("the line ends inside an \(isArray ? "array" : "object") (a record cut short?)") }
        if peek == UInt8(ascii: ",") { i += 1; continue }
        if peek == close { i += 1; return }
        throw fail("expected ',' or '\(Character(Unicode.Scalar(close)))', found \(describe())")
      }
    }

    /// A string at `i` (the opening quote), escapes decoded; raw control characters and
    /// malformed escapes or surrogates are errors.
    mutating func string() throws(JSONLineError) -> String {
      i += 1
      let start = i
      // The common case: no escapes.
      while i < n {
        let b = bytes[i]
        if b == UInt8(ascii: "\"") {
          let s = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
          i += 1
          return s
        }
        if b == UInt8(ascii: "\\") { break }
        if b < 0x20 { throw fail("a control character (byte 0x\(String(b, radix: 16, uppercase: true))) inside a string") }
        i += 1
      }
      var out = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
      while i < n {
        let b = bytes[i]
        if b == UInt8(ascii: "\"") {
          i += 1
          return String(decoding: out, as: UTF8.self)
        }
        if b < 0x20 { throw fail("a control character (byte 0x\(String(b, radix: 16, uppercase: true))) inside a string") }
        if b != UInt8(ascii: "\\") { out.append(b); i += 1; continue }
        i += 1
        guard i < n else { break }
        let e = bytes[i]
        i += 1
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
          var code = try hex4()
          if (0xD800..<0xDC00).contains(code) {
            guard n - i >= 6, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else { throw fail("a lone high surrogate in a \\u escape") }
            i += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw fail("a high surrogate not followed by a low one") }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
          } else if (0xDC00..<0xE000).contains(code) {
            throw fail("a lone low surrogate in a \\u escape")
          }
          out.append(contentsOf: Array(String(Character(Unicode.Scalar(code)!)).utf8))
        default:
          i -= 1
          throw fail("an invalid escape '\\\(Character(Unicode.Scalar(e)))' in a string")
        }
      }
      throw fail("the line ends inside a string (a record cut short?)")
    }

    mutating func hex4() throws(JSONLineError) -> UInt32 {
      guard n - i >= 4 else { throw fail("a \\u escape needs four hex digits") }
      var v: UInt32 = 0
      for _ in 0..<4 {
        let b = bytes[i]
        let d: UInt32
        switch b {
        case 0x30...0x39: d = UInt32(b - 0x30)
        case 0x41...0x46: d = UInt32(b - 0x41 + 10)
        case 0x61...0x66: d = UInt32(b - 0x61 + 10)
        default: throw fail("a \\u escape needs four hex digits")
        }
        v = v << 4 | d
        i += 1
      }
      return v
    }

    /// A number at `i` (RFC 8259 grammar, and `NaN`, `Infinity`, `-Infinity`), or `nil` when
    /// `i` does not start one.
    mutating func number() throws(JSONLineError) -> Double? {
      let start = i
      var negative = false
      var b = bytes[i]
      if b == UInt8(ascii: "-") {
        negative = true
        i += 1
        guard i < n else { throw fail("a '-' with no number after it") }
        b = bytes[i]
        if b == UInt8(ascii: "I") {
          if literal("Infinity") { return -.infinity }
          throw fail("a '-' with no number after it")
        }
      }
      if b == UInt8(ascii: "N") { if literal("NaN") { return .nan }; return nil }
      if b == UInt8(ascii: "I") { if literal("Infinity") { return .infinity }; return nil }
      guard b >= 0x30 && b <= 0x39 else {
        if negative { throw fail("a '-' with no number after it") }
        i = start
        return nil
      }
      var mantissa: UInt64 = 0
      var digits = 0, exponent = 0
      if b == 0x30 {
        i += 1
        if i < n, bytes[i] >= 0x30 && bytes[i] <= 0x39 { throw fail("a number with a leading zero") }
      } else {
        while i < n {
          let d = bytes[i] &- 0x30
          guard d < 10 else { break }
          if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(d) } else { exponent += 1 }
          if mantissa != 0 { digits += 1 }
          i += 1
        }
      }
      if i < n, bytes[i] == UInt8(ascii: ".") {
        i += 1
        guard i < n, bytes[i] >= 0x30 && bytes[i] <= 0x39 else { throw fail("a '.' with no digit after it in a number") }
        while i < n {
          let d = bytes[i] &- 0x30
          guard d < 10 else { break }
          if digits < 19 {
            mantissa = mantissa &* 10 &+ UInt64(d)
            exponent -= 1
            if mantissa != 0 { digits += 1 }
          }
          i += 1
        }
      }
      if i < n, bytes[i] | 0x20 == UInt8(ascii: "e") {
        i += 1
        var expNegative = false
        if i < n, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
          expNegative = bytes[i] == UInt8(ascii: "-")
          i += 1
        }
        guard i < n, bytes[i] >= 0x30 && bytes[i] <= 0x39 else { throw fail("an exponent with no digits in a number") }
        var e = 0
        while i < n {
          let d = bytes[i] &- 0x30
          guard d < 10 else { break }
          if e < 100_000 { e = e * 10 + Int(d) }
          i += 1
        }
        exponent += expNegative ? -e : e
      }
      // Exact fast path (Clinger): m < 2^53 and 10^|e| exact in a double: one correctly
      // rounded operation.
      if digits <= 15, mantissa < (1 << 53), exponent >= -22, exponent <= 22 {
        var x = Double(mantissa)
        x = exponent < 0 ? x / JSONLineParser.powers[-exponent] : x * JSONLineParser.powers[exponent]
        return negative ? -x : x
      }
      #if arch(x86_64) && !os(Windows)
      // The float32 values loggers widen and print take 17 digits: m < 10^19 < 2^64 and 10^|e|
      // (|e| ≤ 27) are exact in an 80-bit float, so m·10^e there is correctly rounded to 64
      // bits; rounding that to 53 bits is the correct double unless the 11 extra bits sit at
      // the halfway point (±1), where the double rounding could err: those go to strtod.
      if digits <= 19, exponent >= -27, exponent <= 27 {
        let m80 = Float80(mantissa)
        let p = JSONLineParser.powers80[abs(exponent)]
        let x80 = exponent < 0 ? m80 / p : m80 * p
        let extra = x80.significandBitPattern & 0x7FF
        if x80.isNormal, extra < 0x3FF || extra > 0x401, x80.exponent > -1022, x80.exponent < 1023 {
          let x = Double(x80)
          return negative ? -x : x
        }
      }
      #endif
      // Everything else: strtod on the literal (correctly rounded), from a stack buffer.
      let count = i - start
      let raw = bytes
      return withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { text in
        for k in 0..<count { text[k] = CChar(bitPattern: raw[start + k]) }
        text[count] = 0
        return strtod(text.baseAddress!, nil)
      }
    }
  }
}
