import Foundation
import KernelIntrinsics
import LogitKernels
import VectorMath
import SeededRandom
import Testing

/// The fused kernel against a straightforward two-pass float64 reference on f32 rows.
/// Tolerance: 1e-6 relative (the requirement; the kernel's error is ~1e-7).
@Suite struct FusedRowKernelTests {
  /// Two-pass float64 reference over the exact f32 values.
  struct Reference {
    var lse, entropy, collision, sumP2LogP, logPc, pc, factor: Double

    init(_ z: [Float], chosen c: Int, beta: Double = 1) {
      let x = z.map { beta * Double($0) }
      let m = x.max()!
      // log s = log1p(s − 1) with s − 1 summed without the (first) maximal term, and
      // log p_i = (x_i − m) − log s: no digits lost when the maximum dominates.
      let top = x.firstIndex(of: m)!
      var sMinus1 = 0.0
      for (i, v) in x.enumerated() where i != top { sMinus1 += Foundation.exp(v - m) }
      let logS = Foundation.log1p(sMinus1)
      lse = m + logS
      var h = 0.0, q = 0.0, w = 0.0, others = 0.0
      for (i, v) in x.enumerated() {
        let lp = (v - m) - logS
        let p = Foundation.exp(lp)
        if p > 0 { h -= p * lp; w += p * p * lp }
        q += p * p
        if i != c { others += p }
      }
      entropy = h
      collision = q
      sumP2LogP = w
      logPc = (x[c] - m) - logS
      pc = Foundation.exp(logPc)
      var otherSquares = 0.0
      for (i, v) in x.enumerated() where i != c {
        let p = Foundation.exp((v - m) - logS)
        otherSquares += p * p
      }
      factor = (others * others + otherSquares).squareRoot()
    }
  }

  static func check(_ z: [Float], chosen c: Int, beta: Float = 1, label: String) {
    let r = z.withUnsafeBufferPointer { FusedRowKernel.statistics(row: $0, chosen: c, inverseTemperature: beta) }
    let ref = Reference(z, chosen: c, beta: Double(beta))
    func rel(_ a: Double, _ b: Double, floor: Double = 1e-30) -> Double { abs(a - b) / max(abs(b), floor) }
    #expect(r.isFinite, "\(label)")
    #expect(rel(r.logSumExp, ref.lse, floor: 1) < 1e-6, "lse \(label): \(r.logSumExp) vs \(ref.lse)")
    #expect(rel(r.entropy, ref.entropy) < 1e-6 || abs(r.entropy - ref.entropy) < 1e-12, "H \(label): \(r.entropy) vs \(ref.entropy)")
    #expect(rel(r.collision, ref.collision) < 1e-6, "C \(label)")
    #expect(abs(r.sumSquaredPLogP - ref.sumP2LogP) < 1e-6 * max(abs(ref.sumP2LogP), 1e-12), "Σp²logp \(label): \(r.sumSquaredPLogP) vs \(ref.sumP2LogP)")
    #expect(abs(r.chosenLogProb - ref.logPc) < 1e-6 * max(1, abs(ref.logPc)), "log p_c \(label)")
    #expect(rel(r.chosenProb, ref.pc, floor: 1e-300) < 1e-6 || ref.pc < 1e-37, "p_c \(label)")
    #expect(rel(r.normFactor, ref.factor, floor: 1e-300) < 1e-6, "factor \(label): \(r.normFactor) vs \(ref.factor)")
  }

  @Test(arguments: [1, 7, 16, 100, 2047, 2048, 2049, 4095, 4096, 4097, 32000, 151_936, 262_144])
  func randomRowsAgree(length: Int) {
    var rng = Xoshiro256StarStar(seed: 3, stream: UInt64(length))
    for scale in [0.5, 3.0, 12.0] {
      let z = (0..<length).map { _ in Float(scale * rng.nextGaussian()) }
      let c = rng.nextInt(below: length)
      Self.check(z, chosen: c, label: "V=\(length) scale=\(scale)")
      let argmax = z.indices.max { z[$0] < z[$1] }!
      Self.check(z, chosen: argmax, label: "V=\(length) scale=\(scale) argmax")
    }
  }

