import LogitAnalysis
import OutputFormats
import PolicyLosses

/// The `[B][L]` token arrays of a call, as a ``TokenBatch`` (`old_log_prob` defaults to
/// `log_prob`, an on-policy batch; `response_mask` to all ones).
func tokenBatch(
  rows: Int, columns: Int, logProb: UnsafePointer<Double>?, oldLogProb: UnsafePointer<Double>?,
  advantages: UnsafePointer<Double>?, mask: UnsafePointer<Double>?, refLogProb: UnsafePointer<Double>? = nil,
  entropy: UnsafePointer<Double>? = nil, sumPiSquared: UnsafePointer<Double>? = nil
) throws -> TokenBatch {
  let n = rows * columns
  let l = try requiredDoubles(logProb, n, "log_prob")
  let a = try requiredDoubles(advantages, n, "advantages")
  var batch = TokenBatch(rows: rows, columns: columns, logProb: l, oldLogProb: doubles(oldLogProb, n) ?? l, advantages: a,
                         mask: doubles(mask, n) ?? [Double](repeating: 1, count: n))
  batch.refLogProb = doubles(refLogProb, n)
  batch.entropy = doubles(entropy, n)
  batch.sumPiSquared = doubles(sumPiSquared, n)
  try batch.validate()
  return batch
}

/// The scalar part of a loss result, with the key names of `logitdyn loss --json`.
func lossDocument(_ r: LossResult, columns: Int) -> [(String, JSONValue)] {
  var fields: [(String, JSONValue)] = [("loss", .number(r.loss)), ("pg_loss", .number(r.policyLoss))]
  for (key, value) in r.metrics { fields.append((key, .number(value))) }
  fields.append(("n_valid", .integer(r.validCount)))
  if !r.eligible.isEmpty || r.clipNumber > 0 {
    fields.append(("clip_num", .integer(r.clipNumber)))
    fields.append(("n_eligible", .integer(r.eligibleCount)))
    fields.append(("selection_forced", .bool(r.selectionForced)))
    fields.append(("eligible_idx_rowmajor", .array(r.eligible.map { .array([.integer($0 / columns), .integer($0 % columns)]) })))
    fields.append(("randperm", .array(r.permutation.map { .integer($0) })))
  }
  if r.topCount > 0 {
    fields.append(("k", .integer(r.topCount)))
    fields.append(("topk_flat_positions_in_order", .array(r.topPositions.map { .integer($0) })))
  }
  return fields
}

/// `ld_policy_loss`: a published policy loss on a `[rows × cols]` batch of per-token
/// log-probabilities, exactly as `logitdyn loss` (verl-exact; `name` and the `key=value` lines
/// of `params` with verl's names and defaults).
///
/// Writes `∂loss/∂log_prob` to `grad_log_prob[rows·cols]` and the tokens the loss's selection
/// touched (Clip-Cov, KL-Cov, the top-entropy mask) to `selected_mask[rows·cols]` (either may
/// be NULL), and the loss, `pg_loss`, the logged metrics (`pg_clipfrac`, `ppo_kl`, …) and the
/// selection details as a JSON object to `*json_out` (free with `ld_free`).
/// `old_log_prob` NULL means `log_prob`; `mask` NULL means all ones; `ref_log_prob`, `entropy`
/// and `sum_pi_squared` are needed by the KL penalty, the entropy bonus/top-entropy mask/STEER
/// and `normalized_step`.
@_cdecl("ld_policy_loss")
public func ld_policy_loss(
  _ name: UnsafePointer<CChar>?, _ params: UnsafePointer<CChar>?, _ rows: Int64, _ cols: Int64,
  _ logProb: UnsafePointer<Double>?, _ oldLogProb: UnsafePointer<Double>?, _ advantages: UnsafePointer<Double>?,
  _ mask: UnsafePointer<Double>?, _ refLogProb: UnsafePointer<Double>?, _ entropy: UnsafePointer<Double>?,
  _ sumPiSquared: UnsafePointer<Double>?, _ gradLogProb: UnsafeMutablePointer<Double>?,
  _ selectedMask: UnsafeMutablePointer<Double>?, _ jsonOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
  _ error: UnsafeMutablePointer<CChar>?, _ errorCapacity: Int64
) -> Int32 {
  guarded(error, errorCapacity) {
    guard let lossName = string(name) else { throw ABIError("the loss name is NULL") }
    let (b, l, n) = try checkedShape(rows, cols, "the batch")
    let parameters = try VerlParameters.parse(parameterLines(params))
    let loss = try VerlParameters.makeLoss(name: lossName, parameters: parameters)
    let batch = try tokenBatch(rows: b, columns: l, logProb: logProb, oldLogProb: oldLogProb, advantages: advantages, mask: mask,
                               refLogProb: refLogProb, entropy: entropy, sumPiSquared: sumPiSquared)
    let result = try loss.evaluate(batch)
    try emit(.object(lossDocument(result, columns: l)), to: jsonOut)
    if let gradLogProb { for i in 0..<n { gradLogProb[i] = result.gradLogProb[i] } }
    if let selectedMask { for i in 0..<n { selectedMask[i] = result.selectedMask[i] } }
  }
}

