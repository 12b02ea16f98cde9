import Foundation
import KernelIntrinsics
import VectorMath

/// Whether the one-pass kernel also accumulates `Σ e^{2u} u` (for `Σ p² log p`): a type, so
/// that each choice gets its own specialised loop.
public protocol MomentMode {
  /// Whether to accumulate the second moment.
  static var secondMoment: Bool { get }
}

/// Accumulate `Σ p² log p` too.
public enum WithSecondMoment: MomentMode {
  @inlinable public static var secondMoment: Bool { true }
}

/// Skip `Σ p² log p` (about 5% faster).
public enum WithoutSecondMoment: MomentMode {
  @inlinable public static var secondMoment: Bool { false }
}

/// Whether the one-pass kernel clamps `y` at −127 (a type, so that each choice gets its own
/// loop): chunks holding a value 127 octaves or more below the reference (masked `−∞`
/// logits among them) need it; the others, known from the chunk's minimum, skip the clamp's
/// `vmaxps` per vector (~8% of the loop).
@usableFromInline protocol ClampMode {
  static var clamps: Bool { get }
}

/// Clamp `y` at −127.
@usableFromInline enum ClampedExponent: ClampMode {
  @inlinable static var clamps: Bool { true }
}

/// Every `y` of the chunk is known to be at least −127: no clamp.
@usableFromInline enum UnclampedExponent: ClampMode {
  @inlinable static var clamps: Bool { false }
}

/// The fused one-pass row kernel: log-sum-exp, entropy, collision probability, `Σ p² log p`,
/// the chosen token's log-probability and the update-norm factor of one row of logits.
///
/// One read of memory. The row is cut into chunks of ``chunkLength`` values, each summed
/// relative to the row's running maximum `μ` (offset `o = fl(−c μ)`, `c = β log₂e`): 16 lanes
/// accumulate, in base-2 units `y = c z + o ≤ 0` (one multiply-add; up to 1/2 in a chunk
/// that raised the maximum a little, see below), the sums `s = Σ 2^y`,
/// `t = Σ 2^y y`, `q = Σ 2^{2y}`, `w = Σ 2^{2y} y` with ``clampedExp2(_:)``: no comparisons
/// and no rescaling in the loop (a per-block check of the running maximum cost 20%). Lanes
/// share the offset, so they combine at the end of each chunk without a shift, and chunks
/// are merged in `Double`, beside the next chunk's loop.
///
/// The chunk is summed with the maximum of the chunks before it, without the clamp at −127,
/// and the same loop takes the chunk's own minimum and maximum; only if the maximum rose by
/// more than half an octave (``smallRise(_:over:beta:)``), or a value lies 127 octaves or
/// more below it (masked `−∞` logits), is the chunk, now in L1, summed again with its
/// maximum and the clamp. The first chunk's extremes come from a pass of their own. On
/// random rows of 151936 (75 chunks) 2.4 chunks are summed twice for Gaussian logits of
/// standard deviation 3, 4.9 for 10; the single stream from memory is worth more (one core:
/// 89–92% of the read bound instead of 83% for the previous scheme, which took the next
/// chunk's maximum inside this chunk's loop and read the chunk again from L1).
///
/// Operations per 8 lanes (one AVX register; an AVX-512 register holds 16) in the loop of a
/// chunk without the clamp or `Σ p² log p`: 1 load, 2 for the extremes (`vmaxps`, `vminps`),
/// 1 multiply-add for `y`, the `exp2` (AVX-512: 7 with one `vpermt2ps`; AVX2+FMA: 10 with one
/// `vpermps`; portable polynomial: 13), 3 for the sums (`s` add, `t` and `q` multiply-adds):
/// 13, 16 and 19 besides the load; the clamp adds 1, `Σ p² log p` 2. On AVX2 machines (16
/// registers) the loop keeps one set of sums and one pair of extremes (two on AVX-512) and
/// takes each value to the sums before loading the next, which kept most of the spills to
/// the stack out of the loop.
///
/// Then, with `R` the common reference, `lse = R + log1p(s − 1)`, `H = log s − t/s`,
/// `C = q/s²`, `Σ p² log p = (w − q log s)/s²`, `log p_c = ln2 · c z_c − R − log s`.
/// When the maximum dominates (`s < 2`, i.e. `p_max > 1/2`, a unique maximum), the chunk
/// holding it (the last one whose reference rose) is recomputed by a two-pass variant that
/// counts the maximal values apart, so that `s − 1`, `1 − p_c` and `Σ_{i≠c} p_i²` keep their
/// digits; `√(1 − 2p_c + C)` is then `√((s−1)² + (q−1))/s` for the unique maximum (no
/// cancellation).
///
/// Accuracy (f32 input): about 1e-7 relative per value (Float accumulation over at most
/// 32 terms per lane in blocks of ``accumulationBlock`` (half of it on AVX2), `Double` across
/// chunks; `exp2` within 2e-7, 1.5e-7 on AVX2); tested to
/// 1e-6 against a float64 two-pass reference on rows up to 262144 with extreme logits.
///
/// `Σ p² log p` (the `secondMoment`) costs about 5% of the throughput; without it that field
/// is 0.
///
/// Rows with a NaN or `+∞` logit, or with no finite logit, come back as
/// ``RowStatistics/flagged``. `−∞` logits (masked vocabulary entries) have probability 0.
public enum FusedRowKernel {
  /// Values per chunk: 2048 floats = 8 KiB, inside L1 with the 16 KiB prefetched ahead (a
  /// chunk summed again is read from L1). 4096 measured the same; 8192 streamed slower.
  public static let chunkLength = 2048

