import Foundation
import SeededRandom
import VectorMath
import Testing

/// The 8-lane double functions against the C library, over their whole ranges.
@Suite struct SIMDDoubleMathTests {
  func ulpError(_ got: Double, _ want: Double) -> Double {
    if got == want { return 0 }
    return abs(got - want) / want.ulp
  }

  func lanes(_ xs: ArraySlice<Double>) -> SIMD8<Double> {
    var v = SIMD8<Double>()
    for (i, x) in xs.enumerated() { v[i] = x }
    return v
  }

  @Test func expMatchesTheCLibrary() {
    var rng = Xoshiro256StarStar(seed: 11)
    var xs = (0..<80_000).map { _ in -708 * rng.nextDouble() }
    xs += (0..<8_000).map { _ in 709 * rng.nextDouble() }
    xs += [0, -0.0, -1e-300, -0.34657359, -0.34657360, -708.39, -700, 1, -1, 709, -745, -1e6]
    while xs.count % 8 != 0 { xs.append(-2) }
    var worst = 0.0
    for start in stride(from: 0, to: xs.count, by: 8) {
      let v = vectorExp(lanes(xs[start..<(start + 8)]))
      for i in 0..<8 {
        let x = xs[start + i], want = Foundation.exp(x)
        if x < -708.39 {
          #expect(v[i] == 0)
        } else {
          worst = max(worst, ulpError(v[i], want))
        }
      }
    }
    #expect(worst <= 2, "exp worst error \(worst) ulp")
    #expect(vectorExp(.zero) == SIMD8(repeating: 1))
  }

  @Test func logMatchesTheCLibrary() {
    var rng = Xoshiro256StarStar(seed: 12)
    var xs = (0..<40_000).map { _ in rng.nextOpenDouble() }
    xs += (0..<40_000).map { _ in Foundation.exp(1400 * rng.nextDouble() - 700) }
    xs += [1, 0.5, 2, 1.0.nextUp, 1.0.nextDown, Double.leastNormalMagnitude, Double.greatestFiniteMagnitude,
           0.707_106_781_186_547_5, 1.414_213_562_373_095, 0x1.0p-53, 3, 10, 1e300]
    while xs.count % 8 != 0 { xs.append(7) }
    var worst = 0.0
    for start in stride(from: 0, to: xs.count, by: 8) {
      let v = vectorLog(lanes(xs[start..<(start + 8)]))
      for i in 0..<8 {
        let want = Foundation.log(xs[start + i])
        // Near x = 1 the result is tiny: measure in ulps of the result or 1e-16 absolute.
        let err = want == 0 ? abs(v[i]) / 1e-300 : ulpError(v[i], want)
        worst = max(worst, min(err, abs(v[i] - want) / 1e-17))
      }
    }
    #expect(worst <= 2, "log worst error \(worst) ulp")
    #expect(vectorLog(SIMD8(repeating: 1)) == .zero)
  }

  @Test func cos2PiMatchesTheCLibrary() {
    var rng = Xoshiro256StarStar(seed: 13)
    var xs = (0..<80_000).map { _ in rng.nextDouble() }
    xs += [0, 0.25, 0.5, 0.75, 0.125, 0.999_999_999, 1e-12, 0.249_999_999_9, 0.250_000_000_1]
    while xs.count % 8 != 0 { xs.append(0.3) }
    var worst = 0.0
    for start in stride(from: 0, to: xs.count, by: 8) {
      let v = vectorCos2Pi(lanes(xs[start..<(start + 8)]))
      for i in 0..<8 {
        // Reference in 80-bit precision: cos(2π·u) in Double would carry the rounding of 2πu.
        let want = Double(Foundation.cos(2 * Float80.pi * Float80(xs[start + i])))
        worst = max(worst, abs(v[i] - want))
      }
    }
    #expect(worst < 3e-16, "cos 2πu worst absolute error \(worst)")
  }

  /// The 8-lane generator reproduces eight scalar streams draw for draw, uniforms and
  /// Gaussians included (Gaussians to the accuracy of the vector log and cosine).
  @Test func vectorGeneratorMatchesScalarStreams() {
    var scalars = (0..<8).map { Xoshiro256StarStar(seed: 5, stream: UInt64($0)) }
    var vector = Xoshiro256StarStarX8(lanes: scalars)
    for round in 0..<2_000 {
      switch round % 3 {
      case 0:
        let v = vector.nextDouble()
        for i in 0..<8 { #expect(v[i] == scalars[i].nextDouble()) }
      case 1:
        let v = vector.nextOpenDouble()
        for i in 0..<8 { #expect(v[i] == scalars[i].nextOpenDouble()) }
      default:
        let v = vector.nextGaussian(log: vectorLog, cos2pi: vectorCos2Pi)
        for i in 0..<8 {
          let g = scalars[i].nextGaussian()
          #expect(abs(v[i] - g) <= 1e-14 * max(1, abs(g)))
        }
      }
    }
    for i in 0..<8 { #expect(vector.lane(i) == scalars[i]) }
  }
}
