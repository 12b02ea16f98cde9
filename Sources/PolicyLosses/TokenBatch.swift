import Diagnostics
import RealModule
import SoftmaxCore

/// A bad loss input, with the message shown to the user.
///
/// The package's one message-error type (``Diagnostics/MessageError``) under this module's name.
public typealias LossError = MessageError

/// One logged batch of response tokens, `[B][L]` arrays flattened row-major (`i = b·L + t`),
/// as the frameworks hold it: current and old log-probs of the sampled tokens, advantages, the
/// response mask (1 = a generated token that counts), optionally the reference log-probs, the
/// entropies, `Σπ²`, and the logits themselves (`[B][L][V]` with the sampled `labels`).
///
/// With logits, the log-probs, entropies and `Σπ²` are computed from `softmax(z/T)` (the
/// trainer's view), and the loss's gradient with respect to the logits is available.
public struct TokenBatch: Sendable {
  /// Rows `B` (sequences) and columns `L` (positions).
  public let rows: Int, columns: Int
  /// `log π(a_t)` under the current policy.
  public var logProb: [Double]
  /// `log π_old(a_t)`.
  public var oldLogProb: [Double]
  /// `A_t`.
  public var advantages: [Double]
  /// Response mask, 0 or 1.
  public var mask: [Double]
  /// `log π_ref(a_t)`, for KL penalties.
  public var refLogProb: [Double]?
  /// `H_t` (nats), for entropy bonuses, masks and STEER.
  public var entropy: [Double]?
  /// `Σ_v π(v)²` per position, for the update-norm factor.
  public var sumPiSquared: [Double]?
  /// `log π_proxy(a_t)`, Lp-Reg's min-p proxy of the old policy
  /// (``LowProbabilityRegularization/proxyLogProb(_:label:minP:temperature:)``).
  public var proxyLogProb: [Double]?
  /// `√(1 − 2p_c + C(p))` per position in its stable form (set from logits; otherwise the loss
  /// forms it from `exp(ℓ)` and `Σπ²`, which loses digits as `p_c → 1`).
  public var updateNormFactor: [Double]?
  /// Logits `[B][L][V]` (nil without them).
  public private(set) var logits: [Double]?
  /// The vocabulary size `V` (0 without logits).
  public private(set) var vocabulary = 0
  /// Sampled token ids (with logits).
  public private(set) var labels: [Int]?
  /// Temperature `T` the logits are divided by.
  public private(set) var temperature = 1.0
  /// With logits: `softmax(z/T)` of every position, flat `[i·V + j]` (`p`, `log p`), and its
  /// entropy — computed once here for the loss's gradient (NaN rows at skipped positions).
  private(set) var softmaxProbabilities: [Double] = [], softmaxLogProbabilities: [Double] = [], softmaxEntropies: [Double] = []

  /// A batch from per-token arrays (each of `rows × columns` values).
  public init(rows: Int, columns: Int, logProb: [Double], oldLogProb: [Double], advantages: [Double], mask: [Double]) {
    self.rows = rows
    self.columns = columns
    self.logProb = logProb
    self.oldLogProb = oldLogProb
    self.advantages = advantages
    self.mask = mask
  }

  /// A batch whose current log-probs, entropies and `Σπ²` come from logits `[B][L][V]` at
  /// temperature `T`: `ℓ = log softmax(z/T)[label]`, `H = lse(z/T) − Σ p z/T`, `C = Σ p²`.
  /// A `−inf` logit is a token of probability 0 and contributes 0 to `H` (verl's formula gives
  /// NaN there).
  ///
  /// - Complexity: O(B·L·V) time and memory (`p` and `log p` of every position are kept).
  public init(rows: Int, columns: Int, logits: [Double], vocabulary: Int, labels: [Int], temperature: Double = 1,
              oldLogProb: [Double], advantages: [Double], mask: [Double]) throws(LossError) {
    guard vocabulary >= 1, logits.count == rows * columns * vocabulary else {
      throw LossError("logits hold \(logits.count) values, expected \(rows)×\(columns)×\(vocabulary)")
    }
    guard labels.count == rows * columns else { throw LossError("labels hold \(labels.count) values, expected \(rows)×\(columns)") }
    guard temperature > 0, temperature.isFinite else { throw LossError("the temperature must be a finite number > 0, got \(temperature)") }
    var logProb = [Double](repeating: 0, count: rows * columns)
    var entropy = logProb, collision = logProb, factor = logProb
    var probabilities = [Double](repeating: .nan, count: rows * columns * vocabulary), logProbabilities = probabilities
    let beta = 1 / temperature
    try logits.withUnsafeBufferPointer { (z: UnsafeBufferPointer<Double>) throws(LossError) in
      try probabilities.withUnsafeMutableBufferPointer { (pb: inout UnsafeMutableBufferPointer<Double>) throws(LossError) in
        try logProbabilities.withUnsafeMutableBufferPointer { (lb: inout UnsafeMutableBufferPointer<Double>) throws(LossError) in
          for i in 0..<(rows * columns) {
            let label = labels[i]
            let row = UnsafeBufferPointer(rebasing: z[(i * vocabulary)..<((i + 1) * vocabulary)])
            guard mask[i] != 0 || row.allSatisfy({ !$0.isNaN }) else {
              logProb[i] = .nan; entropy[i] = .nan; collision[i] = .nan; factor[i] = .nan
              continue
            }
            guard label >= 0, label < vocabulary else {
              if mask[i] == 0 { logProb[i] = .nan; entropy[i] = .nan; collision[i] = .nan; continue }
              throw LossError("label \(label) at row \(i / columns), position \(i % columns) is outside the vocabulary of \(vocabulary)")
            }
            guard row.contains(where: { $0 > -.infinity }), row.allSatisfy({ !$0.isNaN && $0 < .infinity }) else {
              if mask[i] == 0 { logProb[i] = .nan; entropy[i] = .nan; collision[i] = .nan; continue }
              throw LossError("the logits at row \(i / columns), position \(i % columns) are not finite (NaN, +inf, or all -inf)")
            }
            // softmax(z/T) of the row, as SoftmaxDistribution(logits:temperature:) computes it
            // (bit for bit), written straight into the batch's rows.
            let d = SoftmaxRowStatistics.compute(row.baseAddress!, count: vocabulary, inverseTemperature: beta, label: label,
                                                 probabilities: pb.baseAddress! + i * vocabulary, logProbabilities: lb.baseAddress! + i * vocabulary)
            logProb[i] = d.logProb
            entropy[i] = d.entropy
            collision[i] = d.collision
            factor[i] = d.updateNormFactor
          }
        }
      }
    }
    self.init(rows: rows, columns: columns, logProb: logProb, oldLogProb: oldLogProb, advantages: advantages, mask: mask)
    self.entropy = entropy
    self.sumPiSquared = collision
    self.updateNormFactor = factor
    self.logits = logits
    self.vocabulary = vocabulary
    self.labels = labels
    self.temperature = temperature
    softmaxProbabilities = probabilities
    softmaxLogProbabilities = logProbabilities
    softmaxEntropies = entropy
  }

