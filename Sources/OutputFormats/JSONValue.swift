/// A JSON value with ordered object keys, for output that people and scripts both read.
///
/// Numbers are written in Swift's shortest round-trip form; non-finite numbers, which JSON
/// cannot represent, are written as `null` (documented per field where they can occur).
public indirect enum JSONValue: Sendable, Equatable {
  /// A floating-point number (written as `null` when not finite).
  case number(Double)
  /// An integer, written without a decimal point.
  case integer(Int)
  /// A string, quoted and escaped.
  case string(String)
  /// `true` or `false`.
  case bool(Bool)
  /// An array.
  case array([JSONValue])
  /// An object, its keys in the given order.
  case object([(String, JSONValue)])
  /// `null`.
  case null

  /// Equality of the rendered text: a non-finite number equals `null`, and `.number(1)` (`1.0`) is
  /// not `.integer(1)`.
  public static func == (a: JSONValue, b: JSONValue) -> Bool { a.rendered() == b.rendered() }

  /// An array of numbers.
  public static func numbers(_ values: [Double]) -> JSONValue { .array(values.map { .number($0) }) }

  /// The JSON text; `indent` spaces per level (0: one line).
  public func rendered(indent: Int = 2) -> String {
    var out = ""
    write(to: &out, indent: indent, level: 0)
    return out
  }

  private func write(to out: inout String, indent: Int, level: Int) {
    let newline = indent > 0 ? "\n" : ""
    let pad = String(repeating: " ", count: indent * (level + 1))
    let closePad = String(repeating: " ", count: indent * level)
    switch self {
    case .number(let x): out += x.isFinite ? "\(x)" : "null"
    case .integer(let i): out += "\(i)"
    case .string(let s): out += JSONValue.quote(s)
    case .bool(let b): out += b ? "true" : "false"
    case .null: out += "null"
    case .array(let items):
      // Arrays of scalars stay on one line; they are long vectors.
      out += "["
      for (i, item) in items.enumerated() {
        if i > 0 { out += ", " }
        item.write(to: &out, indent: 0, level: 0)
      }
      out += "]"
    case .object(let fields):
      if fields.isEmpty { out += "{}"; return }
      out += "{" + newline
      for (i, (key, value)) in fields.enumerated() {
        out += pad + JSONValue.quote(key) + (indent > 0 ? ": " : ":")
        value.write(to: &out, indent: indent, level: level + 1)
        out += (i + 1 < fields.count ? "," : "") + newline
      }
      out += closePad + "}"
    }
  }

  /// `s` as a JSON string literal, escaping quotes, backslashes and control characters.
  public static func quote(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case let c where c.value < 0x20:
        let hex = String(c.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}