  /// Values summed into fresh Float accumulators before they are folded into a chunk's sums:
  /// 1024, i.e. 32 terms per accumulator and lane (two sets of 16 lanes), so that rounding
  /// grows with 32 + (chunk length / 1024) additions instead of 128.
  @usableFromInline static let accumulationBlock = 1024

  /// How far ahead of the values being summed the one-pass loop prefetches, in values: 4096
  /// (16 KiB of f32). Measured on a 1024 × 151936 f32 stream: without prefetching a streaming
  /// core ran ~25% below its cached speed; 2048 and 4096 were within noise of each other and
  /// 2–5% ahead of 8192 and 16384.
  @usableFromInline static let prefetchDistance = 4096

  /// The results of one chunk, relative to its own maximum.
  @frozen
  public struct Chunk {
    /// Largest value of the row up to the end of this chunk (logit units): the chunk's own
    /// maximum for a counted chunk, the running maximum for a one-pass chunk (its reference,
    /// unless the maximum rose in this chunk by at most half an octave: see
    /// ``smallRise(_:over:beta:)``).
    @usableFromInline var max: Float
    /// Whether the running maximum grew at this chunk (one-pass chunks): the last such chunk
    /// holds the first occurrence of the row's maximum.
    @usableFromInline var raised = false
    /// The reference point of the sums, natural log units: they are sums of `e^{u − reference}`.
    @usableFromInline var reference: Double
    @usableFromInline var maxCount: Float
    @usableFromInline var s: Float
    @usableFromInline var t: Float
    @usableFromInline var q: Float
    @usableFromInline var w: Float

    @inlinable init(max: Float, reference: Double, maxCount: Float, s: Float, t: Float, q: Float, w: Float) {
      self.max = max
      self.reference = reference
      self.maxCount = maxCount
      self.s = s
      self.t = t
      self.q = q
      self.w = w
    }
  }

  /// `ln 2` as a `Float`.
  @usableFromInline static let ln2: Float = 0.693_147_18

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

  /// The running merge of chunks in `Double`, relative to the running reference `R` (natural
  /// log units: the chunk sums are of `e^{u − R}`).
  @frozen @usableFromInline
  struct RowState {
    /// Largest logit seen (logit units).
    @usableFromInline var zMax: Float = -.infinity
    /// The reference `R` of the sums (natural log units).
    @usableFromInline var reference: Double = -.infinity
    @usableFromInline var maxCount: Double = 0
    @usableFromInline var restS: Double = 0
    @usableFromInline var t: Double = 0
    @usableFromInline var restQ: Double = 0
    @usableFromInline var w: Double = 0
    @usableFromInline var poisoned = false
    /// Whether the maximal values were counted apart (`maxCount` is then exact).
    @usableFromInline var counted = false

    @inlinable init() {}