  @Test func temperatures() {
    var rng = Xoshiro256StarStar(seed: 4)
    let z = (0..<50_000).map { _ in Float(3 * rng.nextGaussian()) }
    for tau: Float in [0.25, 0.6, 1.7, 10] {
      Self.check(z, chosen: 17, beta: 1 / tau, label: "τ=\(tau)")
    }
  }

  @Test func extremeLogits() {
    var rng = Xoshiro256StarStar(seed: 5)
    let v = 262_144
    // ±1e4 logits.
    var z = (0..<v).map { _ in Float(rng.nextDouble() < 0.5 ? -1e4 : 1e4) + Float(rng.nextGaussian()) }
    Self.check(z, chosen: 3, label: "±1e4")
    // One huge logit: a nearly deterministic row (entropy ≈ 0).
    z = (0..<v).map { _ in Float(rng.nextGaussian()) }
    z[12345] = 1e4
    Self.check(z, chosen: 12345, label: "one huge logit, chosen")
    Self.check(z, chosen: 5, label: "one huge logit, other chosen")
    // A dominant logit 20 above the rest: entropy and 1 − p_c small but well resolved.
    z = (0..<v).map { _ in Float(rng.nextGaussian()) }
    z[777] = 25
    Self.check(z, chosen: 777, label: "dominant +25")
    // Short rows with masked entries, and lanes that only ever see −inf.
    Self.check([0, 1, -.infinity, 2], chosen: 0, label: "verl's -inf row")
    let lanes = (0..<300).map { i -> Float in i % 16 == 3 || i % 16 == 11 ? -.infinity : Float(rng.nextGaussian()) }
    Self.check(lanes, chosen: 0, label: "masked lanes")
    // Masked vocabulary entries (−inf), including whole masked chunks.
    z = (0..<v).map { i in i % 3 == 0 || (i >= 4096 && i < 8192) ? -Float.infinity : Float(2 * rng.nextGaussian()) }
    Self.check(z, chosen: 1, label: "masked")
    // Leading masked chunks (no reference until the fourth chunk).
    z = (0..<30_000).map { i in i < 3 * FusedRowKernel.chunkLength + 5 ? -Float.infinity : Float(2 * rng.nextGaussian()) }
    Self.check(z, chosen: 29_000, label: "leading masked chunks")
    // A few values far below the rest in later chunks only (those chunks need the clamp;
    // the kernel finds out after summing them without it), and one 1e4 below.
    z = (0..<20_000).map { _ in Float(2 * rng.nextGaussian()) }
    z[5000] = -120
    z[9000] = -1e4
    z[19_999] = -300
    Self.check(z, chosen: 9000, label: "far-below values in later chunks")
    // Each chunk's maximum above the last (every chunk summed again with its own maximum).
    z = (0..<40_000).map { i in Float(i / FusedRowKernel.chunkLength) * 0.3 + Float(rng.nextGaussian()) }
    Self.check(z, chosen: 19_000, label: "maximum rising chunk by chunk")
  }

