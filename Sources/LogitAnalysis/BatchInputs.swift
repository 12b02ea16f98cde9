import Diagnostics
import LogitKernels
import TensorIO

/// The names under which the analyzer looks for each tensor (the first present is used).
public struct TensorNames: Sendable {
  /// Names of the logits (or full log-probabilities), `[T, V]` or `[B, L, V]`.
  public var logits: [String] = ["logits", "log_probs_full", "logprobs_full"]
  /// Names of the sampled token ids.
  public var tokens: [String] = ["tokens", "labels", "responses", "response_ids", "input_ids"]
  /// Names of the advantages (per token or per sequence).
  public var advantages: [String] = ["advantages", "advantage"]
  /// Names of the response mask.
  public var mask: [String] = ["response_mask", "mask", "attention_mask", "loss_mask"]
  /// Names of the old policy's log-probabilities of the sampled tokens.
  public var oldLogProbs: [String] = ["old_log_probs", "old_log_prob", "old_logprobs"]

  /// The default names.
  public init() {}
}

/// A logged batch as the analyzer sees it: the logit matrix `[T × V]` (from `[T, V]` or
/// `[B, L, V]`) and the optional per-token tensors, validated against one another.
public struct LogitBatch: Sendable {
  /// The logits (or full log-probabilities: the statistics are shift-invariant).
  public let logits: Tensor
  /// Rows `T = B·L`.
  public let rows: Int
  /// `(B, L)` when the logits are `[B, L, V]`, else `(1, T)`.
  public let batch: Int, length: Int
  /// Vocabulary `V`.
  public let vocabulary: Int
  /// Chosen token per row (nil: not given; rows masked out may hold padding ids such as −100).
  public let tokens: [Int]?
  /// Advantage per row (broadcast from `[B]` when given per sequence).
  public let advantages: [Double]?
  /// Validity per row (all true when no mask is given).
  public let mask: [Bool]
  /// Old log-probability per row.
  public let oldLogProbs: [Double]?
  /// Where each tensor came from (for the summary).
  public let provenance: [String: String]

