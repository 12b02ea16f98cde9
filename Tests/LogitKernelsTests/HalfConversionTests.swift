import KernelIntrinsics
import LogitKernels
import Testing

/// The half-precision loads of the f16 row loader: every one of the 65,536 bit patterns, by
/// the vector path this build uses (`vcvtph2ps` with F16C), against Swift's `Float(Float16(bitPattern:))` (bit for bit; any NaN for a NaN:
/// whether a signalling NaN is quieted is the instruction's business).
@Suite struct HalfConversionTests {
  static func same(_ a: Float, _ b: Float) -> Bool {
    a.isNaN ? b.isNaN : a.bitPattern == b.bitPattern
  }

  @Test func everyBitPatternConvertsExactly() {
    var bits = [UInt16](repeating: 0, count: 65536)
    for i in 0..<65536 { bits[i] = UInt16(i) }
    var wrongVector = 0
    bits.withUnsafeBytes { raw in
      for start in stride(from: 0, to: 65536, by: 16) {
        let v = logitdyn_load_half16(raw.baseAddress! + 2 * start)
        for k in 0..<16 {
          let h = bits[start + k]
          let expected = Float(Float16(bitPattern: h))
          if !Self.same(v[k], expected) { wrongVector += 1 }
        }
      }
    }
    #expect(wrongVector == 0)
  }

  /// The loader reads its values in order (unlike bf16's even/odd order) from any offset.
  @Test func loaderReadsInOrderFromAnyOffset() {
    let values: [Float16] = (0..<40).map { Float16(Float($0) * 0.25 - 3) }
    values.withUnsafeBufferPointer { p in
      p.withMemoryRebound(to: UInt16.self) { u in
        for offset in [0, 1, 3, 7, 24] {
          let v = Float16RowLoader(u.baseAddress!).vector(at: offset)
          for k in 0..<16 { #expect(v[k] == Float(values[offset + k])) }
        }
      }
    }
  }
}
