/// A strict JSON parser (RFC 8259) for files we do not trust.
///
/// - The grammar is RFC 8259's exactly: no comments, no trailing commas, no `NaN`/`Infinity`,
///   no leading zeros, no raw control characters in strings, only the escapes
///   `\" \\ \/ \b \f \n \r \t \uXXXX` (surrogates paired), valid UTF-8 only.
/// - One text holds one value; whitespace may surround it (safetensors pads its header with
///   spaces).
/// - Duplicate keys in an object are refused (RFC 8259 leaves them undefined; readers differ).
/// - Nesting is limited to ``maxDepth`` and the parser never recurses, so a hostile file of
///   a million `[` costs one error, not a stack overflow.
public enum StrictJSON {
  /// The deepest nesting accepted by default (our formats need 4).
  public static let defaultMaxDepth = 128

  /// Parses `bytes` as one JSON value.
  public static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = defaultMaxDepth) throws(JSONSyntaxError) -> JSONNode {
    var parser = Parser(bytes: bytes, maxDepth: maxDepth)
    return try parser.document()
  }

  /// Parses `bytes` as one JSON value.
  public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONSyntaxError) -> JSONNode {
    do {
      return try bytes.withUnsafeBytes { raw in try parse(raw, maxDepth: maxDepth) }
    } catch let error as JSONSyntaxError {
      throw error
    } catch {
      fatalError("unreachable")
    }
  }

  /// Parses `text` as one JSON value.
  public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) throws(JSONSyntaxError) -> JSONNode {
    try parse(Array(text.utf8), maxDepth: maxDepth)
  }
}

/// Where and why a text is not JSON.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Byte offset of the problem (0-based).
  public let offset: Int
  /// Line of the problem (1-based).
  public let line: Int
  /// Column of the problem, in bytes (1-based).
  public let column: Int
  /// What is wrong.
  public let message: String

  /// `"line L, column C: message"`.
  public var description: String { "line \(line), column \(column): \(message)" }
}

private struct Parser {
  let bytes: UnsafeRawBufferPointer
  let maxDepth: Int
  var i = 0

