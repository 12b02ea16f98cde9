import Foundation
import KernelIntrinsics
import VectorMath

extension FusedRowKernel {
  /// One chunk of `n ≤ chunkLength` values in two passes (the precise path for rows whose
  /// maximum dominates): a max pass, then the sums relative to the chunk maximum `m`, with
  /// the values equal to `m` counted in `maxCount` and left out of `s` and `q`, so that `s`
  /// and `q` keep their digits when one value dominates.
  @inlinable @inline(__always)
  static func countingChunk<L: RowLoader>(_ loader: L, from start: Int, _ n: Int, beta: Float) -> Chunk {
    let x = loader.advanced(by: start)
    let negInf = SIMD16<Float>(repeating: -.infinity)
    // Pass A: maximum (NaN values are ignored here and caught by pass B).
    let m = maxPass(x, n)
    if m == -.infinity {
      // All masked, or all NaN: a NaN chunk must still poison the row.
      var anyNaN = false
      for k in 0..<n where x.scalar(at: k).isNaN { anyNaN = true }
      return Chunk(max: -.infinity, reference: -.infinity, maxCount: 0, s: anyNaN ? .nan : 0, t: 0, q: 0, w: 0)
    }

    // Pass B: exponentials relative to m (data now in L1), in base-2 units
    // y = c (z − m), c = β log₂e: e^u = 2^y, and Σ e^u u = ln2 · Σ 2^y y.
    let mv = SIMD16<Float>(repeating: m)
    let cv = SIMD16<Float>(repeating: exponentScale(beta))
    let lo = SIMD16<Float>(repeating: -127)
    let zero = SIMD16<Float>(repeating: 0)
    let one = SIMD16<Float>(repeating: 1)
    var cnt0 = zero, s0 = zero, t0 = zero, q0 = zero, w0 = zero
    var cnt1 = zero, s1 = zero, t1 = zero, q1 = zero, w1 = zero
    var cnt2 = zero, s2 = zero, t2 = zero, q2 = zero, w2 = zero
    var cnt3 = zero, s3 = zero, t3 = zero, q3 = zero, w3 = zero

    @inline(__always)
    func accumulate(_ v: SIMD16<Float>, _ cnt: inout SIMD16<Float>, _ s: inout SIMD16<Float>,
                    _ t: inout SIMD16<Float>, _ q: inout SIMD16<Float>, _ w: inout SIMD16<Float>) {
      // Clamped at −127, where clampedExp2 is exactly 0, as in the one-pass kernel (masked −∞
      // logits contribute nothing); NaN passes through and poisons s.
      let y0 = (v - mv) * cv
      let y = y0.replacing(with: lo, where: lo .> y0)
      let isMax = v .== mv
      let e = clampedExp2(y).replacing(with: zero, where: isMax)
      cnt = cnt.replacing(with: cnt + one, where: isMax)
      s += e
      t = t.addingProduct(e, y)
      let e2 = e * e
      q += e2
      w = w.addingProduct(e2, y)
    }

    var i = 0
    // Four independent chains keep the exponential's long dependency chain from stalling;
    // blocks of `accumulationBlock` values are folded into totals (16 terms per lane each).
    var cntT = zero, sT = zero, tT = zero, qT = zero, wT = zero
    let whole = n & ~63
    while i < whole {
      let end = Swift.min(whole, i + accumulationBlock)
      while i < end {
        let a = x.vector(at: i)
        let b = x.vector(at: i + 16)
        let c = x.vector(at: i + 32)
        let d = x.vector(at: i + 48)
        accumulate(a, &cnt0, &s0, &t0, &q0, &w0)
        accumulate(b, &cnt1, &s1, &t1, &q1, &w1)
        accumulate(c, &cnt2, &s2, &t2, &q2, &w2)
        accumulate(d, &cnt3, &s3, &t3, &q3, &w3)
        i += 64
      }
      cntT += (cnt0 + cnt1) + (cnt2 + cnt3)
      sT += (s0 + s1) + (s2 + s3)
      tT += (t0 + t1) + (t2 + t3)
      qT += (q0 + q1) + (q2 + q3)
      wT += (w0 + w1) + (w2 + w3)
      cnt0 = zero; s0 = zero; t0 = zero; q0 = zero; w0 = zero
      cnt1 = zero; s1 = zero; t1 = zero; q1 = zero; w1 = zero
      cnt2 = zero; s2 = zero; t2 = zero; q2 = zero; w2 = zero
      cnt3 = zero; s3 = zero; t3 = zero; q3 = zero; w3 = zero
    }
    while i + 16 <= n {
      let a = x.vector(at: i)
      accumulate(a, &cnt0, &s0, &t0, &q0, &w0)
      i += 16
    }
    if i < n {
      var v = negInf
      for k in 0..<(n - i) { v[k] = x.scalar(at: i + k) }
      accumulate(v, &cnt1, &s1, &t1, &q1, &w1)
    }
    return Chunk(
      max: m, reference: naturalExponent(m, scale: exponentScale(beta)),
      maxCount: treeSum(cntT + ((cnt0 + cnt1) + (cnt2 + cnt3))),
      s: treeSum(sT + ((s0 + s1) + (s2 + s3))), t: treeSum(tT + ((t0 + t1) + (t2 + t3))) * ln2,
      q: treeSum(qT + ((q0 + q1) + (q2 + q3))), w: treeSum(wT + ((w0 + w1) + (w2 + w3))) * ln2)
  }

