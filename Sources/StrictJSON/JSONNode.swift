/// A parsed JSON value (RFC 8259), with object keys in file order and numbers kept as their
/// literal text, so that a reader decides what a number may be: an unsigned 64-bit integer
/// for a safetensors offset, a finite `Double` for a payoff. Nothing is converted silently:
/// `true` is never a number, `2^64` never wraps, `1e400` is never `inf`.
public indirect enum JSONNode: Sendable, Equatable {
  /// `{"key": value, …}`: the pairs in file order (keys are unique; the parser refuses duplicates).
  case object([JSONMember])
  /// `[value, …]`.
  case array([JSONNode])
  /// A string, escapes decoded.
  case string(String)
  /// A number, as written.
  case number(JSONNumber)
  /// `true` or `false`.
  case bool(Bool)
  /// `null`.
  case null

  /// The JSON type's name for messages: "object", "array", "string", "number", "boolean", "null".
  public var typeName: String {
    switch self {
    case .object: return "object"
    case .array: return "array"
    case .string: return "string"
    case .number: return "number"
    case .bool: return "boolean"
    case .null: return "null"
    }
  }

  /// The member `key` of an object (nil for other types or a missing key).
  public subscript(key: String) -> JSONNode? {
    guard case .object(let members) = self else { return nil }
    return members.first { $0.key == key }?.value
  }

  /// The members of an object, or nil.
  public var members: [JSONMember]? {
    if case .object(let m) = self { return m }
    return nil
  }

  /// The elements of an array, or nil.
  public var elements: [JSONNode]? {
    if case .array(let a) = self { return a }
    return nil
  }

  /// The text of a string, or nil.
  public var string: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  /// The number, or nil (a boolean is not a number).
  public var number: JSONNumber? {
    if case .number(let n) = self { return n }
    return nil
  }

  /// A short rendering of the value for error messages: scalars as written, containers by
  /// type and size; never more than 40 characters and never a control character.
  public var brief: String {
    switch self {
    case .object(let m): return "an object of \(m.count) member\(m.count == 1 ? "" : "s")"
    case .array(let a): return "an array of \(a.count) element\(a.count == 1 ? "" : "s")"
    case .string(let s): return "the string \"\(JSONNode.printable(s, limit: 32))\""
    case .number(let n): return JSONNode.printable(n.literal, limit: 40)
    case .bool(let b): return b ? "true" : "false"
    case .null: return "null"
    }
  }

  /// `text` with control characters escaped (`\n`, `\r`, `\t`, `\u{…}`), cut to `limit`
  /// characters with an ellipsis: safe to put in a one-line error message.
  public static func printable(_ text: some StringProtocol, limit: Int = 80) -> String {
    var out = ""
    var count = 0
    for scalar in text.unicodeScalars {
      if count >= limit {
        out += "…"
        break
      }
      switch scalar {
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029 {
          out += "\\u{\(String(scalar.value, radix: 16))}"
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
      count += 1
    }
    return out
  }
}

/// One `"key": value` pair of a JSON object.
public struct JSONMember: Sendable, Equatable {
  /// The key, escapes decoded.
  public let key: String
  /// The value.
  public let value: JSONNode

  /// A member.
  public init(key: String, value: JSONNode) {
    self.key = key
    self.value = value
  }
}

/// A JSON number as written in the file: `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`.
public struct JSONNumber: Sendable, Equatable {
  /// The literal text.
  public let literal: String
  /// Whether the literal has neither a fraction nor an exponent.
  public let isIntegerLiteral: Bool

  /// A number from its literal (already checked against the grammar by the parser).
  public init(literal: String, isIntegerLiteral: Bool) {
    self.literal = literal
    self.isIntegerLiteral = isIntegerLiteral
  }

  /// The value as a finite `Double` (correctly rounded), or nil when it overflows to ±∞.
  public var finiteDouble: Double? {
    guard let v = Double(literal), v.isFinite else { return nil }
    return v
  }

  /// The value as an unsigned 64-bit integer: only integer literals without a sign that fit
  /// in `0 ... 2^64 − 1` (what serde reads into a `u64`/`usize`); nil otherwise.
  public var uint64: UInt64? {
    guard isIntegerLiteral, !literal.hasPrefix("-") else { return nil }
    return UInt64(literal)
  }

  /// The value as an `Int`: only integer literals that fit; nil otherwise.
  public var int: Int? {
    guard isIntegerLiteral else { return nil }
    return Int(literal)
  }
}