    @inlinable
    mutating func merge(_ c: Chunk) {
      if c.s.isNaN || c.t.isNaN || c.max == .infinity { poisoned = true }
      if c.max == -.infinity { return }
      let ref = c.reference
      // The reference moves only for a strictly larger maximum: chunks with the same maximum
      // (one-pass ones, whose reference is that of fl(c μ), and a counted one, whose
      // reference is exact) are scaled to the first one's reference, so that a counted
      // maximum stays counted.
      if c.max > zMax {
        zMax = c.max
        if reference > -.infinity, ref > reference {
          // Rescale the state to the new reference; the old maximal values join the rest.
          let delta = reference - ref
          let f = Foundation.exp(delta)
          let sOld = maxCount + restS
          let qOld = maxCount + restQ
          t = f * (t + delta * sOld)
          w = f * f * (w + delta * qOld)
          restS = f * sOld
          restQ = f * f * qOld
          maxCount = 0
          reference = ref
        }
      }
      if reference == -.infinity { reference = ref }
      if ref == reference {
        maxCount += Double(c.maxCount)
        restS += Double(c.s)
        t += Double(c.t)
        restQ += Double(c.q)
        w += Double(c.w)
      } else {
        let delta = ref - reference
        let f = Foundation.exp(delta)
        let sC = Double(c.maxCount) + Double(c.s)
        let qC = Double(c.maxCount) + Double(c.q)
        restS += f * sC
        t += f * (Double(c.t) + delta * sC)
        restQ += f * f * qC
        w += f * f * (Double(c.w) + delta * qC)
      }
    }

    @inlinable
    func finish(scale c: Float, chosenLogit: Float?) -> RowStatistics {
      guard !poisoned, zMax > -.infinity, zMax < .infinity else { return .flagged }
      let sMinus1 = counted ? (maxCount - 1) + restS : (maxCount + restS) - 1
      let s = maxCount + restS
      let logS = Foundation.log1p(sMinus1)
      let q = maxCount + restQ
      let entropy = Swift.max(0, logS - t / s)
      let collision = q / (s * s)
      let sumP2LogP = (w - q * logS) / (s * s)
      var logPc = Double.nan, pc = Double.nan, factor = Double.nan
      if let z = chosenLogit {
        if z.isNaN || z == .infinity { return .flagged }
        logPc = FusedRowKernel.naturalExponent(z, scale: c) - reference - logS
        pc = Foundation.exp(logPc)
        if counted && z == zMax && maxCount == 1 {
          // 1 − p_c = (s − 1)/s and Σ_{i≠c} p_i² = (q − 1)/s²: no cancellation.
          factor = (restS * restS + restQ).squareRoot() / s
        } else {
          factor = Swift.max(0, 1 - 2 * pc + collision).squareRoot()
        }
      }
      return RowStatistics(
        logSumExp: reference + logS, entropy: entropy, collision: collision, sumSquaredPLogP: sumP2LogP,
        chosenLogProb: logPc, chosenProb: pc, normFactor: factor, isFinite: true)
    }
  }

  /// `ln2 · c · z` in `Double` (`c · z` is exact in `Double`): the natural-log exponent of a
  /// logit under the scale `c`.
  @inlinable @inline(__always)
  static func naturalExponent(_ z: Float, scale c: Float) -> Double {
    0.693_147_180_559_945_3 * (Double(c) * Double(z))
  }

  /// The row's statistics from its chunks, `merged` in order as they were computed (the
  /// merge runs beside the next chunk's vector loop instead of in a pass of its own: 2–3%).
  /// When the row turns out dominated by its maximum (`s − 1 < 1`, i.e. `p_max > 1/2`, so the
  /// maximum is unique), the chunk holding the maximum (the last one where the running
  /// maximum grew) is recomputed with counting so that `s − 1` and `q − 1` keep their digits,
  /// and everything is merged again (in the same order, so results stay deterministic). The
  /// other chunks' sums never held the maximal term.
  @inlinable
  static func finish(chunks: UnsafeMutableBufferPointer<Chunk>, merged: RowState, beta: Float, chosenLogit: Float?,
                     recount: (Int) -> Chunk) -> RowStatistics {
    var state = merged
    if !state.poisoned, state.zMax > -.infinity, state.zMax < .infinity, state.maxCount + state.restS < 2 {
      if let k = chunks.lastIndex(where: { $0.raised }) { chunks[k] = recount(k) }
      state = RowState()
      for c in chunks { state.merge(c) }
      state.counted = true
    }
    return state.finish(scale: exponentScale(beta), chosenLogit: chosenLogit)
  }

