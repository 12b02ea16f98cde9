import KernelIntrinsics

/// `2^y` on 16 lanes, for `y ≤ 127` (the fused kernels pass shifted logits in base-2 units,
/// `β log₂e (z − μ)`, clamped below at −150).
///
/// With AVX-512 (`LOGITDYN_HAS_AVX512`): `y = k + r` with `k = round(32 y)/32` (the
/// 1.5·2¹⁸ rounding trick: one add, whose low five mantissa bits are then `j = 32k mod 32`)
/// and `|r| ≤ 1/64`; then `2^y = 2^⌊k⌋ · 2^{j/32} · 2^r` with `2^{j/32}` from a 32-entry
/// table (``logitdyn_lookup32``: one `vpermt2ps`), `2^r ≈ 1 + r (a + b r)` fitted for minimal
/// relative error on `[−1/64, 1/64]` (5.3e-8), combined as `T + (T r)(a + b r)` by fused
/// multiply-adds, and `2^⌊k⌋` applied by the exponent (``logitdyn_scale2``: one `vscalefps`),
/// which rounds once and goes through the subnormals to 0. Three operations on the
/// multiply-add pipes instead of six for the polynomial below: the kernels are bound by those
/// pipes (+8–10% measured on one core). Relative error below 2e-7 (1.6e-7 observed).
///
/// Elsewhere (a portable build, other CPUs; the instructions above would be slow loops), for
/// `y ≤ 127`: `y` clamped below at −127, `y = n + f`, `n = round(y)` by the 1.5·2²³ rounding
/// trick, `|f| ≤ 1/2`, `2^f` by a degree-5 polynomial fitted for minimal relative error on
/// `[−1/2, 1/2]` with its constant term fixed to 1, by Estrin's scheme, and `n` added to its
/// exponent bits. Relative error below 2.5e-7 down to `2⁻¹²⁶`; below `2⁻¹²⁶·⁵` a subnormal
/// under `2⁻¹²⁶` (not `2^y`; an absolute error below 1.2e-38), exactly 0 from −127 down.
///
/// Both: tested down to `2⁻¹²⁶`; `fastExp2(0) == 1` and `fastExp2(−150) == 0` exactly, so
/// clamped values, masked `−∞` logits among them, contribute nothing; NaN gives NaN. With
/// AVX-512 `y = 128` and above give `+∞`. `±∞` are outside the domain (the kernels clamp `−∞`
/// away and flag rows holding `+∞`).
@inlinable @inline(__always)
public func fastExp2(_ y: SIMD16<Float>) -> SIMD16<Float> {
  LOGITDYN_HAS_AVX512 != 0 ? tableExp2(y) : polynomialExp2(y)
}

/// ``fastExp2(_:)`` by the 32-entry table (needs AVX-512 to be fast).
@_transparent @usableFromInline
func tableExp2(_ y: SIMD16<Float>) -> SIMD16<Float> {
  let shifter = SIMD16<Float>(repeating: 393_216)  // 1.5 · 2¹⁸: its ulp is 1/32
  let t = y + shifter
  let k = t - shifter
  let r = y - k
  // Float(2^{j/32}) for j = 0 ..< 32 (relative rounding error below 5.6e-8).
  let low = SIMD16<Float>(
    1.0, 1.0218972, 1.0442737, 1.0671405, 1.0905077, 1.1143868, 1.1387886, 1.1637249,
    1.1892071, 1.2152474, 1.2418578, 1.269051, 1.2968396, 1.3252367, 1.3542556, 1.38391)
  let high = SIMD16<Float>(
    1.4142135, 1.4451808, 1.4768262, 1.5091645, 1.5422108, 1.5759809, 1.6104903, 1.6457555,
    1.6817929, 1.7186193, 1.7562522, 1.7947091, 1.8340081, 1.8741677, 1.9152066, 1.9571441)
  let table = logitdyn_lookup32(low, high, unsafeBitCast(t, to: SIMD16<Int32>.self))
  let p = SIMD16<Float>(repeating: 0.693_157_3).addingProduct(r, SIMD16<Float>(repeating: 0.240_224_75))
  return logitdyn_scale2(table.addingProduct(table * r, p), k)
}

/// ``fastExp2(_:)`` by the degree-5 polynomial (the portable path).
@_transparent @usableFromInline
func polynomialExp2(_ y: SIMD16<Float>) -> SIMD16<Float> {
  let lo = SIMD16<Float>(repeating: -127)
  let yc = y.replacing(with: lo, where: lo .> y)  // one vmaxps; a NaN stays
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
  return e.replacing(with: y, where: y .!= y)
}

/// `e^x = 2^{x log₂e}` on 16 lanes for `x ≤ 88`; see ``fastExp2(_:)``.
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