  /// Rows dominated by their maximum (p_max > 1/2, where the kernel recounts the chunk that
  /// holds it) wherever the maximum sits: first value, a chunk boundary, the partial last
  /// block, after a rising run of records; and ties at the maximum (never dominated).
  @Test func dominatedRowsWhereverTheMaximumIs() {
    var rng = Xoshiro256StarStar(seed: 6)
    let chunk = FusedRowKernel.chunkLength
    for length in [70, chunk, chunk + 900, 40_001] {
      // Sorted, not a Set: a Set's order changes from run to run, and with it the data.
      for position in Set([0, 1, (chunk - 1) % length, chunk % length, length / 2, length - 1]).sorted() {
        for gap: Float in [6, 18, 30] {
          var z = (0..<length).map { _ in Float(rng.nextGaussian()) }
          z[position] = z.max()! + gap
          Self.check(z, chosen: position, label: "V=\(length) max at \(position) +\(gap)")
          Self.check(z, chosen: (position + 1) % length, label: "V=\(length) max at \(position) +\(gap), other chosen")
        }
      }
    }
    // Records in every block (a rising row), then a dominant last value.
    var rising = (0..<9000).map { Float($0) * 1e-3 }
    rising[8999] = 40
    Self.check(rising, chosen: 8999, label: "rising, dominant last")
    Self.check(rising, chosen: 10, label: "rising, dominant last, other chosen")
    // The maximum rising by less than half an octave in a later chunk (kept relative to the
    // earlier reference) while dominating (p_max ≈ 0.57): the recount must still find it.
    var close = (0..<10_000).map { _ in Float(rng.nextGaussian()) }
    close[100] = 20
    close[5000] = 20.3
    Self.check(close, chosen: 5000, label: "small rise to a dominant maximum")
    Self.check(close, chosen: 100, label: "small rise to a dominant maximum, runner-up chosen")
    close[9999] = 20.5
    Self.check(close, chosen: 9999, label: "two small rises, maximum in the last chunk")
    // The maximum twice, in different chunks: p_max ≤ 1/2 each.
    var tie = (0..<10_000).map { _ in Float(rng.nextGaussian()) }
    tie[100] = 30
    tie[7000] = 30
    Self.check(tie, chosen: 7000, label: "tie at the maximum")
    Self.check(tie, chosen: 5, label: "tie at the maximum, other chosen")
  }

  @Test func badRowsAreFlagged() {
    var z = [Float](repeating: 0, count: 5000)
    z[4000] = .nan
    #expect(!z.withUnsafeBufferPointer { FusedRowKernel.statistics(row: $0, chosen: 0) }.isFinite)
    z[4000] = .infinity
    #expect(!z.withUnsafeBufferPointer { FusedRowKernel.statistics(row: $0, chosen: 0) }.isFinite)
    let masked = [Float](repeating: -.infinity, count: 3000)
    #expect(!masked.withUnsafeBufferPointer { FusedRowKernel.statistics(row: $0, chosen: 0) }.isFinite)
    var allNaNChunk = [Float](repeating: 1, count: 5000)
    for i in 0..<FusedRowKernel.chunkLength { allNaNChunk[i] = .nan }
    #expect(!allNaNChunk.withUnsafeBufferPointer { FusedRowKernel.statistics(row: $0, chosen: 3000) }.isFinite)
  }

  @Test func fastExpIsAccurate() {
    // Every table entry and every offset within it: 2⁻¹⁴ steps over [−2, 2], then coarser
    // steps over the whole normal range.
    var maxRel: Double = 0
    func check(_ y: Float) {
      let v = fastExp2(SIMD16<Float>(repeating: y))[0]
      let e = Foundation.exp2(Double(y))
      maxRel = max(maxRel, abs(Double(v) - e) / e)
    }
    for i in -32768...32768 { check(Float(i) / 16384) }
    var y: Float = -126
    while y <= 126.9 {
      check(y)
      y += 0.000_731 * 3
    }
    // The bound of the exp2 this build selects: the 32-entry table (AVX-512), the 8-entry
    // table (AVX2+FMA), the polynomial (elsewhere); each is tested on its own in Exp2PathTests.
    let bound = LOGITDYN_HAS_AVX512 != 0 ? 2e-7 : LOGITDYN_HAS_AVX2_FMA != 0 ? 1.5e-7 : 2.5e-7
    #expect(maxRel < bound)
    #expect(fastExp2(SIMD16<Float>(repeating: 0))[0] == 1)
    // The kernels' clamp: exactly 0 there.
    #expect(fastExp2(SIMD16<Float>(repeating: -150))[0] == 0)
    #expect(fastExp2(SIMD16<Float>(repeating: .nan))[0].isNaN)
    // A NaN with a payload in its low bits stays NaN.
    #expect(fastExp2(SIMD16<Float>(repeating: Float(bitPattern: 0x7FC0_01FF)))[0].isNaN)
    // Both paths: exactly 0 from −127 down (the clamp), below 2⁻¹²⁶ between −127 and −126,
    // and exact at the top of the domain.
    #expect(fastExp2(SIMD16<Float>(repeating: -127))[0] == 0)
    #expect(fastExp2(SIMD16<Float>(repeating: -1e30))[0] == 0)
    #expect(fastExp2(SIMD16<Float>(repeating: -.infinity))[0] == 0)
    var edge: Float = -127
    while edge < -126 {
      let v = fastExp2(SIMD16<Float>(repeating: edge))[0]
      #expect(v >= 0 && v < Float.leastNormalMagnitude)
      edge += 1.0 / 512
    }
    #expect(fastExp2(SIMD16<Float>(repeating: 127))[0] == Float(sign: .plus, exponent: 127, significand: 1))
    #expect(fastExp2(SIMD16<Float>(repeating: -126))[0] == Float.leastNormalMagnitude)
    // fastExp adds the rounding of x·log₂e: ~|x|·6e-8 relative.
    for x: Float in [-20, -5.5, -1, -0.3, 0, 3, 40] {
      let e = Foundation.exp(Double(x))
      #expect(abs(Double(fastExp(SIMD16<Float>(repeating: x))[0]) - e) / e < 3e-6)
    }
  }