  /// Number of positions `B·L`.
  public var count: Int { rows * columns }

  /// Number of valid tokens `N = Σ m`.
  public var validCount: Int { mask.reduce(0) { $0 + ($1 != 0 ? 1 : 0) } }

  /// Checks shapes, the mask, and the values at valid positions (padded positions may hold
  /// anything, as in the frameworks' tensors).
  public func validate() throws(LossError) {
    guard rows >= 1, columns >= 1 else { throw LossError("the batch is empty (\(rows)×\(columns))") }
    let n = count
    func check(_ name: String, _ values: [Double]?) throws(LossError) {
      guard let values else { return }
      guard values.count == n else { throw LossError("\(name) has \(values.count) values, expected \(rows)×\(columns) = \(n)") }
      for i in 0..<n where mask[i] != 0 && !values[i].isFinite {
        throw LossError("\(name) at row \(i / columns), position \(i % columns) is \(values[i]) (a valid token)")
      }
    }
    guard mask.count == n else { throw LossError("response_mask has \(mask.count) values, expected \(rows)×\(columns) = \(n)") }
    for (i, m) in mask.enumerated() where m != 0 && m != 1 {
      throw LossError("response_mask at row \(i / columns), position \(i % columns) is \(m); it must be 0 or 1")
    }
    guard validCount > 0 else { throw LossError("response_mask has no valid token: there is nothing to average") }
    try check("log_prob", logProb)
    try check("old_log_prob", oldLogProb)
    try check("advantages", advantages)
    try check("ref_log_prob", refLogProb)
    try check("entropy", entropy)
    try check("sum_pi_squared", sumPiSquared)
    try check("proxy_log_prob", proxyLogProb)
  }

  /// Checks that logged quantities lie in their ranges (valid tokens only): log π ≤ 0 for
  /// `log_prob`, `old_log_prob`, `ref_log_prob`; H ≥ 0; Σπ² ∈ (0, 1]; each within
  /// ``rangeSlack``. Batches read from files are checked this way (a log-prob of +5 is a
  /// wrong column, not a number to compute a loss from); ``validate()`` does not require it,
  /// since verl's losses are defined, and tested, on arbitrary finite inputs.
  public func validateRanges() throws(LossError) {
    try validate()
    let n = count
    // The ranges the quantities have: log π ≤ 0, H ≥ 0, Σπ² ∈ (0, 1]; the slack covers the
    // rounding of bf16/fp16 models (a log-prob of +3e-7 is rounding, +5 is a wrong column).
    func range(_ name: String, _ values: [Double]?, _ valid: (Double) -> Bool, _ rule: String) throws(LossError) {
      guard let values else { return }
      for i in 0..<n where mask[i] != 0 && !valid(values[i]) {
        throw LossError("\(name) at row \(i / columns), position \(i % columns) is \(values[i]); \(rule)")
      }
    }
    let slack = Self.rangeSlack
    try range("log_prob", logProb, { $0 <= slack }, "log-probabilities are ≤ 0")
    try range("old_log_prob", oldLogProb, { $0 <= slack }, "log-probabilities are ≤ 0")
    try range("ref_log_prob", refLogProb, { $0 <= slack }, "log-probabilities are ≤ 0")
    try range("proxy_log_prob", proxyLogProb, { $0 <= slack }, "log-probabilities are ≤ 0")
    try range("entropy", entropy, { $0 >= -slack }, "entropies are ≥ 0")
    try range("sum_pi_squared", sumPiSquared, { $0 > 0 && $0 <= 1 + slack }, "Σπ² lies in (0, 1]")
  }

  /// How far outside its range a logged log-probability, entropy or Σπ² may lie before it
  /// is an error rather than rounding: 10⁻⁴ (bf16 rounds log π ≈ 0 to ±4·10⁻³ only when
  /// |log π| ≥ 1; near 0 its spacing is far finer).
  public static let rangeSlack = 1e-4
}