  /// Number of chunks of a row of `count` values.
  @inlinable
  public static func chunkCount(_ count: Int) -> Int { (count + chunkLength - 1) / chunkLength }

  /// The statistics of one row of `Float` logits.
  ///
  /// - Parameters:
  ///   - row: the logits `z`.
  ///   - chosen: the chosen token `c`, or nil.
  ///   - inverseTemperature: `β = 1/τ`.
  ///   - secondMoment: also compute `Σ p² log p`.
  /// - Precondition: `chosen` is nil or a valid index.
  /// - Complexity: O(V), one read of the row (plus one chunk again for peaked rows).
  ///
  /// Not inlinable on purpose: callers get the kernel module's code, built for its target CPU,
  /// whatever their own build settings (and never a stale copy).
  public static func statistics(row: UnsafeBufferPointer<Float>, chosen: Int?, inverseTemperature: Float = 1,
                                secondMoment: Bool = true) -> RowStatistics {
    guard let base = row.baseAddress, !row.isEmpty else { return .flagged }
    let chunks = UnsafeMutableBufferPointer<Chunk>.allocate(capacity: chunkCount(row.count))
    defer { chunks.deallocate() }
    let loader = Float32RowLoader(base)
    return secondMoment
      ? statistics(loader, count: row.count, chosen: chosen, beta: inverseTemperature, chunks: chunks, WithSecondMoment.self)
      : statistics(loader, count: row.count, chosen: chosen, beta: inverseTemperature, chunks: chunks, WithoutSecondMoment.self)
  }

  /// The statistics of one row of `count` values read through `loader`; `chunks` holds at
  /// least ``chunkCount(_:)`` entries of scratch space.
  @inlinable @inline(never)
  public static func statistics<L: RowLoader, M: MomentMode>(
    _ loader: L, count: Int, chosen: Int?, beta: Float, chunks: UnsafeMutableBufferPointer<Chunk>, _ mode: M.Type
  ) -> RowStatistics {
    guard count > 0 else { return .flagged }
    let n = chunkCount(count)
    let used = UnsafeMutableBufferPointer(rebasing: chunks[0..<n])
    // Each chunk is summed in one pass relative to the running maximum of the chunks before
    // it, without the clamp, taking its own minimum and maximum on the way (one read of
    // memory). Where that turns out wrong (a new maximum, or values 127 octaves below it),
    // the chunk, now in L1, is summed again with the right reference and clamp. The first
    // chunk's extremes come from a pass of their own.
    var (first, running) = minMaxPass(loader, Swift.min(chunkLength, count))
    var state = RowState()
    for k in 0..<n {
      let start = k * chunkLength
      let here = loader.advanced(by: start), length = Swift.min(chunkLength, count - start)
      var low = first, high = running
      var chunk = k == 0
        ? chunkChoosingClamp(here, length, beta: beta, mode, reference: running, knownMin: first, chunkMin: &low, chunkMax: &high)
        : chunkOnePass(here, length, beta: beta, mode, UnclampedExponent.self, reference: running, chunkMin: &low, chunkMax: &high)
      let raised = high > running
      if k > 0 && (!inRange(low, reference: running, beta: beta) || (raised && !smallRise(high, over: running, beta: beta))) {
        running = Swift.max(running, high)
        let seen = low
        chunk = chunkChoosingClamp(here, length, beta: beta, mode, reference: running, knownMin: seen, chunkMin: &low, chunkMax: &high)
      } else if raised {
        // Summed against a reference at most half an octave below its maximum: kept (the
        // merge takes the chunk's maximum from `max`).
        chunk.max = high
        running = high
      }
      // The chunk holding the row's first maximal value is the last one to raise the maximum.
      chunk.raised = k == 0 ? running > -.infinity : raised
      used[k] = chunk
      state.merge(chunk)
    }
    return finish(chunks: used, merged: state, beta: beta, chosenLogit: chosen.map { loader.scalar(at: $0) }) { k in
      let start = k * chunkLength
      return countingChunk(loader, from: start, Swift.min(chunkLength, count - start), beta: beta)
    }
  }
}