/// `ld_cov_select`: the tokens Clip-Cov (`method` 0) or KL-Cov (`method` 1) would select in a
/// `[rows × cols]` batch, per micro-batch as verl computes them inside each micro-batch's loss.
///
/// The rows are split as `torch.split(batch, ⌈rows/micro_batches⌉)`. In each micro-batch, with
/// `cov_i = (log π_i − mean)(A_i − mean)` over its valid tokens: Clip-Cov draws
/// `max(1, ⌊r·N⌋)` of the valid tokens with `lb < cov < ub` that PPO has not clipped
/// (`clip_cov_ratio`, `clip_cov_lb`, `clip_cov_ub`, `clip_ratio_low/high`, `seed`,
/// `torch_manual_seed` in `params`; micro-batch `j` draws with seed `seed + j`); KL-Cov takes
/// the top `max(1, ⌊k·N⌋)` by covariance (`kl_cov_ratio`). Writes 1/0 to
/// `selected[rows·cols]`, and per micro-batch the rows, valid tokens, candidates and count as
/// JSON to `*json_out`.
@_cdecl("ld_cov_select")
public func ld_cov_select(
  _ method: Int32, _ params: UnsafePointer<CChar>?, _ rows: Int64, _ cols: Int64, _ microBatches: Int64,
  _ logProb: UnsafePointer<Double>?, _ oldLogProb: UnsafePointer<Double>?, _ advantages: UnsafePointer<Double>?,
  _ mask: UnsafePointer<Double>?, _ selected: UnsafeMutablePointer<Double>?,
  _ jsonOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ error: UnsafeMutablePointer<CChar>?, _ errorCapacity: Int64
) -> Int32 {
  guarded(error, errorCapacity) {
    guard method == 0 || method == 1 else { throw ABIError("method must be 0 (clip_cov) or 1 (kl_cov), got \(method)") }
    guard let selected else { throw ABIError("the output buffer is NULL") }
    let (b, l, n) = try checkedShape(rows, cols, "the batch")
    guard microBatches >= 1, microBatches <= rows else {
      throw ABIError("micro_batches must be between 1 and the number of rows (\(rows)), got \(microBatches)")
    }
    var parameters = try VerlParameters.parse(parameterLines(params))
    let name = method == 0 ? "clip_cov" : "kl_cov"
    if microBatches > 1, parameters["torch_manual_seed"] != nil {
      throw ABIError("torch_manual_seed replays one torch.randperm; with micro_batches > 1 use seed (micro-batch j draws with seed + j)")
    }
    let seed = UInt64(parameters["seed"] ?? "0")
    guard let seed else { throw ABIError("seed must be a whole number ≥ 0, got '\(parameters["seed"]!)'") }
    let full = try tokenBatch(rows: b, columns: l, logProb: logProb, oldLogProb: oldLogProb, advantages: advantages, mask: mask)
    _ = try VerlParameters.makeLoss(name: name, parameters: parameters)  // the parameters, checked once
    var chunks: [JSONValue] = []
    var marks = [Double](repeating: 0, count: n)
    for (j, range) in CovarianceSelection.microBatchRows(sequences: b, length: l, count: Int(microBatches)).enumerated() {
      let lo = range.lowerBound / l, hi = range.upperBound / l
      let mb = Array(full.mask[range])
      var entry: [(String, JSONValue)] = [("rows", .array([.integer(lo), .integer(hi)]))]
      if mb.contains(where: { $0 != 0 }) {
        let chunk = TokenBatch(rows: hi - lo, columns: l, logProb: Array(full.logProb[range]), oldLogProb: Array(full.oldLogProb[range]),
                               advantages: Array(full.advantages[range]), mask: mb)
        parameters["seed"] = String(seed &+ UInt64(j))
        let result = try VerlParameters.makeLoss(name: name, parameters: parameters).evaluate(chunk)
        for i in range { marks[i] = result.selectedMask[i - range.lowerBound] }
        entry += [("n_valid", .integer(result.validCount)), ("n_selected", .integer(Int(result.selectedMask.reduce(0, +))))]
        if method == 0 { entry += [("n_eligible", .integer(result.eligibleCount)), ("clip_num", .integer(result.clipNumber))] }
      } else {
        entry += [("n_valid", .integer(0)), ("n_selected", .integer(0))]
      }
      chunks.append(.object(entry))
    }
    for i in 0..<n { selected[i] = marks[i] }
    try emit(.object([("method", .string(name)), ("micro_batches", .array(chunks))]), to: jsonOut)
  }
}

