import Foundation
import KernelIntrinsics
import VectorMath

extension FusedRowKernel {
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
}
