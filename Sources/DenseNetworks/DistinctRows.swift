/// The distinct rows of a batch of one-hot input. A network's outputs depend on a row's
/// active indices alone, and every product computes each output row by the same fixed-order
/// sum whatever the other rows are, so a batch can run its distinct rows once and read every
/// row's outputs from its representative: the forward values are bit-identical to running
/// all rows. The backward pass is linear in `∂loss/∂outputs` with the activations fixed, so
/// it can run on the distinct rows with each one's output gradients summed over its copies
/// (``sumRows(_:columns:into:)``): `∂θ = Σ_r J_rᵀ δ_r = Σ_u J_uᵀ Σ_{r→u} δ_r` (the same
/// gradient up to the rounding of the order of additions).
///
/// Sequence batches are full of repeated rows: the `G` samples of a prompt share its first
/// position, and as a policy's entropy falls they share their prefixes too.
///
/// Rows are found by open addressing on a hash of their indices; the first occurrence of a
/// row is its representative, and representatives keep the batch's order.
///
/// - Complexity: `O(rows · active)` expected; allocates nothing after `init`.
public final class DistinctRows: @unchecked Sendable {
  /// Active indices per row, and the most rows of a batch.
  public let active: Int, maxRows: Int
  /// `count × active` indices: the distinct rows, in order of first occurrence.
  public let rows: UnsafeMutablePointer<Int32>
  /// `[r]`: the distinct row of batch row `r`.
  public let representative: UnsafeMutablePointer<Int32>
  /// Distinct rows of the last ``build(_:rows:)``.
  public private(set) var count = 0
  /// Batch rows of the last ``build(_:rows:)``.
  public private(set) var batchRows = 0
  let table: UnsafeMutablePointer<Int32>
  let tableCapacity: Int

  /// Room for batches of up to `maxRows` rows of `active` indices.
  public init(active: Int, maxRows: Int) {
    precondition(active >= 1 && maxRows >= 1, "distinct rows of \(active) indices in batches of \(maxRows)")
    self.active = active
    self.maxRows = maxRows
    rows = .allocate(capacity: active * maxRows)
    representative = .allocate(capacity: maxRows)
    var c = 16
    while c < 2 * maxRows { c *= 2 }
    tableCapacity = c
    table = .allocate(capacity: c)
  }

  deinit {
    rows.deallocate()
    representative.deallocate()
    table.deallocate()
  }

  /// Finds the distinct rows of `rows` rows of `indices` (`rows × active`, row-major) and
  /// returns their number.
  @discardableResult
  public func build(_ indices: UnsafePointer<Int32>, rows n: Int) -> Int {
    precondition(n >= 0 && n <= maxRows, "a batch of \(n) rows for distinct rows of at most \(maxRows)")
    let a = active
    // A table at least twice the batch, so that probes stay short.
    var size = 16
    while size < 2 * n { size *= 2 }
    let mask = size - 1
    table.update(repeating: -1, count: size)
    var distinct = 0
    for r in 0..<n {
      let row = indices + r * a
      var h: UInt64 = 0x243F_6A88_85A3_08D3
      for f in 0..<a { h = (h ^ UInt64(UInt32(bitPattern: row[f]))) &* 0x9E37_79B9_7F4A_7C15 }
      var slot = Int(truncatingIfNeeded: h >> 32) & mask
      while true {
        let u = Int(table[slot])
        if u < 0 {
          table[slot] = Int32(distinct)
          (rows + distinct * a).update(from: row, count: a)
          representative[r] = Int32(distinct)
          distinct += 1
          break
        }
        let candidate = rows + u * a
        var same = true
        for f in 0..<a where candidate[f] != row[f] {
          same = false
          break
        }
        if same {
          representative[r] = Int32(u)
          break
        }
        slot = (slot + 1) & mask
      }
    }
    count = distinct
    batchRows = n
    return distinct
  }

  /// `out[u] = Σ_{r → u} x[r]` for the last batch: `x` is `batchRows × columns` (row
  /// stride `columns`), `out` `count × columns`; copies are added in batch order.
  public func sumRows(_ x: UnsafePointer<Float>, columns n: Int, into out: UnsafeMutablePointer<Float>) {
    out.update(repeating: 0, count: count * n)
    for r in 0..<batchRows {
      addRow(x + r * n, into: out + Int(representative[r]) * n, count: n)
    }
  }
}
