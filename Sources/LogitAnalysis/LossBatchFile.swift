import Foundation
import PolicyLosses
import StrictJSON
import TensorIO

/// Reads a logged batch for `logitdyn loss`: a JSON object of named nested arrays (verl's
/// `inputs` dict dumped with `json.dump(t.tolist())`, optionally under `"inputs"`), or a
/// `.safetensors`/`.npy` file of the same tensors. JSON is parsed strictly (``StrictJSON``):
/// booleans, nulls and out-of-range numbers are errors naming the element.
public enum LossBatchFile {
  /// The largest JSON batch read (1 GiB).
  public static let maximumJSONBytes = 1 << 30
  /// Flattens a nested JSON array of numbers (or the strings "nan", "inf", "-inf") row-major,
  /// with its shape. Booleans, nulls and numbers beyond `Double`'s range are errors that name
  /// the element (`advantages[3][1]`); a ragged array is an error.
  public static func flatten(_ x: JSONNode, name: String) throws(BatchInputError) -> (values: [Double], shape: [Int]) {
    var values: [Double] = []
    // Recursion depth is bounded by the parser's nesting limit.
    func visit(_ node: JSONNode, _ at: String) throws(BatchInputError) -> [Int] {
      if let elements = node.elements {
        var inner: [Int]? = nil
        for (k, e) in elements.enumerated() {
          let s = try visit(e, at + "[\(k)]")
          if let inner, inner != s { throw BatchInputError("\(name) is ragged: \(at)[\(k)] has shape \(s), \(at)[0] has \(inner)") }
          inner = s
        }
        return [elements.count] + (inner ?? [])
      }
      switch node {
      case .number(let n):
        guard let v = n.finiteDouble else { throw BatchInputError("\(at) is \(JSONNode.printable(n.literal, limit: 30)), beyond the range of a double") }
        values.append(v)
      case .string("nan"), .string("NaN"): values.append(.nan)
      case .string("inf"), .string("Infinity"): values.append(.infinity)
      case .string("-inf"), .string("-Infinity"): values.append(-.infinity)
      default: throw BatchInputError("\(at) is \(node.brief), not a number")
      }
      return []
    }
    let shape = try visit(x, name)
    return (values, shape)
  }

  /// The batch of `path`, refusing files whose arrays would need more than `maxMemory`
  /// bytes once read as doubles.
  public static func load(_ path: String, temperature: Double, maxMemory: Double = 8 * 1024 * 1024 * 1024) throws(BatchInputError) -> TokenBatch {
    func check(_ estimate: Double, _ what: String) throws(BatchInputError) {
      guard estimate <= maxMemory else {
        throw BatchInputError("\(what) would need about \(Int(estimate / 1_048_576)) MiB, more than --max-memory (\(Int(maxMemory / 1_048_576)) MiB)")
      }
    }
    var arrays: [String: (values: [Double], shape: [Int])] = [:]
    if path.hasSuffix(".safetensors") || path.hasSuffix(".npy") {
      let tensors: [Tensor]
      do { tensors = try TensorFiles.open(path: path) } catch { throw BatchInputError("\(error)") }
      // Every tensor is read as doubles, and the logits' softmax is kept: about 3 × 8 bytes
      // per element.
      try check(tensors.reduce(0.0) { $0 + Double($1.count) } * 24, "the batch \(path)")
      for t in tensors { arrays[t.name] = (t.doubles(), t.shape) }
    } else {
      let bytes: [UInt8]
      do { bytes = try UntrustedFile.read(path: path, limit: maximumJSONBytes) } catch { throw BatchInputError("\(error)") }
      // The parsed tree holds about 64 bytes per number written in ≥ 2 bytes of text.
      try check(Double(bytes.count) * 32, "the JSON batch \(path)")
      return try parseJSON(bytes, source: path, temperature: temperature)
    }
    return try batch(arrays, temperature: temperature)
  }

  /// The batch of a JSON text (see the type's description); `source` names it in errors.
  public static func parseJSON(_ bytes: [UInt8], source: String, temperature: Double) throws(BatchInputError) -> TokenBatch {
    var arrays: [String: (values: [Double], shape: [Int])] = [:]
    do {
      var object: JSONNode
      do { object = try StrictJSON.parse(bytes, maxDepth: 16) } catch {
        throw BatchInputError("\(source): not valid JSON: \(error)")
      }
      guard object.members != nil else { throw BatchInputError("\(source) must hold a JSON object of named arrays, found \(object.brief)") }
      if let inputs = object["inputs"], inputs.members != nil { object = inputs }
      for member in object.members! where member.value.elements != nil {
        arrays[member.key] = try flatten(member.value, name: JSONNode.printable(member.key, limit: 40))
      }
    }
    return try batch(arrays, temperature: temperature)
  }

  /// The token batch of named arrays (values row-major, shape).
  static func batch(_ arrays: [String: (values: [Double], shape: [Int])], temperature: Double) throws(BatchInputError) -> TokenBatch {
    func require(_ name: String) throws(BatchInputError) -> (values: [Double], shape: [Int]) {
      guard let a = arrays[name] else {
        throw BatchInputError("the batch has no '\(name)' (found: \(arrays.keys.sorted().joined(separator: ", ")))")
      }
      return a
    }
    let mask = try require("response_mask")
    guard mask.shape.count == 2 else { throw BatchInputError("response_mask must be [B][L], got shape \(mask.shape)") }
    let rows = mask.shape[0], columns = mask.shape[1]
    func check(_ name: String, _ a: (values: [Double], shape: [Int])) throws(BatchInputError) -> [Double] {
      guard a.shape == [rows, columns] else { throw BatchInputError("\(name) has shape \(a.shape), but response_mask is [\(rows), \(columns)]") }
      return a.values
    }
    let old = try check("old_log_prob", try require("old_log_prob"))
    let advantages = try check("advantages", try require("advantages"))
    var batch: TokenBatch
    if let logits = arrays["logits"] {
      guard logits.shape.count == 3, logits.shape[0] == rows, logits.shape[1] == columns else {
        throw BatchInputError("logits must be [B][L][V] with B = \(rows), L = \(columns); got shape \(logits.shape)")
      }
      let labels = try check("labels", try require("labels"))
      guard labels.allSatisfy({ $0 == $0.rounded() && abs($0) < 1e15 }) else { throw BatchInputError("labels must be whole numbers") }
      do {
        batch = try TokenBatch(rows: rows, columns: columns, logits: logits.values, vocabulary: logits.shape[2],
                               labels: labels.map { Int($0) }, temperature: temperature,
                               oldLogProb: old, advantages: advantages, mask: mask.values)
      } catch { throw BatchInputError("\(error)") }
    } else {
      batch = TokenBatch(rows: rows, columns: columns, logProb: try check("log_prob", try require("log_prob")),
                         oldLogProb: old, advantages: advantages, mask: mask.values)
      if let e = arrays["entropy"] { batch.entropy = try check("entropy", e) }
      if let c = arrays["sum_pi_squared"] { batch.sumPiSquared = try check("sum_pi_squared", c) }
    }
    if let r = arrays["ref_log_prob"] { batch.refLogProb = try check("ref_log_prob", r) }
    if let r = arrays["proxy_log_prob"] { batch.proxyLogProb = try check("proxy_log_prob", r) }
    // A file's numbers must also lie in their ranges (log π ≤ 0, H ≥ 0, Σπ² ∈ (0, 1]).
    do { try batch.validateRanges() } catch { throw BatchInputError("\(error)") }
    return batch
  }
}
