import Foundation
import OutputFormats

/// A configuration value: what a key of a TOML configuration or sweep file may hold.
public enum ConfigValue: Sendable, Equatable, CustomStringConvertible {
  /// An integer, a floating-point number, a string, a boolean, or a list of values.
  case int(Int), double(Double), string(String), bool(Bool), list([ConfigValue])

  /// The value as text (`list` joined by commas): `0.1`, `kl_cov`, `32,32`.
  public var description: String {
    switch self {
    case .int(let i): return String(i)
    case .double(let d): return "\(d)"
    case .string(let s): return s
    case .bool(let b): return b ? "true" : "false"
    case .list(let l): return l.map(\.description).joined(separator: ",")
    }
  }

  /// A canonical JSON fragment (for run identities and the store); a non-finite number is `null`.
  public var json: String {
    switch self {
    case .int(let i): return String(i)
    case .double(let d): return d.isFinite ? "\(d)" : "null"
    case .string(let s): return JSONValue.quote(s)
    case .bool(let b): return b ? "true" : "false"
    case .list(let l): return "[" + l.map(\.json).joined(separator: ",") + "]"
    }
  }

  /// Whether the value has the type `type`: integers are numbers too, and a single number
  /// stands for a one-element list.
  public func matches(_ type: FieldType) -> Bool {
    switch (type, self) {
    case (.integer, .int), (.number, .int), (.number, .double), (.string, .string), (.boolean, .bool), (.list, .list): return true
    case (.list, .int), (.list, .double): return true
    default: return false
    }
  }
}

/// The type a configuration field expects.
public enum FieldType: String, Sendable {
  /// A whole number; any finite number (integers too); text; `true`/`false`; a list (one number is a
  /// list of one).
  case integer, number, string, boolean, list
}

/// A value that does not fit its field, with the reason (the caller adds the file and key).
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
  /// The field (`arms`), or `nil` for a problem of the whole configuration.
  public let field: String?
  /// What is wrong: `must be an integer, got "ten"`, `unknown field 'stepz' (fields: …)`.
  public let message: String
  /// An error about `field` (nil: the whole configuration).
  public init(field: String?, _ message: String) {
    self.field = field
    self.message = message
  }
  /// `field 'NAME' MESSAGE`, or the message alone.
  public var description: String { field.map { "field '\($0)' \(message)" } ?? message }
}

extension ConfigValue {
  /// The value as an `Int` (a whole `double` such as `4.0` is accepted).
  public func integer() throws(ConfigurationError) -> Int {
    switch self {
    case .int(let i): return i
    case .double(let d) where d == d.rounded() && abs(d) < 9.0e15: return Int(d)
    default: throw ConfigurationError(field: nil, "must be an integer, got \(json)")
    }
  }

  /// The value as a non-negative 64-bit seed.
  public func seed() throws(ConfigurationError) -> UInt64 {
    let i = try integer()
    guard i >= 0 else { throw ConfigurationError(field: nil, "must be a non-negative integer, got \(i)") }
    return UInt64(i)
  }

  /// The value as a finite `Double`.
  public func number() throws(ConfigurationError) -> Double {
    switch self {
    case .int(let i): return Double(i)
    case .double(let d) where d.isFinite: return d
    default: throw ConfigurationError(field: nil, "must be a finite number, got \(json)")
    }
  }

  /// The value as a `String`.
  public func text() throws(ConfigurationError) -> String {
    guard case .string(let s) = self else { throw ConfigurationError(field: nil, "must be a string, got \(json)") }
    return s
  }

  /// The value as a `Bool`.
  public func boolean() throws(ConfigurationError) -> Bool {
    guard case .bool(let b) = self else { throw ConfigurationError(field: nil, "must be a boolean, got \(json)") }
    return b
  }

  /// The value as a list of finite numbers (a single number is a list of one; a string is
  /// read as comma-separated numbers, the command line's form).
  public func numbers() throws(ConfigurationError) -> [Double] {
    switch self {
    case .list(let items):
      var out: [Double] = []
      for (i, item) in items.enumerated() {
        do { out.append(try item.number()) } catch { throw ConfigurationError(field: nil, "value \(i + 1) \(error.message)") }
      }
      return out
    case .string(let s):
      var out: [Double] = []
      for (i, part) in s.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
        let trimmed = part.trimmingCharacters(in: .whitespaces)
        guard let v = Double(trimmed), v.isFinite else { throw ConfigurationError(field: nil, "value \(i + 1) is not a number: '\(trimmed)'") }
        out.append(v)
      }
      return out
    default: return [try number()]
    }
  }
}
