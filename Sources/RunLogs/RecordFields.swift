import Diagnostics

/// Typed access to a record's fields, every error naming the file, the line and the field:
/// `rank_0.jsonl:12: field 'advantages' must be an array of numbers, got a string`.
struct RecordFields {
  let record: JSONLineRecord
  /// `path:line`.
  let place: String

  func fail(_ message: String) -> MessageError { MessageError("\(place): \(message)") }

  func has(_ key: String) -> Bool { record[key] != nil && record[key] != .null }

  /// A whole number (required unless `optional`).
  func integer(_ key: String, optional: Bool = false) throws(MessageError) -> Int? {
    switch record[key] {
    case nil, .null?:
      if optional { return nil }
      throw fail("the required field '\(key)' is missing")
    case .number(let x)?:
      guard x == x.rounded(), abs(x) < 9e15 else { throw fail("field '\(key)' must be a whole number, got \(x)") }
      return Int(x)
    case let other?: throw fail("field '\(key)' must be a whole number, got \(other.typeName)")
    }
  }

  /// A number (`null` is `nil`).
  func number(_ key: String) throws(MessageError) -> Double? {
    switch record[key] {
    case nil, .null?: return nil
    case .number(let x)?: return x
    case .bool(let b)?: return b ? 1 : 0
    case let other?: throw fail("field '\(key)' must be a number, got \(other.typeName)")
    }
  }

  /// A string (`nil` when missing or null); numbers are accepted as their text.
  func string(_ key: String) throws(MessageError) -> String? {
    switch record[key] {
    case nil, .null?: return nil
    case .string(let s)?: return s
    case .number(let x)?: return x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
    case .json(let t)?: return t
    case .strings(let l)?: return l.joined(separator: "\n")
    case let other?: throw fail("field '\(key)' must be a string, got \(other.typeName)")
    }
  }

  /// An array of numbers (`null` entries are NaN) with `count` entries when given (the length
  /// of the array `alignedWith`, for the message).
  func numbers(_ key: String, count: Int? = nil, alignedWith reference: String = "token_ids") throws(MessageError) -> [Double]? {
    switch record[key] {
    case nil, .null?: return nil
    case .numbers(let v, _)?:
      try aligned(key, v.count, count, reference)
      return v
    case .bools(let b)?:
      try aligned(key, b.count, count, reference)
      return b.map { $0 ? 1 : 0 }
    case let other?: throw fail("field '\(key)' must be an array of numbers, got \(other.typeName)")
    }
  }

  /// Fails unless an array of `found` entries has the `expected` count of `reference`.
  func aligned(_ key: String, _ found: Int, _ expected: Int?, _ reference: String) throws(MessageError) {
    guard let expected, found != expected else { return }
    throw fail("field '\(key)' has \(found) entries, but '\(reference)' has \(expected) (the per-token arrays must be aligned)")
  }

  /// Whole-number ids.
  func integers(_ key: String, count: Int? = nil) throws(MessageError) -> [Int]? {
    guard let v = try numbers(key, count: count) else { return nil }
    var out: [Int] = []
    out.reserveCapacity(v.count)
    for (i, x) in v.enumerated() {
      guard x == x.rounded(), abs(x) < 9e15 else { throw fail("field '\(key)': entry \(i) is \(x), not a whole number") }
      out.append(Int(x))
    }
    return out
  }

  /// An array of booleans (0/1 numbers accepted) with `count` entries when given.
  func flags(_ key: String, count: Int? = nil) throws(MessageError) -> [Bool]? {
    switch record[key] {
    case nil, .null?: return nil
    case .bools(let b)?:
      try aligned(key, b.count, count, "token_ids")
      return b
    case .numbers(let v, _)?:
      try aligned(key, v.count, count, "token_ids")
      for (i, x) in v.enumerated() where x != 0 && x != 1 { throw fail("field '\(key)': entry \(i) is \(x), not a boolean or 0/1") }
      return v.map { $0 != 0 }
    case let other?: throw fail("field '\(key)' must be an array of booleans, got \(other.typeName)")
    }
  }
}
