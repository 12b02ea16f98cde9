import LogitKernels

/// The number of per-row fields `ld_token_stats` writes (the layout of its `out`).
let tokenStatFields = 9

/// `ld_token_stats`: the fused kernel over a `[rows × vocab]` logit matrix in place (no copy).
///
/// With `p = softmax(z/τ)` per row and chosen token `c = tokens[r·token_stride]`, writes
/// `out[k·rows + r]` for field `k`:
/// 0 `lse(z/τ)`, 1 entropy `H = −Σ p log p`, 2 collision `C = Σ p²`, 3 `Σ p² log p`,
/// 4 `log p_c`, 5 `p_c`, 6 the update-norm factor `√(1 − 2p_c + C)` (seed 002),
/// 7 the first-order entropy change of `Δz = ηAβ(e_c − p)` per unit `ηA`,
/// `−β²(p_c(log p_c + H) − Σp² log p − H·C)` (seeds 003/004), 8 `1` when the row was usable.
/// Fields 4–7 are NaN without `tokens`. Element `(r, v)` is at
/// `logits + (r·row_stride + v·col_stride)·size(dtype)` (strides in elements).
///
/// `flags`: bit 0 (`LD_ALLOW_NONFINITE`) — a row with NaN or `+∞` (or no finite entry) gets NaN
/// fields and field 8 = 0 instead of an error naming it; bit 1 (`LD_NO_SECOND_MOMENT`) — skip
/// `Σ p² log p` (about 5% faster; fields 3 and 7 are NaN).
/// Bit-identical for any `threads`. Rows of at most 64 entries are computed in `Double`
/// (exactly, one after another); longer ones by the fused kernel in `Float` with `Double`
/// accumulation (relative error ~1e-6).
@_cdecl("ld_token_stats")
public func ld_token_stats(
  _ logits: UnsafeRawPointer?, _ dtype: Int32, _ rows: Int64, _ vocab: Int64, _ rowStride: Int64, _ colStride: Int64,
  _ tokens: UnsafePointer<Int64>?, _ tokenStride: Int64, _ temperature: Double, _ threads: Int32, _ flags: Int32,
  _ out: UnsafeMutablePointer<Double>?, _ error: UnsafeMutablePointer<CChar>?, _ errorCapacity: Int64
) -> Int32 {
  guarded(error, errorCapacity) {
    guard let logits else { throw ABIError("logits is NULL") }
    guard let out else { throw ABIError("the output buffer is NULL") }
    let element: RowSource.Element
    switch dtype {
    case 0: element = .float32
    case 1: element = .float16
    case 2: element = .bfloat16
    case 3: element = .float64
    default: throw ABIError("unknown dtype code \(dtype) (0 float32, 1 float16, 2 bfloat16, 3 float64)")
    }
    guard rows >= 0 else { throw ABIError("rows must be ≥ 0, got \(rows)") }
    guard vocab >= 1 else { throw ABIError("the vocabulary must have at least one entry, got \(vocab)") }
    guard vocab <= 1 << 31 else { throw ABIError("vocabulary \(vocab) exceeds the kernel's limit of 2^31") }
    guard temperature > 0, temperature.isFinite else { throw ABIError("temperature must be a finite number > 0, got \(temperature)") }
    guard threads >= 1, threads <= 4096 else { throw ABIError("threads must be between 1 and 4096, got \(threads)") }
    guard colStride != 0 || vocab == 1 else { throw ABIError("col_stride is 0: every entry of a row would be the same element") }
    let allowNonfinite = flags & 1 != 0, secondMoment = flags & 2 == 0
    guard flags & ~3 == 0 else { throw ABIError("unknown flags \(flags) (1 allow non-finite rows, 2 skip the second moment)") }
    let n = Int(rows), v = Int(vocab)
    if n == 0 { return }
    var chosen: [Int]? = nil
    if let tokens {
      var ids = [Int](repeating: 0, count: n)
      for r in 0..<n {
        let id = tokens[r * Int(tokenStride)]
        guard id >= 0, id < vocab else { throw ABIError("tokens[\(r)] = \(id) is outside the vocabulary 0..<\(vocab)") }
        ids[r] = Int(id)
      }
      chosen = ids
    }
    let source = RowSource(base: logits, element: element, rows: n, vocabulary: v, rowStride: Int(rowStride), columnStride: Int(colStride))
    let beta = 1 / temperature
    // Short rows in Double, one after another (the kernel's fixed cost per row would dominate);
    // the rest through the fused kernel on `threads` workers.
    let results = v <= smallRowLimit
      ? (0..<n).map { smallRowStatistics(source, row: $0, chosen: chosen?[$0], beta: beta) }
      : BatchKernel.run(source, chosen: chosen, inverseTemperature: Float(beta), threads: Int(threads), secondMoment: secondMoment)
    if !allowNonfinite, let bad = results.firstIndex(where: { !$0.isFinite }) {
      throw ABIError("row \(bad) of the logits has a NaN or +inf entry (or no finite entry); pass allow_nonfinite to get NaN for such rows")
    }
    for (r, s) in results.enumerated() {
      out[r] = s.logSumExp
      out[n + r] = s.entropy
      out[2 * n + r] = s.collision
      out[3 * n + r] = secondMoment ? s.sumSquaredPLogP : .nan
      out[4 * n + r] = chosen == nil ? .nan : s.chosenLogProb
      out[5 * n + r] = chosen == nil ? .nan : s.chosenProb
      out[6 * n + r] = chosen == nil ? .nan : s.normFactor
      out[7 * n + r] = chosen == nil || !s.isFinite || !secondMoment ? .nan : s.entropyChangePerUnitStep(inverseTemperature: beta)
      out[8 * n + r] = s.isFinite ? 1 : 0
    }
  }
}