  /// Selects and validates the tensors among `tensors`.
  ///
  /// - Throws: ``BatchInputError`` naming the tensor and the problem: missing logits, a
  ///   non-float logit dtype, a shape mismatch, a non-integer or out-of-vocabulary token at a
  ///   valid position, NaN advantages at valid positions, a mask that selects no token.
  public init(tensors: [Tensor], names: TensorNames = TensorNames()) throws(BatchInputError) {
    func find(_ candidates: [String], _ role: String) throws(BatchInputError) -> Tensor? {
      for name in candidates {
        let hits = tensors.filter { $0.name == name }
        if hits.count > 1 {
          throw BatchInputError("two tensors are named '\(name)' (\(hits.map { $0.file.path }.joined(separator: ", "))): name the \(role) tensor explicitly")
        }
        if let t = hits.first { return t }
      }
      return nil
    }
    guard let logits = try find(names.logits, "logits") else {
      let available = tensors.map(\.summary).joined(separator: "; ")
      throw BatchInputError("no logits tensor named \(names.logits.map { "'\($0)'" }.joined(separator: " or ")) (found: \(available.isEmpty ? "none" : available)); use --logits NAME")
    }
    guard logits.dtype.isFloatingPoint else {
      throw BatchInputError("logits '\(logits.name)' have dtype \(logits.dtype.rawValue); expected float32, float16, bfloat16 or float64 (for bf16 stored as uint16 pass --bf16)")
    }
    switch logits.shape.count {
    case 2:
      batch = 1
      length = logits.shape[0]
    case 3:
      batch = logits.shape[0]
      length = logits.shape[1]
    default:
      throw BatchInputError("logits '\(logits.name)' have shape \(logits.shape); expected [T, V] or [B, L, V]")
    }
    if logits.fortranOrder && logits.shape.count == 3 {
      throw BatchInputError("logits '\(logits.name)' are [B, L, V] in Fortran order; save them C-ordered (np.ascontiguousarray) or as [T, V]")
    }
    self.logits = logits
    rows = batch * length
    vocabulary = logits.shape.last!
    guard vocabulary >= 1 else { throw BatchInputError("logits '\(logits.name)' have an empty vocabulary dimension") }
    var provenance = ["logits": "\(logits.file.path):\(logits.summary)"]

    let rowCount = rows
    let b = batch, l = length
    func perToken(_ t: Tensor, _ role: String, allowPerSequence: Bool = false) throws(BatchInputError) -> [Double] {
      let shape = t.shape
      let values = t.doubles()
      if shape == [rowCount] || shape == [b, l] { return values }
      if allowPerSequence && logits.shape.count == 3 && (shape == [b] || shape == [b, 1]) {
        return (0..<rowCount).map { values[$0 / l] }
      }
      let expected = logits.shape.count == 3 ? "[\(b), \(l)] or [\(rowCount)]" : "[\(rowCount)]"
      throw BatchInputError("\(role) '\(t.name)' has shape \(shape) but the logits \(logits.shape) need \(expected)\(allowPerSequence && logits.shape.count == 3 ? " (or [\(b)] per sequence)" : "")")
    }

    if let m = try find(names.mask, "mask") {
      mask = try perToken(m, "mask").map { $0 != 0 && !$0.isNaN }
      provenance["mask"] = "\(m.file.path):\(m.summary)"
    } else {
      mask = [Bool](repeating: true, count: rows)
    }
    if rows > 0 && !mask.contains(true) {
      throw BatchInputError("the mask selects no token: all \(rows) positions are masked out")
    }

    if let t = try find(names.tokens, "tokens") {
      let raw = try perToken(t, "tokens")
      var ids = [Int](repeating: -1, count: rows)
      for i in 0..<rows {
        let v = raw[i]
        if !mask[i] {
          ids[i] = v >= 0 && v < Double(vocabulary) && v == v.rounded() ? Int(v) : -1
          continue
        }
        guard v.isFinite, v == v.rounded() else {
          throw BatchInputError("token at \(Self.position(i, length: l, batched: logits.shape.count == 3)) is \(v), not an integer id")
        }
        guard v >= 0, v < Double(vocabulary) else {
          throw BatchInputError("token at \(Self.position(i, length: l, batched: logits.shape.count == 3)) is \(Int64(exactly: v).map(String.init) ?? "\(v)"), outside the vocabulary 0..<\(vocabulary)")
        }
        ids[i] = Int(v)
      }
      tokens = ids
      provenance["tokens"] = "\(t.file.path):\(t.summary)"
    } else {
      tokens = nil
    }

    if let a = try find(names.advantages, "advantages") {
      let values = try perToken(a, "advantages", allowPerSequence: true)
      for i in 0..<rows where mask[i] && !values[i].isFinite {
        throw BatchInputError("advantage at \(Self.position(i, length: l, batched: logits.shape.count == 3)) is \(values[i])")
      }
      advantages = values
      provenance["advantages"] = "\(a.file.path):\(a.summary)"
    } else {
      advantages = nil
    }

    if let o = try find(names.oldLogProbs, "old log-probs") {
      let values = try perToken(o, "old log-probs")
      for i in 0..<rows where mask[i] && (values[i].isNaN || values[i] > 1e-6) {
        throw BatchInputError("old log-prob at \(Self.position(i, length: l, batched: logits.shape.count == 3)) is \(values[i]); log-probabilities are ≤ 0")
      }
      oldLogProbs = values
      provenance["old_log_probs"] = "\(o.file.path):\(o.summary)"
    } else {
      oldLogProbs = nil
    }
    self.provenance = provenance
  }

  /// `"(b, l)"` or `"t"` for row `i`.
  static func position(_ i: Int, length: Int, batched: Bool) -> String {
    batched ? "(\(i / length), \(i % length))" : "\(i)"
  }

  /// The kernel's view of the logit matrix.
  public var rowSource: RowSource {
    let element: RowSource.Element
    switch logits.dtype {
    case .float32: element = .float32
    case .float16: element = .float16
    case .bfloat16: element = .bfloat16
    default: element = .float64
    }
    let base = logits.bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 0x10)!
    if logits.fortranOrder {
      // Column-major [T, V] (or [B, L, V]): element (r, v) at r + v·T.
      return RowSource(base: base, element: element, rows: rows, vocabulary: vocabulary, rowStride: 1, columnStride: rows)
    }
    return RowSource(base: base, element: element, rows: rows, vocabulary: vocabulary)
  }
}

/// A problem with the tensors given to the analyzer.
///
/// The package's one message-error type (``Diagnostics/MessageError``) under this module's name.
public typealias BatchInputError = MessageError
