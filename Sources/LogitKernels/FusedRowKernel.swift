import Foundation
import KernelIntrinsics
import VectorMath

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
/// maximum and the clamp. The first chunk's extremes come from a pass of their own. (How
/// often a chunk is summed twice, and what the single stream is worth, were measured:
/// `Benchmarks/README.md`.)
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
  /// chunk summed again is read from L1); the choice is measured in `Benchmarks/README.md`.
  public static let chunkLength = 2048

  /// Values summed into fresh Float accumulators before they are folded into a chunk's sums:
  /// 1024, i.e. 32 terms per accumulator and lane (two sets of 16 lanes), so that rounding
  /// grows with 32 + (chunk length / 1024) additions instead of 128.
  @usableFromInline static let accumulationBlock = 1024

  /// How far ahead of the values being summed the one-pass loop prefetches, in values: 4096
  /// (16 KiB of f32; measured in `Benchmarks/README.md`).
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
  ///
  /// - Complexity: O(count), one read of the values (plus one chunk again for peaked rows).
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
