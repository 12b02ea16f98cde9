import LogitKernels
import RealModule
import VectorMath

/// Rows this short take ``smallRowStatistics`` instead of the fused kernel, whose fixed cost
/// per row (about 0.25 µs on the development machine) dominates below a few dozen entries.
let smallRowLimit = 64

/// One row's statistics in `Double`, exactly (two passes over at most ``smallRowLimit`` values),
/// with the fused kernel's conventions: `−∞` entries have probability 0; a NaN or `+∞` entry,
/// or no finite entry, flags the row. With `d_i = β(z_i − max z)`, `e_i = exp d_i`, `s = Σ e_i`:
/// `lse = β·max z + log s`, `H = log s − Σ e_i d_i / s`, `C = Σ e_i² / s²`,
/// `Σ p² log p = Σ (e_i/s)² (d_i − log s)`, and the norm factor
/// `√((1 − p_c)² + Σ_{i≠c} p_i²) = √((Σ_{i≠c} e_i)² + Σ_{i≠c} e_i²) / s`, free of cancellation
/// as `p_c → 1`.
func smallRowStatistics(_ source: RowSource, row: Int, chosen: Int?, beta: Double) -> RowStatistics {
  let v = source.vocabulary
  let padded = (v + 7) & ~7
  return withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * padded) { buffer in
    let z = buffer.baseAddress!, e = z + padded
    let first = row * source.rowStride, step = source.columnStride
    switch source.element {
    case .float32:
      let p = source.base.assumingMemoryBound(to: Float.self)
      for i in 0..<v { z[i] = Double(p[first + i * step]) }
    case .float64:
      let p = source.base.assumingMemoryBound(to: Double.self)
      for i in 0..<v { z[i] = p[first + i * step] }
    case .float16:
      let p = source.base.assumingMemoryBound(to: UInt16.self)
      for i in 0..<v { z[i] = Double(halfToFloat(p[first + i * step])) }
    case .bfloat16:
      let p = source.base.assumingMemoryBound(to: UInt16.self)
      for i in 0..<v { z[i] = Double(Float(bitPattern: UInt32(p[first + i * step]) << 16)) }
    }
    var top = -Double.infinity
    for i in 0..<v {
      if z[i].isNaN || z[i] == .infinity { return .flagged }
      top = Swift.max(top, z[i])
    }
    guard top > -.infinity else { return .flagged }
    // d_i = β(z_i − max z) in place, −∞ in the padding; e_i = exp d_i eight lanes at a time
    // (`vectorExp`, relative error below 4e-16).
    for i in 0..<v { z[i] = beta * (z[i] - top) }
    for i in v..<padded { z[i] = -.infinity }
    var i = 0
    while i < padded {
      let d = UnsafeRawPointer(z + i).loadUnaligned(as: SIMD8<Double>.self)
      UnsafeMutableRawPointer(e + i).storeBytes(of: vectorExp(d), as: SIMD8<Double>.self)
      i += 8
    }
    var s = 0.0, ed = 0.0, q = 0.0
    for i in 0..<v {
      s += e[i]
      if e[i] > 0 { ed += e[i] * z[i] }
      q += e[i] * e[i]
    }
    let logS = Double.log(s)
    var w = 0.0
    for i in 0..<v where e[i] > 0 { w += e[i] * e[i] * (z[i] - logS) }
    let collision = q / (s * s)
    var logPc = Double.nan, pc = Double.nan, factor = Double.nan
    if let c = chosen {
      logPc = z[c] - logS
      pc = Double.exp(logPc)
      var sOther = 0.0, qOther = 0.0
      for i in 0..<v where i != c {
        sOther += e[i]
        qOther += e[i] * e[i]
      }
      factor = (sOther * sOther + qOther).squareRoot() / s
    }
    return RowStatistics(
      logSumExp: beta * top + logS, entropy: Swift.max(0, logS - ed / s), collision: collision,
      sumSquaredPLogP: w / (s * s), chosenLogProb: logPc, chosenProb: pc, normFactor: factor, isFinite: true)
  }
}
