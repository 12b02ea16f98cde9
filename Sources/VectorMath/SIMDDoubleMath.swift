import KernelIntrinsics

// Double-precision vector functions on 8 lanes for the lab's vectorised runners: accurate to a
// few units in the last place (tested against the C library), branch-free, with fused
// multiply-adds. They assume the target CPU option of this package (see Package.swift).

/// `eˣ` on 8 lanes, relative error below 4e-16 for `x ∈ [−708, 709]`; `0` below `−708.39`
/// (subnormal results are flushed to zero).
///
/// `x = n ln 2 + r` with `n = round(x log₂e)` (the `1.5·2⁵²` rounding trick) and `ln 2` split
/// in two parts so `r` is exact; `eʳ` for `|r| ≤ 0.347` by its Taylor polynomial of degree 13
/// (truncation below 4e-18) in Horner form; `2ⁿ` added to the exponent bits.
@inlinable @inline(__always)
public func vectorExp(_ x: SIMD8<Double>) -> SIMD8<Double> {
  let shifter = SIMD8<Double>(repeating: 0x1.8p52)
  let scaled = x * SIMD8(repeating: 1.442_695_040_888_963_4)
  let tn = scaled + shifter
  let n = tn - shifter
  var r = x.addingProduct(n, SIMD8(repeating: -0x1.62e42fefa3800p-1))  // ln 2, high part (exact n·hi)
  r = r.addingProduct(n, SIMD8(repeating: -0x1.ef35793c76730p-45))  // ln 2, low part
  var p = SIMD8<Double>(repeating: 1.0 / 6_227_020_800)  // 1/13!
  p = SIMD8(repeating: 1.0 / 479_001_600).addingProduct(p, r)
  p = SIMD8(repeating: 1.0 / 39_916_800).addingProduct(p, r)
  p = SIMD8(repeating: 1.0 / 3_628_800).addingProduct(p, r)
  p = SIMD8(repeating: 1.0 / 362_880).addingProduct(p, r)
  p = SIMD8(repeating: 1.0 / 40_320).addingProduct(p, r)
  p = SIMD8(repeating: 1.0 / 5_040).addingProduct(p, r)
  p = SIMD8(repeating: 1.0 / 720).addingProduct(p, r)
  p = SIMD8(repeating: 1.0 / 120).addingProduct(p, r)
  p = SIMD8(repeating: 1.0 / 24).addingProduct(p, r)
  p = SIMD8(repeating: 1.0 / 6).addingProduct(p, r)
  p = SIMD8(repeating: 0.5).addingProduct(p, r)
  p = SIMD8(repeating: 1).addingProduct(p, r)
  p = SIMD8(repeating: 1).addingProduct(p, r)
  // The low bits of tn hold n (two's complement); n·2⁵² added to the bits of p scales by 2ⁿ.
  let exponent = unsafeBitCast(tn, to: SIMD8<UInt64>.self) &<< 52
  let resultBits = unsafeBitCast(p, to: SIMD8<Int64>.self) &+ unsafeBitCast(exponent, to: SIMD8<Int64>.self)
  // Flush to zero below −708.39 with bit operations (a vector comparison here is scalarised).
  let underflow = laneSignMask(x - SIMD8(repeating: -708.39))
  return unsafeBitCast(resultBits & ~underflow, to: SIMD8<Double>.self)
}

/// All-ones in the lanes whose sign bit is set (`x < 0` or `x = −0`), zero elsewhere: an
/// arithmetic shift of the bits. Comparisons of `SIMD8<Double>` that the compiler turns into
/// per-lane branches are written with this instead (`a < b` as `laneSignMask(a − b)`).
@inlinable @inline(__always)
public func laneSignMask(_ x: SIMD8<Double>) -> SIMD8<Int64> {
  unsafeBitCast(x, to: SIMD8<Int64>.self) &>> 63
}

/// All-ones in the lanes where `a ≠ b`, zero where equal (integer lanes, bit operations only).
@inlinable @inline(__always)
public func laneNotEqualMask(_ a: SIMD8<Int64>, _ b: SIMD8<Int64>) -> SIMD8<Int64> {
  let d = a &- b
  return (d | (0 &- d)) &>> 63
}

/// `mask ? a : b` per lane, for an all-ones/all-zeros `mask`, by bit operations.
@inlinable @inline(__always)
public func laneSelect(_ mask: SIMD8<Int64>, _ a: SIMD8<Double>, _ b: SIMD8<Double>) -> SIMD8<Double> {
  let m = mask
  let bits = (unsafeBitCast(a, to: SIMD8<Int64>.self) & m) | (unsafeBitCast(b, to: SIMD8<Int64>.self) & ~m)
  return unsafeBitCast(bits, to: SIMD8<Double>.self)
}

/// `|x|` per lane (sign bit cleared).
@inlinable @inline(__always)
public func laneAbs(_ x: SIMD8<Double>) -> SIMD8<Double> {
  unsafeBitCast(unsafeBitCast(x, to: SIMD8<Int64>.self) & SIMD8(repeating: Int64.max), to: SIMD8<Double>.self)
}

/// `√x` per lane, correctly rounded (IEEE square root), as one vector instruction.
@inlinable @inline(__always)
public func vectorSqrt(_ x: SIMD8<Double>) -> SIMD8<Double> { logitdyn_sqrt8(x) }