  /// The lane reductions (C vector code): the pairwise tree's sum bit for bit, the extremes
  /// exactly, NaN lanes ignored by the extremes.
  @Test func laneReductions() {
    var generator = Xoshiro256StarStar(seed: 32)
    for round in 0..<200 {
      var v = SIMD16<Float>()
      for k in 0..<16 { v[k] = Float(generator.nextGaussian() * 1e3) }
      var level = (0..<16).map { v[$0] }
      while level.count > 1 {
        let half = level.count / 2
        level = (0..<half).map { level[$0] + level[$0 + half] }
      }
      #expect(treeSum(v) == level[0])
      #expect(treeMax(v) == (0..<16).map { v[$0] }.max()!)
      #expect(treeMin(v) == (0..<16).map { v[$0] }.min()!)
      v[round % 16] = .nan
      var finite = (0..<16).map { v[$0] }
      finite.remove(at: round % 16)
      #expect(treeMax(v) == finite.max()!)
      #expect(treeMin(v) == finite.min()!)
    }
  }

  /// The table lookup (`vpermt2ps`, or the portable loop) picks entry `index & 31`.
  @Test func lookupUsesTheLowFiveBits() {
    var low = SIMD16<Float>(), high = SIMD16<Float>()
    for j in 0..<16 {
      low[j] = Float(j) + 0.5
      high[j] = Float(j + 16) + 0.5
    }
    var generator = Xoshiro256StarStar(seed: 31)
    for _ in 0..<64 {
      var index = SIMD16<Int32>()
      for k in 0..<16 { index[k] = Int32(truncatingIfNeeded: generator.next()) }
      let got = logitdyn_lookup32(low, high, index)
      let portable = logitdyn_lookup32_portable(low, high, index)
      for k in 0..<16 {
        let expected = Float(index[k] & 31) + 0.5
        #expect(got[k] == expected)
        #expect(portable[k] == expected)
      }
    }
  }
}

@Suite struct BatchKernelTests {
  static func matrix(rows: Int, vocab: Int, seed: UInt64) -> [Float] {
    var rng = Xoshiro256StarStar(seed: seed)
    return (0..<(rows * vocab)).map { _ in Float(3 * rng.nextGaussian()) }
  }