  init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
    self.bytes = bytes
    self.maxDepth = maxDepth
  }

  enum Frame {
    case array([JSONNode])
    case object([JSONMember], Set<String>, key: String)
  }

  func fail(_ message: String, at offset: Int? = nil) -> JSONSyntaxError {
    let at = min(offset ?? i, bytes.count)
    var line = 1, lineStart = 0
    for k in 0..<at where bytes[k] == 0x0A {
      line += 1
      lineStart = k + 1
    }
    return JSONSyntaxError(offset: at, line: line, column: at - lineStart + 1, message: message)
  }

  func describe(_ byte: UInt8) -> String {
    if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
    return "byte 0x\(String(byte, radix: 16, uppercase: true))"
  }

  mutating func skipSpace() {
    while i < bytes.count {
      switch bytes[i] {
      case 0x20, 0x09, 0x0A, 0x0D: i += 1
      default: return
      }
    }
  }

  mutating func document() throws(JSONSyntaxError) -> JSONNode {
    let v = try value()
    skipSpace()
    guard i == bytes.count else { throw fail("unexpected \(describe(bytes[i])) after the JSON value") }
    return v
  }

  /// One value; containers are built with an explicit stack.
  mutating func value() throws(JSONSyntaxError) -> JSONNode {
    var stack: [Frame] = []
    while true {
      skipSpace()
      guard i < bytes.count else { throw fail(stack.isEmpty ? "no JSON value" : "the text ends inside an \(stack.last.map(Self.kind) ?? "")") }
      var finished: JSONNode
      switch bytes[i] {
      case UInt8(ascii: "["), UInt8(ascii: "{"):
        let isArray = bytes[i] == UInt8(ascii: "[")
        guard stack.count < maxDepth else { throw fail("nesting deeper than \(maxDepth) levels") }
        i += 1
        skipSpace()
        let close = UInt8(ascii: isArray ? "]" : "}")
        if i < bytes.count, bytes[i] == close {
          i += 1
          finished = isArray ? .array([]) : .object([])
        } else if isArray {
          stack.append(.array([]))
          continue
        } else {
          let key = try memberKey()
          stack.append(.object([], [], key: key))
          continue
        }
      default:
        finished = try scalar()
      }
      // Hand the finished value to the enclosing containers, closing those that end here.
      while true {
        guard let top = stack.popLast() else { return finished }
        skipSpace()
        guard i < bytes.count else { throw fail("the text ends inside an \(Self.kind(top))") }
        let c = bytes[i]
        switch top {
        case .array(var items):
          items.append(finished)
          if c == UInt8(ascii: ",") {
            i += 1
            stack.append(.array(items))
          } else if c == UInt8(ascii: "]") {
            i += 1
            finished = .array(items)
            continue
          } else {
            throw fail("expected ',' or ']' in an array, found \(describe(c))")
          }
        case .object(var members, var keys, let key):
          members.append(JSONMember(key: key, value: finished))
          keys.insert(key)
          if c == UInt8(ascii: ",") {
            i += 1
            skipSpace()
            let start = i
            let next = try memberKey()
            guard !keys.contains(next) else { throw fail("duplicate key \"\(JSONNode.printable(next, limit: 40))\"", at: start) }
            stack.append(.object(members, keys, key: next))
          } else if c == UInt8(ascii: "}") {
            i += 1
            finished = .object(members)
            continue
          } else {
            throw fail("expected ',' or '}' in an object, found \(describe(c))")
          }
        }
        break
      }
    }
  }

  static func kind(_ frame: Frame) -> String {
    switch frame {
    case .array: return "array"
    case .object: return "object"
    }
  }

  /// `"key" :` at the start of an object member.
  mutating func memberKey() throws(JSONSyntaxError) -> String {
    skipSpace()
    guard i < bytes.count else { throw fail("the text ends inside an object") }
    guard bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a string key in an object, found \(describe(bytes[i]))") }
    let key = try string()
    skipSpace()
    guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':' after the key \"\(JSONNode.printable(key, limit: 40))\"") }
    i += 1
    return key
  }

  mutating func scalar() throws(JSONSyntaxError) -> JSONNode {
    let c = bytes[i]
    switch c {
    case UInt8(ascii: "\""): return .string(try string())
    case UInt8(ascii: "t"): try word("true"); return .bool(true)
    case UInt8(ascii: "f"): try word("false"); return .bool(false)
    case UInt8(ascii: "n"): try word("null"); return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
    default:
      if c == UInt8(ascii: "N") || c == UInt8(ascii: "I") { throw fail("NaN and Infinity are not JSON numbers") }
      throw fail("unexpected \(describe(c)) where a value should be")
    }
  }

  mutating func word(_ w: StaticString) throws(JSONSyntaxError) {
    let n = w.utf8CodeUnitCount
    let start = i
    guard i + n <= bytes.count else { throw fail("invalid literal") }
    for k in 0..<n where bytes[i + k] != w.utf8Start[k] { throw fail("invalid literal", at: start) }
    i += n
  }

  func isDigit(_ k: Int) -> Bool { k < bytes.count && bytes[k] >= UInt8(ascii: "0") && bytes[k] <= UInt8(ascii: "9") }

  mutating func number() throws(JSONSyntaxError) -> JSONNumber {
    let start = i
    if bytes[i] == UInt8(ascii: "-") { i += 1 }
    guard isDigit(i) else { throw fail("a number needs digits", at: start) }
    if bytes[i] == UInt8(ascii: "0") {
      i += 1
      if isDigit(i) { throw fail("numbers may not have leading zeros", at: start) }
    } else {
      while isDigit(i) { i += 1 }
    }
    var integer = true
    if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
      integer = false
      i += 1
      guard isDigit(i) else { throw fail("a digit must follow the decimal point") }
      while isDigit(i) { i += 1 }
    }
    if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
      integer = false
      i += 1
      if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
      guard isDigit(i) else { throw fail("a digit must follow the exponent mark") }
      while isDigit(i) { i += 1 }
    }
    let literal = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
    return JSONNumber(literal: literal, isIntegerLiteral: integer)
  }

  func hex(_ k: Int) -> UInt32? {
    let b = bytes[k]
    switch b {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(b - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(b - UInt8(ascii: "a") + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(b - UInt8(ascii: "A") + 10)
    default: return nil
    }
  }

  mutating func unicodeEscape() throws(JSONSyntaxError) -> UInt32 {
    // At the 'u' of \uXXXX.
    guard i + 4 < bytes.count else { throw fail("the text ends inside a \\u escape") }
    var v: UInt32 = 0
    for k in 1...4 {
      guard let h = hex(i + k) else { throw fail("invalid \\u escape") }
      v = v << 4 | h
    }
    i += 5
    return v
  }

  mutating func string() throws(JSONSyntaxError) -> String {
    let open = i
    i += 1
    var out = String.UnicodeScalarView()
    while true {
      guard i < bytes.count else { throw fail("unterminated string", at: open) }
      let b = bytes[i]
      if b == UInt8(ascii: "\"") {
        i += 1
        return String(out)
      }
      if b < 0x20 { throw fail("raw control character 0x\(String(b, radix: 16)) in a string (escape it)") }
      if b == UInt8(ascii: "\\") {
        i += 1
        guard i < bytes.count else { throw fail("unterminated string", at: open) }
        let e = bytes[i]
        switch e {
        case UInt8(ascii: "\""): out.append("\""); i += 1
        case UInt8(ascii: "\\"): out.append("\\"); i += 1
        case UInt8(ascii: "/"): out.append("/"); i += 1
        case UInt8(ascii: "b"): out.append("\u{8}"); i += 1
        case UInt8(ascii: "f"): out.append("\u{C}"); i += 1
        case UInt8(ascii: "n"): out.append("\n"); i += 1
        case UInt8(ascii: "r"): out.append("\r"); i += 1
        case UInt8(ascii: "t"): out.append("\t"); i += 1
        case UInt8(ascii: "u"):
          let at = i - 1
          let first = try unicodeEscape()
          var scalar = first
          if (0xD800...0xDBFF).contains(first) {
            guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
              throw fail("unpaired surrogate \\u\(String(first, radix: 16))", at: at)
            }
            i += 1
            let second = try unicodeEscape()
            guard (0xDC00...0xDFFF).contains(second) else { throw fail("unpaired surrogate \\u\(String(first, radix: 16))", at: at) }
            scalar = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
          } else if (0xDC00...0xDFFF).contains(first) {
            throw fail("unpaired surrogate \\u\(String(first, radix: 16))", at: at)
          }
          out.append(Unicode.Scalar(scalar)!)
        default:
          throw fail("invalid escape \\\(describe(e))")
        }
        continue
      }
      if b < 0x80 {
        out.append(Unicode.Scalar(b))
        i += 1
        continue
      }
      // A multi-byte UTF-8 sequence, validated (no overlongs, no surrogates, ≤ U+10FFFF).
      let (scalar, length) = try utf8Scalar()
      out.append(scalar)
      i += length
    }
  }

  func utf8Scalar() throws(JSONSyntaxError) -> (Unicode.Scalar, Int) {
    let b0 = UInt32(bytes[i])
    let length: Int, minimum: UInt32
    var v: UInt32
    switch b0 {
    case 0xC2...0xDF: length = 2; minimum = 0x80; v = b0 & 0x1F
    case 0xE0...0xEF: length = 3; minimum = 0x800; v = b0 & 0x0F
    case 0xF0...0xF4: length = 4; minimum = 0x10000; v = b0 & 0x07
    default: throw fail("invalid UTF-8 byte 0x\(String(b0, radix: 16, uppercase: true)) in a string")
    }
    guard i + length <= bytes.count else { throw fail("truncated UTF-8 sequence in a string") }
    for k in 1..<length {
      let b = UInt32(bytes[i + k])
      guard b & 0xC0 == 0x80 else { throw fail("invalid UTF-8 sequence in a string") }
      v = v << 6 | (b & 0x3F)
    }
    guard v >= minimum, v <= 0x10FFFF, !(0xD800...0xDFFF).contains(v), let scalar = Unicode.Scalar(v) else {
      throw fail("invalid UTF-8 sequence in a string")
    }
    return (scalar, length)
  }
}