  /// Lane-wise maximum `b > a ? b : a` (one `vmaxps`; a NaN in `b` is ignored).
  @inlinable @inline(__always)
  static func vmax(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { a.replacing(with: b, where: b .> a) }

  /// Lane-wise minimum `b < a ? b : a` (one `vminps`; a NaN in `b` is ignored).
  @inlinable @inline(__always)
  static func vmin(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { a.replacing(with: b, where: b .< a) }

  /// The accumulators of the one-pass kernel: two interleaved sets of the four sums
  /// `Σ 2^y`, `Σ 2^y y`, `Σ 2^{2y}`, `Σ 2^{2y} y` per lane. A struct with mutating methods
  /// (no closures capturing locals), so that everything stays in vector registers; the
  /// methods are `@_transparent` (inlined before optimisation: with `@inline(__always)` a
  /// portable build left them as calls, passing every vector through memory).
  @frozen @usableFromInline
  struct OnePassSums {
    @usableFromInline var s0 = SIMD16<Float>(), t0 = SIMD16<Float>(), q0 = SIMD16<Float>(), w0 = SIMD16<Float>()
    @usableFromInline var s1 = SIMD16<Float>(), t1 = SIMD16<Float>(), q1 = SIMD16<Float>(), w1 = SIMD16<Float>()

    @inlinable init() {}

    /// `y = c v + o`, clamped below at −127, where ``clampedExp2(_:)`` is exactly 0 (masked
    /// −∞ logits and values 127 octaves or more below the maximum contribute nothing, not
    /// even to `Σ 2^y y`; those between 126 and 127 octaves below contribute less than 2⁻¹²⁶
    /// of the maximal term; a NaN survives the clamp and poisons `s`).
    /// Without the clamp (``UnclampedExponent``) the caller guarantees `y ≥ −127`.
    @_transparent @usableFromInline
    static func exponent<C: ClampMode>(_ v: SIMD16<Float>, _ cv: SIMD16<Float>, _ offset: SIMD16<Float>, _ clamp: C.Type) -> SIMD16<Float> {
      let y0 = offset.addingProduct(v, cv)
      guard C.clamps else { return y0 }
      let lo = SIMD16<Float>(repeating: -127)
      return y0.replacing(with: lo, where: lo .> y0)
    }

    /// Adds the terms of 16 values to one set of sums.
    @_transparent @usableFromInline
    static func add<M: MomentMode, C: ClampMode>(_ v: SIMD16<Float>, _ cv: SIMD16<Float>, _ offset: SIMD16<Float>, _ mode: M.Type, _ clamp: C.Type,
                    _ s: inout SIMD16<Float>, _ t: inout SIMD16<Float>, _ q: inout SIMD16<Float>, _ w: inout SIMD16<Float>) {
      let y = exponent(v, cv, offset, clamp)
      let e = clampedExp2(y)
      s += e
      t = t.addingProduct(e, y)
      if M.secondMoment {
        let e2 = e * e
        q += e2
        w = w.addingProduct(e2, y)
      } else {
        q = q.addingProduct(e, e)
      }
    }

    /// Adds the two sets of `block` to the first set of sums.
    @_transparent @usableFromInline
    mutating func fold<M: MomentMode>(_ block: OnePassSums, _ mode: M.Type) {
      s0 += block.s0 + block.s1
      t0 += block.t0 + block.t1
      q0 += block.q0 + block.q1
      if M.secondMoment { w0 += block.w0 + block.w1 }
    }

    /// Adds 16 values to the first set of sums.
    @_transparent @usableFromInline
    mutating func add0<M: MomentMode, C: ClampMode>(_ v: SIMD16<Float>, _ cv: SIMD16<Float>, _ offset: SIMD16<Float>, _ mode: M.Type, _ clamp: C.Type) {
      Self.add(v, cv, offset, mode, clamp, &s0, &t0, &q0, &w0)
    }

    /// Adds 16 values to the second set of sums.
    @_transparent @usableFromInline
    mutating func add1<M: MomentMode, C: ClampMode>(_ v: SIMD16<Float>, _ cv: SIMD16<Float>, _ offset: SIMD16<Float>, _ mode: M.Type, _ clamp: C.Type) {
      Self.add(v, cv, offset, mode, clamp, &s1, &t1, &q1, &w1)
    }
  }

  /// The maximum of values `0 ..< n` of `x` (NaN ignored; `−∞` when there is none).
  @inlinable @inline(__always)
  static func maxPass<L: RowLoader>(_ x: L, _ n: Int) -> Float { minMaxPass(x, n).max }

  /// The minimum and maximum of values `0 ..< n` of `x` (NaN ignored; `+∞` and `−∞` when
  /// there is none).
  @inlinable @inline(__always)
  static func minMaxPass<L: RowLoader>(_ x: L, _ n: Int) -> (min: Float, max: Float) {
    let negInf = SIMD16<Float>(repeating: -.infinity)
    let posInf = SIMD16<Float>(repeating: .infinity)
    var m0 = negInf, m1 = negInf, l0 = posInf, l1 = posInf
    var i = 0
    while i + 32 <= n {
      let a = x.vector(at: i)
      let b = x.vector(at: i + 16)
      m0 = vmax(m0, a)
      m1 = vmax(m1, b)
      l0 = vmin(l0, a)
      l1 = vmin(l1, b)
      i += 32
    }
    var m = treeMax(vmax(m0, m1))
    var l = treeMin(vmin(l0, l1))
    while i < n {
      let v = x.scalar(at: i)
      if v > m { m = v }
      if v < l { l = v }
      i += 1
    }
    return (l, m)
  }

  /// One chunk of `n ≤ chunkLength` values in a single pass (the fast path), relative to a
  /// reference `μ`, offset `o = fl(−c μ)`; values equal to `μ` contribute `2^{c μ + o}`
  /// (1 within rounding) and `maxCount` is 0. The sums are right only if `μ` is at least
  /// every value of the chunk and, with ``UnclampedExponent``, `c z + o ≥ −127` for every
  /// value: the same loop returns the chunk's minimum and maximum in `chunkMin` and
  /// `chunkMax` (NaN ignored; a NaN reaches the sums through `y`) so that the caller can
  /// check, and prefetches ``prefetchDistance`` values ahead.
  @inlinable @inline(__always)
  static func chunkOnePass<L: RowLoader, M: MomentMode, C: ClampMode>(
    _ x: L, _ n: Int, beta: Float, _ mode: M.Type, _ clamp: C.Type,
    reference mu: Float, chunkMin: inout Float, chunkMax: inout Float
  ) -> Chunk {
    let negInf = SIMD16<Float>(repeating: -.infinity)
    let posInf = SIMD16<Float>(repeating: .infinity)
    let c = exponentScale(beta)
    let cv = SIMD16<Float>(repeating: c)
    let o = Self.offset(reference: mu, scale: c)
    let offset = SIMD16<Float>(repeating: o)
    var sums = OnePassSums()
    var m0 = negInf, m1 = negInf, l0 = posInf, l1 = posInf
    var i = 0
    let whole = n & ~63
    while i < whole {
      // Blocks of ``accumulationBlock`` values summed apart, then folded into the chunk's
      // sums: at most 32 terms per Float accumulator and lane, then one per block.
      var block = OnePassSums()
      if LOGITDYN_HAS_AVX512 != 0 {
        // 32 vector registers: two sets of sums and two of extremes.
        let end = Swift.min(whole, i + accumulationBlock)
        while i < end {
          let a = x.vector(at: i)
          let b = x.vector(at: i + 16)
          let cc = x.vector(at: i + 32)
          let d = x.vector(at: i + 48)
          x.prefetch64(at: i + prefetchDistance)
          m0 = vmax(m0, vmax(a, b))
          m1 = vmax(m1, vmax(cc, d))
          l0 = vmin(l0, vmin(a, b))
          l1 = vmin(l1, vmin(cc, d))
          block.add0(a, cv, offset, mode, clamp)
          block.add1(b, cv, offset, mode, clamp)
          block.add0(cc, cv, offset, mode, clamp)
          block.add1(d, cv, offset, mode, clamp)
          i += 64
        }
      } else {
        // 16 vector registers of 8 lanes (AVX2): a 16-lane vector takes two, and the two sets
        // above (24 registers with the extremes, 28 with the second moment, before the four
        // values and the constants) spill to the stack on every step. One set of sums, one
        // pair of extremes, each value taken to the sums before the next is loaded; blocks of
        // half the length (the same 32 terms per lane).
        let end = Swift.min(whole, i + accumulationBlock / 2)
        while i < end {
          x.prefetch64(at: i + prefetchDistance)
          for k in 0..<4 {
            let a = x.vector(at: i + 16 * k)
            m0 = vmax(m0, a)
            l0 = vmin(l0, a)
            block.add0(a, cv, offset, mode, clamp)
          }
          i += 64
        }
      }
      sums.fold(block, mode)
    }
    while i + 16 <= n {
      let a = x.vector(at: i)
      m0 = vmax(m0, a)
      l0 = vmin(l0, a)
      sums.add0(a, cv, offset, mode, clamp)
      i += 16
    }
    if i < n {
      // Padded with −∞ for the sums (whose terms need the clamp) and the maximum, +∞ for the
      // minimum.
      var v = negInf, w = posInf
      for j in 0..<(n - i) {
        v[j] = x.scalar(at: i + j)
        w[j] = v[j]
      }
      m1 = vmax(m1, v)
      l1 = vmin(l1, w)
      sums.add1(v, cv, offset, mode, ClampedExponent.self)
    }
    chunkMax = treeMax(vmax(m0, m1))
    chunkMin = treeMin(vmin(l0, l1))
    if mu == -.infinity {
      var anyNaN = false
      for k in 0..<n where x.scalar(at: k).isNaN { anyNaN = true }
      return Chunk(max: -.infinity, reference: -.infinity, maxCount: 0, s: anyNaN ? .nan : 0, t: 0, q: 0, w: 0)
    }
    return Chunk(
      max: mu, reference: -0.693_147_180_559_945_3 * Double(o), maxCount: 0,
      s: treeSum(sums.s0 + sums.s1), t: treeSum(sums.t0 + sums.t1) * ln2, q: treeSum(sums.q0 + sums.q1),
      w: M.secondMoment ? treeSum(sums.w0 + sums.w1) * ln2 : 0)
  }

  /// One chunk by ``chunkOnePass``, clamped or not as `chunkMin` requires (`c z_min + o ≥ −127`
  /// needs no clamp: `y` is monotone in `z`).
  @inlinable @inline(__always)
  static func chunkChoosingClamp<L: RowLoader, M: MomentMode>(
    _ x: L, _ n: Int, beta: Float, _ mode: M.Type, reference mu: Float, knownMin: Float,
    chunkMin: inout Float, chunkMax: inout Float
  ) -> Chunk {
    inRange(knownMin, reference: mu, beta: beta)
      ? chunkOnePass(x, n, beta: beta, mode, UnclampedExponent.self, reference: mu, chunkMin: &chunkMin, chunkMax: &chunkMax)
      : chunkOnePass(x, n, beta: beta, mode, ClampedExponent.self, reference: mu, chunkMin: &chunkMin, chunkMax: &chunkMax)
  }

  /// Whether a chunk whose maximum `high` rose above the reference `μ` may keep its sums
  /// relative to `μ`: `c high + o ≤ 1/2` (half an octave) and `μ` finite. Its terms `2^y` then
  /// have `y ≤ 1/2`, and `t = Σ 2^y y` mixes signs: the Float rounding of `t`, about
  /// `ε Σ 2^y |y|` with `ε ≈ 1e-7`, grows by at most `ε · (1/2) ln 2 · s` in `H`'s units,
  /// below `ε H` since `H ≥ −ln p_max ≥ ln 2` unless the maximum dominates (`p_max > 1/2`),
  /// and then the chunk holding the maximum is recounted and the others carry a share of
  /// the mass below `H/ln 2`. Accepting these halves the chunks summed twice on random rows.
  @inlinable @inline(__always)
  static func smallRise(_ high: Float, over mu: Float, beta: Float) -> Bool {
    let c = exponentScale(beta)
    return mu > -.infinity && mu < .infinity && high < .infinity && offset(reference: mu, scale: c).addingProduct(high, c) <= 0.5
  }

  /// Whether `c z + o ≥ −127` for `z = minimum` (and so for every value of the chunk), with
  /// `o` the offset of reference `μ` as ``chunkOnePass`` computes it.
  @inlinable @inline(__always)
  static func inRange(_ minimum: Float, reference mu: Float, beta: Float) -> Bool {
    let c = exponentScale(beta)
    return c > 0 && offset(reference: mu, scale: c).addingProduct(minimum, c) >= -127
  }

  /// The offset `o = fl(−c μ)` of the exponents `y = c z + o` relative to a reference `μ`
  /// (0 for `μ = −∞`, a chunk with no finite value yet, whose sums are discarded).
  @inlinable @inline(__always)
  static func offset(reference mu: Float, scale c: Float) -> Float { mu == -.infinity ? 0 : -(mu * c) }

  /// The multiplier `c = β log₂e` (as a `Float`) that turns logits into base-2 exponents.
  /// Every path uses this exact value, so the results are those of `softmax(β' z)` with
  /// `β' = c / log₂e`, within 6e-8 relative of β (1.3e-8 at β = 1).
  @inlinable @inline(__always)
  static func exponentScale(_ beta: Float) -> Float { beta * 1.442_695_04 }
}