  /// Rows of 280 kB: 3 rows per 1 MiB block, 13 blocks, so 2, 3 and 8 workers split them into
  /// uneven contiguous shares and take blocks from each other's shares. Every row is computed
  /// once, and equals the single-row kernel bit for bit.
  @Test func resultsDoNotDependOnThreadCount() {
    let rows = 37, vocab = 70_000
    let z = Self.matrix(rows: rows, vocab: vocab, seed: 8)
    let chosen = (0..<rows).map { ($0 * 131) % vocab }
    let runs = [1, 2, 3, 8].map { threads in
      z.withUnsafeBytes { raw in
        BatchKernel.run(RowSource(base: raw.baseAddress!, element: .float32, rows: rows, vocabulary: vocab),
                        chosen: chosen, threads: threads)
      }
    }
    for r in runs.dropFirst() { #expect(r == runs[0]) }
    z.withUnsafeBufferPointer { buffer in
      for row in 0..<rows {
        let single = FusedRowKernel.statistics(
          row: UnsafeBufferPointer(rebasing: buffer[(row * vocab)..<((row + 1) * vocab)]), chosen: chosen[row])
        #expect(single.isFinite)
        #expect(runs[0][row] == single, "row \(row)")
      }
    }
  }

  @Test func bf16F16F64AndFortranOrderMatchFloat32() {
    let rows = 9, vocab = 3001
    var z = Self.matrix(rows: rows, vocab: vocab, seed: 9)
    // Round to bf16 so that f32, bf16 and f64 hold exactly the same values (f16 is compared
    // separately, against f32 of its own rounding).
    z = z.map { Float(bitPattern: $0.bitPattern & 0xFFFF_0000) }
    let chosen = (0..<rows).map { $0 * 7 }
    let f32 = z.withUnsafeBytes {
      BatchKernel.run(RowSource(base: $0.baseAddress!, element: .float32, rows: rows, vocabulary: vocab), chosen: chosen, threads: 2)
    }
    let bf16 = z.map { UInt16($0.bitPattern >> 16) }
    let fromBF16 = bf16.withUnsafeBytes {
      BatchKernel.run(RowSource(base: $0.baseAddress!, element: .bfloat16, rows: rows, vocabulary: vocab), chosen: chosen, threads: 2)
    }
    // bf16 vectors are read evens-then-odds (summation order differs): equal to 1e-6.
    for (a, b) in zip(fromBF16, f32) {
      #expect(abs(a.entropy - b.entropy) <= 1e-6 * b.entropy)
      #expect(abs(a.logSumExp - b.logSumExp) <= 1e-6 * abs(b.logSumExp))
      #expect(abs(a.collision - b.collision) <= 1e-6 * b.collision)
      #expect(abs(a.chosenLogProb - b.chosenLogProb) <= 1e-6 * abs(b.chosenLogProb))
      #expect(abs(a.normFactor - b.normFactor) <= 1e-6 * b.normFactor)
    }
    let f64 = z.map(Double.init)
    let fromF64 = f64.withUnsafeBytes {
      BatchKernel.run(RowSource(base: $0.baseAddress!, element: .float64, rows: rows, vocabulary: vocab), chosen: chosen, threads: 2)
    }
    #expect(fromF64 == f32)
    // Column-major storage of the same matrix.
    var fortran = [Float](repeating: 0, count: rows * vocab)
    for r in 0..<rows { for v in 0..<vocab { fortran[v * rows + r] = z[r * vocab + v] } }
    let fromFortran = fortran.withUnsafeBytes {
      BatchKernel.run(RowSource(base: $0.baseAddress!, element: .float32, rows: rows, vocabulary: vocab, rowStride: 1, columnStride: rows),
                      chosen: chosen, threads: 2)
    }
    #expect(fromFortran == f32)
    // f16: values rounded to half precision, against f32 of the same rounded values.
    let half = z.map { Float16($0) }
    let halfAsFloat = half.map { Float($0) }
    let f32OfHalf = halfAsFloat.withUnsafeBytes {
      BatchKernel.run(RowSource(base: $0.baseAddress!, element: .float32, rows: rows, vocabulary: vocab), chosen: chosen, threads: 1)
    }
    let fromF16 = half.withUnsafeBytes {
      BatchKernel.run(RowSource(base: $0.baseAddress!, element: .float16, rows: rows, vocabulary: vocab), chosen: chosen, threads: 1)
    }
    #expect(fromF16 == f32OfHalf)
  }

  @Test func outOfRangeChosenTokenFlagsTheRow() {
    let z = Self.matrix(rows: 2, vocab: 10, seed: 1)
    let r = z.withUnsafeBytes {
      BatchKernel.run(RowSource(base: $0.baseAddress!, element: .float32, rows: 2, vocabulary: 10), chosen: [3, 10], threads: 1)
    }
    #expect(r[0].isFinite && !r[1].isFinite)
  }
}
