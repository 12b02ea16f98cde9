/// Why a vector of logits cannot define a softmax policy.
public enum LogitValidationError: Error, Equatable, Sendable, CustomStringConvertible {
  /// No logits at all.
  case empty
  /// Entry `index` is NaN.
  case notANumber(index: Int)
  /// Entry `index` is `+∞` (the softmax would be undefined).
  case positiveInfinity(index: Int)
  /// Every entry is `−∞`: every action is masked.
  case allMasked(count: Int)
  /// The temperature is not a positive finite number.
  case badTemperature(Double)
  /// The action index is outside `0 ..< count`.
  case actionOutOfRange(action: Int, count: Int)

  /// The message shown to the user, naming the offending entry or value.
  public var description: String {
    switch self {
    case .empty: return "the logit vector is empty"
    case .notANumber(let i): return "logit \(i) is NaN"
    case .positiveInfinity(let i): return "logit \(i) is +inf (only -inf, a masked action, is allowed)"
    case .allMasked(let k): return "all \(k) logits are -inf: no action has positive probability"
    case .badTemperature(let t): return "temperature must be a positive finite number, got \(t)"
    case .actionOutOfRange(let a, let k): return "action \(a) is out of range: there are \(k) actions (0..<\(k))"
    }
  }
}

/// Checks that `logits` define a softmax policy: non-empty, no NaN, no `+∞`, and at least one
/// finite entry (`−∞` marks a masked action and is allowed).
///
/// - Throws: ``LogitValidationError`` naming the first offending entry.
/// - Complexity: O(K).
public func validateLogits<T: BinaryFloatingPoint>(_ logits: [T]) throws(LogitValidationError) {
  guard !logits.isEmpty else { throw .empty }
  var anyFinite = false
  for (i, z) in logits.enumerated() {
    if z.isNaN { throw .notANumber(index: i) }
    if z == .infinity { throw .positiveInfinity(index: i) }
    if z.isFinite { anyFinite = true }
  }
  if !anyFinite { throw .allMasked(count: logits.count) }
}

/// Checks a temperature: positive and finite.
public func validateTemperature<T: BinaryFloatingPoint>(_ temperature: T) throws(LogitValidationError) {
  guard temperature > 0, temperature.isFinite else { throw .badTemperature(Double(temperature)) }
}

/// Checks an action index against the number of actions.
public func validateAction(_ action: Int, count: Int) throws(LogitValidationError) {
  guard (0..<count).contains(action) else { throw .actionOutOfRange(action: action, count: count) }
}
