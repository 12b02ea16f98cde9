import KernelIntrinsics

/// `2^y` on 16 lanes, for `y ≤ 127`; exactly 0 for `y ≤ −127`; NaN gives NaN.
///
/// The fused kernels pass shifted logits in base-2 units, `β log₂e (z − μ) ≤ 0`, already
/// clamped at −127, to ``clampedExp2(_:)``; this function clamps and calls it.
///
/// Accuracy: relative error below 2e-7 (1.7e-7 observed) with AVX-512, below 1.5e-7 (1.2e-7
/// observed) with AVX2+FMA, below 2.5e-7 (1.9e-7) on the portable path, for `y ≥ −126`; for `−127 < y < −126` a value below `2⁻¹²⁶` (an absolute
/// error below 1.2e-38, not `2^y` to relative accuracy). `fastExp2(0) == 1` exactly.
@inlinable @inline(__always)
public func fastExp2(_ y: SIMD16<Float>) -> SIMD16<Float> {
  let lo = SIMD16<Float>(repeating: -127)
  return clampedExp2(y.replacing(with: lo, where: lo .> y))  // one vmaxps; a NaN stays
}

/// ``fastExp2(_:)`` for `−127 ≤ y ≤ 127` or NaN (the caller clamps; outside, garbage).
///
/// With AVX-512 (`LOGITDYN_HAS_AVX512`), ``logitdyn_exp2_table``: `y = k + r`, `k` a multiple
/// of 1/32, `|r| ≤ 1/64`; a 32-entry table (one `vpermt2ps`) whose entries, with a shift and
/// an integer add, also carry `2^⌊k⌋` in their exponent bits; `2^r` by a degree-2 polynomial
/// (5.3e-8) combined by fused multiply-adds. Three operations on the multiply-add pipes
/// (lookup, multiply, two multiply-adds; the shift and the integer add run beside them),
/// against six for the polynomial below: the kernels are bound by those pipes.
///
/// With AVX2 and FMA but no AVX-512 (`LOGITDYN_HAS_AVX2_FMA`: most AMD EPYC and older Intel
/// servers), ``logitdyn_exp2_table8``: the same scheme with an 8-entry table (one `vpermps`
/// per 8 lanes), `k` a multiple of 1/8, `|r| ≤ 1/16`, `2^r` by a degree-3 polynomial
/// (1.3e-7 in all): 10 operations per 8 lanes against the polynomial's 13, and no NaN blend.
///
/// Elsewhere (a portable build, other CPUs; a table lookup would be a slow loop): `y = n + f`,
/// `n = round(y)` by the 1.5·2²³ rounding trick, `|f| ≤ 1/2`, `2^f` by a degree-5 polynomial
/// fitted for minimal relative error on `[−1/2, 1/2]` with its constant term fixed to 1, by
/// Estrin's scheme, and `n` added to its exponent bits.
@_transparent
public func clampedExp2(_ y: SIMD16<Float>) -> SIMD16<Float> {
  LOGITDYN_HAS_AVX512 != 0 ? tableExp2(y) : LOGITDYN_HAS_AVX2_FMA != 0 ? table8Exp2(y) : polynomialExp2(y)
}

/// ``clampedExp2(_:)`` by the 8-entry table (``logitdyn_exp2_table8``; needs AVX2 to be fast).
@_transparent @usableFromInline
func table8Exp2(_ y: SIMD16<Float>) -> SIMD16<Float> { logitdyn_exp2_table8(y) }

/// ``clampedExp2(_:)`` by the 32-entry table (``logitdyn_exp2_table``; needs AVX-512 to be
/// fast).
@_transparent @usableFromInline
func tableExp2(_ y: SIMD16<Float>) -> SIMD16<Float> { logitdyn_exp2_table(y) }

/// ``clampedExp2(_:)`` by the degree-5 polynomial (CPUs without AVX2+FMA, or
/// `LOGITDYN_EXP2=polynomial`).
@_transparent @usableFromInline
func polynomialExp2(_ yc: SIMD16<Float>) -> SIMD16<Float> {
  let shifter = SIMD16<Float>(repeating: 12_582_912)  // 1.5 · 2²³: adding it rounds to an integer
  let t = yc + shifter
  let f = yc - (t - shifter)
  // Estrin's scheme, (c₀ + c₁f) + f²((c₂ + c₃f) + f²(c₄ + c₅f)): a dependency chain of 3
  // operations instead of Horner's 5.
  let f2 = f * f
  let a = SIMD16<Float>(repeating: 1).addingProduct(f, SIMD16<Float>(repeating: 0.693_147_003_650_665_3))
  let b = SIMD16<Float>(repeating: 0.240_222_424_268_722_53).addingProduct(f, SIMD16<Float>(repeating: 0.055_507_335_811_853_41))
  let d = SIMD16<Float>(repeating: 0.009_671_512_991_189_957).addingProduct(f, SIMD16<Float>(repeating: 0.001_326_472_731_307_149))
  let p = a.addingProduct(f2, b.addingProduct(f2, d))
  // The low bits of t hold n (two's complement); shifted by 23 they are n·2²³ modulo 2³²,
  // added to the exponent bits of p (n = −127 with f = 0 clears them: exactly 0). Multiplying
  // by a 2ⁿ built in the bits instead is what LLVM turns into a scalar `ldexp` per lane.
  let exponent = unsafeBitCast(t, to: SIMD16<UInt32>.self) &<< 23
  let e = unsafeBitCast(unsafeBitCast(p, to: SIMD16<UInt32>.self) &+ exponent, to: SIMD16<Float>.self)
  // The integer add would turn a NaN whose payload has low bits set into a number.
  return e.replacing(with: yc, where: yc .!= yc)
}

/// `e^x = 2^{x log₂e}` on 16 lanes for `x ≤ 88`; see ``fastExp2(_:)``.
@inlinable @inline(__always)
public func fastExp(_ x: SIMD16<Float>) -> SIMD16<Float> {
  fastExp2(x * SIMD16<Float>(repeating: 1.442_695_04))
}

/// Sum of the 16 lanes by an explicit pairwise tree, `Σ` of the halves added lane by lane
/// (``logitdyn_tree_sum``; `SIMD.sum()` is slower here).
@inlinable @inline(__always)
public func treeSum(_ v: SIMD16<Float>) -> Float { logitdyn_tree_sum(v) }

/// Maximum of the 16 lanes by an explicit tree (``logitdyn_tree_max``; NaN lanes are ignored).
@inlinable @inline(__always)
public func treeMax(_ v: SIMD16<Float>) -> Float { logitdyn_tree_max(v) }

/// Minimum of the 16 lanes by an explicit tree (``logitdyn_tree_min``; NaN lanes are ignored).
@inlinable @inline(__always)
public func treeMin(_ v: SIMD16<Float>) -> Float { logitdyn_tree_min(v) }
