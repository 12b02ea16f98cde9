/// `2^y` on 16 lanes for `y ∈ [−126, 0]`, the range the fused kernels use (arguments are
/// shifted logits in base-2 units, `β log₂e (z − m) ≤ 0`, clamped below by the caller).
///
/// `y = n + f` with `n = round(y)` from the 1.5·2²³ rounding trick and `|f| ≤ 1/2` (both by
/// additions); `2^f` by a degree-5 polynomial fitted for minimal relative error on
/// `[−1/2, 1/2]` with its constant term fixed to 1 (coefficients rounded to `Float`), by
/// Estrin's scheme with fused multiply-adds; `2ⁿ` is added to the exponent bits with an integer
/// add, not a multiply. Relative error below 2.5e-7 (tested); `fastExp2(0) == 1` exactly, and
/// `fastExp2(−127) == 0` exactly (`f = 0`, `n = −127` clears the exponent bits): the kernels
/// clamp there so that underflowed terms vanish. On `(−127, −126.5)` the result is a
/// subnormal below `2⁻¹²⁶`, not `2^y` (an absolute error below 1.2e-38).
@inlinable @inline(__always)
public func fastExp2(_ y: SIMD16<Float>) -> SIMD16<Float> {
  let shifter = SIMD16<Float>(repeating: 12_582_912)  // 1.5 · 2²³: adding it rounds to an integer
  let t = y + shifter
  let f = y - (t - shifter)
  // Estrin's scheme, (c₀ + c₁f) + f²((c₂ + c₃f) + f²(c₄ + c₅f)): one multiply more than
  // Horner's rule but a dependency chain of 3 operations instead of 5, which the kernels'
  // throughput feels (+3% measured: the chains of the in-flight vectors fill the scheduler).
  let f2 = f * f
  let a = SIMD16<Float>(repeating: 1).addingProduct(f, SIMD16<Float>(repeating: 0.693_147_003_650_665_3))
  let b = SIMD16<Float>(repeating: 0.240_222_424_268_722_53).addingProduct(f, SIMD16<Float>(repeating: 0.055_507_335_811_853_41))
  let d = SIMD16<Float>(repeating: 0.009_671_512_991_189_957).addingProduct(f, SIMD16<Float>(repeating: 0.001_326_472_731_307_149))
  let p = a.addingProduct(f2, b.addingProduct(f2, d))
  // The low bits of t hold n (two's complement); shifted by 23 they are n·2²³ modulo 2³².
  let exponent = unsafeBitCast(t, to: SIMD16<UInt32>.self) &<< 23
  return unsafeBitCast(unsafeBitCast(p, to: SIMD16<UInt32>.self) &+ exponent, to: SIMD16<Float>.self)
}

/// `e^x = 2^{x log₂e}` on 16 lanes for `x ∈ [−87.3, 0]`; see ``fastExp2(_:)``.
@inlinable @inline(__always)
public func fastExp(_ x: SIMD16<Float>) -> SIMD16<Float> {
  fastExp2(x * SIMD16<Float>(repeating: 1.442_695_04))
}

/// Sum of the 16 lanes by an explicit pairwise tree (`SIMD.sum()` is slower here).
@inlinable @inline(__always)
public func treeSum(_ v: SIMD16<Float>) -> Float {
  let a = v.lowHalf + v.highHalf
  let b = a.lowHalf + a.highHalf
  let c = b.lowHalf + b.highHalf
  return c[0] + c[1]
}

/// Maximum of the 16 lanes by an explicit tree (NaN lanes are ignored).
@inlinable @inline(__always)
public func treeMax(_ v: SIMD16<Float>) -> Float {
  let a = v.lowHalf.replacing(with: v.highHalf, where: v.highHalf .> v.lowHalf)
  let b = a.lowHalf.replacing(with: a.highHalf, where: a.highHalf .> a.lowHalf)
  let c = b.lowHalf.replacing(with: b.highHalf, where: b.highHalf .> b.lowHalf)
  return c[1] > c[0] ? c[1] : c[0]
}
