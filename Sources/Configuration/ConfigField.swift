/// One key of a configuration: its name in files (`baseline_rate`), the type it takes, a help
/// line, and how it sets the typed configuration. A configuration's list of fields is its one
/// schema: the TOML readers, the sweep grid's checks and the error listing valid keys all use it.
public struct ConfigField<Root>: Sendable {
  /// The key in configuration and sweep files: snake_case (`reward_model`).
  public let name: String
  /// The type the key takes.
  public let type: FieldType
  /// One line for help texts and docs.
  public let help: String
  let setter: @Sendable (inout Root, ConfigValue) throws(ConfigurationError) -> Void

  /// A field: its key, type and help line, and `set`, which stores a value of that type in the
  /// configuration (and may refuse it, e.g. out of range).
  public init(_ name: String, _ type: FieldType, _ help: String, set: @escaping @Sendable (inout Root, ConfigValue) throws(ConfigurationError) -> Void) {
    self.name = name
    self.type = type
    self.help = help
    self.setter = set
  }

  /// The key as a command-line option: `--reward-model`.
  public var optionName: String { "--" + name.replacingOccurrences("_", "-") }
}

/// A typed configuration whose keys are described by one list of fields.
public protocol Configurable: Sendable {
  /// Every key, in the order they are documented.
  static var fields: [ConfigField<Self>] { get }
}

extension Configurable {
  /// The field named `name` (`-` and `_` alike), if any.
  public static func field(named name: String) -> ConfigField<Self>? {
    let key = name.replacingOccurrences("-", "_")
    return fields.first { $0.name == key }
  }

  /// The valid keys, sorted, for error messages.
  public static var fieldNames: [String] { fields.map(\.name).sorted() }

  /// Sets the key `name` to `value`; an unknown key is an error that lists the valid keys, a
  /// value of the wrong type or range one that names the key.
  public mutating func set(_ name: String, to value: ConfigValue) throws(ConfigurationError) {
    guard let field = Self.field(named: name) else {
      throw ConfigurationError(field: nil, "unknown field '\(name)' (fields: \(Self.fieldNames.joined(separator: ", ")))")
    }
    guard value.matches(field.type) || (field.type == .list && value.matches(.string)) else {
      throw ConfigurationError(field: field.name, "must be a\(field.type == .integer ? "n" : "") \(field.type.rawValue), got \(value.json)")
    }
    do { try field.setter(&self, value) } catch { throw ConfigurationError(field: field.name, error.message) }
  }

  /// Sets each key in order (a later key wins).
  public mutating func set(_ settings: [(String, ConfigValue)]) throws(ConfigurationError) {
    for (name, value) in settings { try set(name, to: value) }
  }
}

extension String {
  fileprivate func replacingOccurrences(_ a: Character, _ b: Character) -> String { String(map { $0 == a ? b : $0 }) }
}
