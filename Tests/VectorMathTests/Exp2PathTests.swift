import Foundation
import KernelIntrinsics
import Testing

@testable import VectorMath

/// Each `exp2` the kernels can be built with — the degree-5 polynomial (portable), the
/// 8-entry table (AVX2+FMA), the 32-entry table (AVX-512) — against `Double` `exp2` over the
/// whole input range `[−127, 127]`, whichever of them this build selects: the lookups fall
/// back to loops where the instructions are missing, with the same arithmetic.
@Suite struct Exp2PathTests {
  struct Path: Sendable {
    var name: String
    var bound: Double
    var index: Int
    func f(_ y: SIMD16<Float>) -> SIMD16<Float> {
      switch index {
      case 0: polynomialExp2(y)
      case 1: table8Exp2(y)
      default: tableExp2(y)
      }
    }
  }

  static let paths = [
    Path(name: "polynomial", bound: 2.5e-7, index: 0), Path(name: "table8", bound: 1.5e-7, index: 1),
    Path(name: "table32", bound: 2e-7, index: 2),
  ]

  /// The largest relative error over `ys`, 16 at a time in distinct lanes.
  static func maxRelativeError(_ f: (SIMD16<Float>) -> SIMD16<Float>, _ ys: [Float]) -> (Double, Float) {
    var worst = 0.0, at: Float = 0
    var i = 0
    while i < ys.count {
      var v = SIMD16<Float>(repeating: 0)
      let n = min(16, ys.count - i)
      for j in 0..<n { v[j] = ys[i + j] }
      let r = f(v)
      for j in 0..<n {
        let e = Foundation.exp2(Double(ys[i + j]))
        let rel = abs(Double(r[j]) - e) / e
        if rel > worst || rel.isNaN { worst = rel.isNaN ? .infinity : rel; at = ys[i + j] }
      }
      i += 16
    }
    return (worst, at)
  }

  /// A 2⁻¹⁷ grid over [−1, 1] (64 ulps at 1: every table entry and offsets within it), a
  /// 2⁻¹⁰ grid over the normal range with an irrational jitter, and the points next to every
  /// table boundary `k ± 1/64` and `k ± 1/16` for the integers `k`.
  static let grid: [Float] = {
    var ys: [Float] = []
    for i in -131072...131072 { ys.append(Float(i) / 131072) }
    var x = -126.0
    while x <= 127 {
      ys.append(Float(x))
      x += 1.0 / 1024 + 1e-7 * Double.pi
    }
    for k in -126...126 {
      let offsets: [Double] = [-1.0 / 16, -1.0 / 32, -1.0 / 64, 0, 1.0 / 64, 1.0 / 32, 1.0 / 16]
      for d in offsets {
        let b = Float(Double(k) + d)
        ys += [b.nextDown, b, b.nextUp]
      }
    }
    return ys.filter { $0 >= -126 && $0 <= 127 }
  }()

  @Test(arguments: 0..<3)
  func accurateOverTheWholeRange(path index: Int) {
    let path = Self.paths[index]
    let (worst, at) = Self.maxRelativeError(path.f, Self.grid)
    #expect(worst < path.bound, "\(path.name): relative error \(worst) at y = \(at)")
    print("note: exp2 \(path.name): max relative error \(worst) over \(Self.grid.count) points (at y = \(at))")
  }

  /// The edges: `2^0 = 1` and `2^127`, `2^−126` exactly; `+0` at −127 (the clamp); below
  /// `2⁻¹²⁶` and non-negative on `(−127, −126)` (the denormal edge: the kernels need only
  /// "negligible"); NaN stays NaN whatever its payload.
  @Test(arguments: 0..<3)
  func edges(path index: Int) {
    let path = Self.paths[index]
    let f = path.f
    let name = Self.paths[index].name
    #expect(f(SIMD16(repeating: 0))[0] == 1, "\(name)")
    #expect(f(SIMD16(repeating: 127))[0] == Float(sign: .plus, exponent: 127, significand: 1), "\(name)")
    #expect(f(SIMD16(repeating: -126))[0] == Float.leastNormalMagnitude, "\(name)")
    #expect(f(SIMD16(repeating: -127))[0] == 0, "\(name)")
    var y: Float = -127
    while y < -126 {
      let v = f(SIMD16(repeating: y))[0]
      #expect(v >= 0 && v < Float.leastNormalMagnitude, "\(name): 2^\(y) = \(v)")
      y += 1.0 / 1024
    }
    for bits: UInt32 in [0x7FC0_0000, 0x7FC0_01FF, 0xFFC0_0001, 0x7F80_0001] {
      #expect(f(SIMD16(repeating: Float(bitPattern: bits)))[0].isNaN, "\(name): NaN \(String(bits, radix: 16))")
    }
    // Monotone across every table boundary near 0 (a wrong entry shows as a step back).
    var previous: Float = 0
    var x: Float = -4
    while x <= 4 {
      let v = f(SIMD16(repeating: x))[0]
      #expect(v >= previous, "\(name): not monotone at \(x)")
      previous = v
      x += 1.0 / 4096
    }
  }

  /// The build selects the table where the instructions exist.
  @Test func theSelectedPathIsTheFastOne() {
    let y = SIMD16<Float>((0..<16).map { Float($0) * -0.37 - 0.01 })
    let selected = clampedExp2(y)
    let expected = LOGITDYN_HAS_AVX512 != 0 ? tableExp2(y) : LOGITDYN_HAS_AVX2_FMA != 0 ? table8Exp2(y) : polynomialExp2(y)
    #expect(selected == expected)
    print("note: this build's exp2 is \(LOGITDYN_HAS_AVX512 != 0 ? "table32 (AVX-512)" : LOGITDYN_HAS_AVX2_FMA != 0 ? "table8 (AVX2+FMA)" : "the polynomial")")
  }
}