/// `ld_token_covariance`: seed 003's token covariance over the valid tokens of `n` tokens,
/// `cov_i = (log π_i − mean log π)(A_i − mean A)` (NaN where `mask` is 0), to `cov_out[n]`,
/// and its top-fraction table (Table 1): for each of the `n_fractions` fractions `f`, the
/// mean covariance of the top `max(1, ⌈f·N⌉)` valid tokens, to
/// `table_out[3·k] = (f, count, mean)`. `mask` NULL means all ones.
@_cdecl("ld_token_covariance")
public func ld_token_covariance(
  _ count: Int64, _ logProb: UnsafePointer<Double>?, _ advantages: UnsafePointer<Double>?, _ mask: UnsafePointer<Double>?,
  _ fractionCount: Int64, _ fractions: UnsafePointer<Double>?, _ covOut: UnsafeMutablePointer<Double>?,
  _ tableOut: UnsafeMutablePointer<Double>?, _ error: UnsafeMutablePointer<CChar>?, _ errorCapacity: Int64
) -> Int32 {
  guarded(error, errorCapacity) {
    guard let covOut else { throw ABIError("the output buffer is NULL") }
    let (_, _, n) = try checkedShape(1, count, "the token arrays")
    let batch = try tokenBatch(rows: 1, columns: n, logProb: logProb, oldLogProb: nil, advantages: advantages, mask: mask)
    guard fractionCount >= 0, fractionCount <= 1000 else { throw ABIError("between 0 and 1000 fractions, got \(fractionCount)") }
    let f = doubles(fractions, Int(fractionCount)) ?? []
    for x in f where !(x > 0 && x <= 1) { throw ABIError("each fraction must lie in (0, 1], got \(x)") }
    guard f.isEmpty || tableOut != nil else { throw ABIError("the table buffer is NULL") }
    let cov = TokenCovariance.compute(logProbs: batch.logProb, advantages: batch.advantages, valid: batch.mask.map { $0 != 0 })
    for i in 0..<n { covOut[i] = cov[i] }
    if let tableOut, !f.isEmpty {
      for (k, row) in TokenCovariance.topMeans(cov, fractions: f).enumerated() {
        tableOut[3 * k] = row.fraction
        tableOut[3 * k + 1] = Double(row.count)
        tableOut[3 * k + 2] = row.mean
      }
    }
  }
}
