/// How per-token losses `λ_{b,t}` become one scalar (verl's `agg_loss`, with its data-parallel
/// arguments). `m` is the mask, `n_b = Σ_t m_{b,t}`, `N = Σ m`, `D` the data-parallel size.
///
/// - `token-mean`: `D · Σ m λ / N_global` (`N_global` = `batch_num_tokens`, default `N`);
/// - `token-sum`: `D · Σ m λ`;
/// - `seq-mean-token-sum`: `D · Σ_{b: n_b > 0} Σ_t m λ / G` (`G` = `global_batch_size`,
///   default the number of rows with a valid token);
/// - `seq-mean-token-sum-norm`: the same divided by `loss_scale_factor` (default: `L`, the
///   padded length of the tensor — not a constant across batches unless set);
/// - `seq-mean-token-mean`: `D · Σ_{b: n_b > 0} (Σ_t m λ / n_b) / G`.
///
/// As in verl, token-mean and token-sum ignore whatever sits at masked positions, while the
/// seq modes multiply by the mask, so a NaN at a padded position makes the loss NaN.
public struct Aggregation: Sendable, Equatable {
  /// The mode names of verl's `loss_agg_mode`.
  public enum Mode: String, Sendable, CaseIterable {
    /// `D · Σ m λ / N_global`.
    case tokenMean = "token-mean"
    /// `D · Σ m λ`.
    case tokenSum = "token-sum"
    /// `D · Σ_{b: n_b > 0} Σ_t m λ / G`.
    case seqMeanTokenSum = "seq-mean-token-sum"
    /// `D · Σ_{b: n_b > 0} (Σ_t m λ / n_b) / G`.
    case seqMeanTokenMean = "seq-mean-token-mean"
    /// `seq-mean-token-sum` divided by `loss_scale_factor` (default `L`).
    case seqMeanTokenSumNorm = "seq-mean-token-sum-norm"
  }

  /// The mode.
  public var mode: Mode
  /// Data-parallel size `D` (`dp_size`).
  public var dataParallelSize = 1
  /// Valid tokens of the global batch (`batch_num_tokens`).
  public var batchNumTokens: Double?
  /// Sequences of the global batch (`global_batch_size`).
  public var globalBatchSize: Double?
  /// `loss_scale_factor` of `seq-mean-token-sum-norm`.
  public var lossScaleFactor: Double?

  /// An aggregation.
  public init(_ mode: Mode, dataParallelSize: Int = 1, batchNumTokens: Double? = nil, globalBatchSize: Double? = nil,
              lossScaleFactor: Double? = nil) {
    self.mode = mode
    self.dataParallelSize = dataParallelSize
    self.batchNumTokens = batchNumTokens
    self.globalBatchSize = globalBatchSize
    self.lossScaleFactor = lossScaleFactor
  }

  /// Checks the arguments as verl does (`D > 1` needs the global counts).
  public func validate() throws(LossError) {
    guard dataParallelSize >= 1 else { throw LossError("dp_size must be at least 1, got \(dataParallelSize)") }
    if dataParallelSize > 1 {
      if mode == .tokenMean, batchNumTokens == nil { throw LossError("batch_num_tokens is required when dp_size > 1") }
      if [.seqMeanTokenSum, .seqMeanTokenMean, .seqMeanTokenSumNorm].contains(mode), globalBatchSize == nil {
        throw LossError("global_batch_size is required when dp_size > 1")
      }
    }
    for (name, v) in [("batch_num_tokens", batchNumTokens), ("global_batch_size", globalBatchSize), ("loss_scale_factor", lossScaleFactor)] {
      if let v, !(v > 0 && v.isFinite) { throw LossError("\(name) must be a finite number > 0, got \(v)") }
    }
  }

  /// The scale of each row's masked sum in the scalar (seq modes), or of every token (token
  /// modes, the same value for all rows).
  func rowScales(mask: [Double], rows: Int, columns: Int) -> [Double] {
    let d = Double(dataParallelSize)
    var perRow = [Double](repeating: 0, count: rows)
    for b in 0..<rows { perRow[b] = (0..<columns).reduce(0.0) { $0 + mask[b * columns + $1] } }
    switch mode {
    case .tokenMean:
      let n = batchNumTokens ?? perRow.reduce(0, +)
      return [Double](repeating: d / n, count: rows)
    case .tokenSum:
      return [Double](repeating: d, count: rows)
    case .seqMeanTokenSum, .seqMeanTokenSumNorm, .seqMeanTokenMean:
      let g = globalBatchSize ?? Double(perRow.filter { $0 > 0 }.count)
      var scale = d / g
      if mode == .seqMeanTokenSumNorm { scale /= lossScaleFactor ?? Double(columns) }
      return perRow.map { n in n > 0 ? (mode == .seqMeanTokenMean ? scale / n : scale) : 0 }
    }
  }

  /// `∂ loss / ∂ λ_i` for every position: the weight of each token's loss in the scalar.
  public func weights(mask: [Double], rows: Int, columns: Int) -> [Double] {
    let scales = rowScales(mask: mask, rows: rows, columns: columns)
    return mask.indices.map { mask[$0] * scales[$0 / columns] }
  }

  /// The aggregated loss of per-token losses `values` (see the type's documentation for the
  /// NaN behaviour at masked positions).
  public func aggregate(_ values: [Double], mask: [Double], rows: Int, columns: Int) -> Double {
    let scales = rowScales(mask: mask, rows: rows, columns: columns)
    var total = 0.0
    for b in 0..<rows {
      var rowSum = 0.0
      var rowHasValid = false
      for t in 0..<columns {
        let i = b * columns + t
        if mask[i] != 0 {
          rowHasValid = true
          rowSum += values[i] * mask[i]
        } else if mode != .tokenMean && mode != .tokenSum {
          rowSum += values[i] * 0  // λ·m in the seq modes: NaN or ±inf at a padded position leaks
        }
      }
      if rowHasValid { total += rowSum * scales[b] }
    }
    return total
  }
}