/// Natural logarithm on 8 lanes for positive normal `x`, error below 2 ulp.
///
/// `x = m·2ᵉ` with `m ∈ [√½, √2)` (integer operations on the bits), `log m = 2 atanh s` with
/// `s = (m − 1)/(m + 1)`, `|s| ≤ 0.172`, by its odd series to `s²¹` (truncation below 3e-17),
/// then `e·ln 2` added in two parts.
@inlinable @inline(__always)
public func vectorLog(_ x: SIMD8<Double>) -> SIMD8<Double> {
  let sqrtHalfBits = SIMD8<Int64>(repeating: 0x3FE6_A09E_667F_3BCD)
  let bits = unsafeBitCast(x, to: SIMD8<Int64>.self) &- sqrtHalfBits
  let e = bits &>> 52
  let mBits = (bits & SIMD8(repeating: 0x000F_FFFF_FFFF_FFFF)) &+ sqrtHalfBits
  let m = unsafeBitCast(mBits, to: SIMD8<Double>.self)
  let s = (m - 1) / (m + 1)
  let s2 = s * s
  var q = SIMD8<Double>(repeating: 1.0 / 21)
  q = SIMD8(repeating: 1.0 / 19).addingProduct(q, s2)
  q = SIMD8(repeating: 1.0 / 17).addingProduct(q, s2)
  q = SIMD8(repeating: 1.0 / 15).addingProduct(q, s2)
  q = SIMD8(repeating: 1.0 / 13).addingProduct(q, s2)
  q = SIMD8(repeating: 1.0 / 11).addingProduct(q, s2)
  q = SIMD8(repeating: 1.0 / 9).addingProduct(q, s2)
  q = SIMD8(repeating: 1.0 / 7).addingProduct(q, s2)
  q = SIMD8(repeating: 1.0 / 5).addingProduct(q, s2)
  q = SIMD8(repeating: 1.0 / 3).addingProduct(q, s2)
  // log m = 2s + 2s·s²·q
  let twoS = s + s
  let logM = twoS.addingProduct(twoS * s2, q)
  let ed = exactDoubleFromInt(e)
  // e·ln2_hi is exact (ln2_hi has 11 trailing zero bits); the low part joins log m.
  return logM.addingProduct(ed, SIMD8(repeating: 0x1.ef35793c76730p-45))
    .addingProduct(ed, SIMD8(repeating: 0x1.62e42fefa3800p-1))
}

/// `Double(e)` for small integers (`|e| < 2⁵¹`) in lanes, via the `1.5·2⁵²` bias.
@inlinable @inline(__always)
func exactDoubleFromInt(_ e: SIMD8<Int64>) -> SIMD8<Double> {
  let biasBits = SIMD8<Int64>(repeating: 0x4338_0000_0000_0000)  // 1.5·2⁵²
  return unsafeBitCast(e &+ biasBits, to: SIMD8<Double>.self) - SIMD8(repeating: 0x1.8p52)
}

/// `cos 2πu` on 8 lanes for any finite `u` (used with `u ∈ [0, 1)`), absolute error below 3e-16.
///
/// Reduced to `a = |u − round u| ∈ [0, ½]`, folded to `b ∈ [0, ¼]` by `cos 2πa = −cos 2π(½ − a)`,
/// then the Taylor polynomial of `cos x`, `x = 2πb ≤ π/2`, to `x²⁰` (truncation below 2e-17).
@inlinable @inline(__always)
public func vectorCos2Pi(_ u: SIMD8<Double>) -> SIMD8<Double> {
  // Round to nearest with the 1.5·2⁵² trick (|u| < 2⁵¹), branch-free.
  let shifter = SIMD8<Double>(repeating: 0x1.8p52)
  let absA = laneAbs(u - ((u + shifter) - shifter))
  let flip = laneSignMask(SIMD8(repeating: 0.25) - absA)
  let b = laneSelect(flip, SIMD8(repeating: 0.5) - absA, absA)
  let x = b * SIMD8(repeating: 2 * Double.pi)
  let x2 = x * x
  var c = SIMD8<Double>(repeating: 1.0 / 2_432_902_008_176_640_000)  // 1/20!
  c = SIMD8(repeating: -1.0 / 6_402_373_705_728_000).addingProduct(c, x2)  // −1/18!
  c = SIMD8(repeating: 1.0 / 20_922_789_888_000).addingProduct(c, x2)  // 1/16!
  c = SIMD8(repeating: -1.0 / 87_178_291_200).addingProduct(c, x2)  // −1/14!
  c = SIMD8(repeating: 1.0 / 479_001_600).addingProduct(c, x2)  // 1/12!
  c = SIMD8(repeating: -1.0 / 3_628_800).addingProduct(c, x2)  // −1/10!
  c = SIMD8(repeating: 1.0 / 40_320).addingProduct(c, x2)  // 1/8!
  c = SIMD8(repeating: -1.0 / 720).addingProduct(c, x2)  // −1/6!
  c = SIMD8(repeating: 1.0 / 24).addingProduct(c, x2)  // 1/4!
  c = SIMD8(repeating: -0.5).addingProduct(c, x2)
  c = SIMD8(repeating: 1).addingProduct(c, x2)
  return unsafeBitCast(unsafeBitCast(c, to: SIMD8<Int64>.self) ^ (flip & SIMD8(repeating: Int64.min)), to: SIMD8<Double>.self)
}

/// Sum of 8 lanes by a fixed pairwise tree (the same order on every call).
@inlinable @inline(__always)
public func treeSum(_ v: SIMD8<Double>) -> Double {
  let a = v.lowHalf + v.highHalf
  let b = a.lowHalf + a.highHalf
  return b[0] + b[1]
}

/// Maximum of 8 lanes, in lane order (comparisons, not `max`: NaN lanes after the first are
/// skipped).
@inlinable @inline(__always)
public func laneMax(_ v: SIMD8<Double>) -> Double {
  var m = v[0]
  for i in 1..<8 where v[i] > m { m = v[i] }
  return m
}
