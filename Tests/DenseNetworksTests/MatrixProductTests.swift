import Foundation
import DenseNetworks
import SeededRandom
import Testing

/// The three product shapes against a naive `Double` reference, on random shapes with edge
/// sizes around the tile widths (1, 15, 16, 17, 33, 129, …), strided views, accumulation and
/// the fused bias + activation.
@Suite struct MatrixProductTests {
  static let sizes = [1, 2, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 129]

  /// Random `rows × columns` values in a buffer with row stride `stride`.
  static func random(_ rows: Int, _ columns: Int, stride: Int, _ rng: inout Xoshiro256StarStar) -> [Float] {
    (0..<(max(1, rows) * stride)).map { _ in Float(rng.nextGaussian()) }
  }

  /// `Σ_p A(i,p) B(p,j)` in Double, and `Σ_p |A(i,p) B(p,j)|` for the tolerance.
  static func reference(m: Int, n: Int, k: Int, a: (Int, Int) -> Float, b: (Int, Int) -> Float) -> ([Double], [Double]) {
    var c = [Double](repeating: 0, count: m * n), mag = c
    for i in 0..<m {
      for j in 0..<n {
        var s = 0.0, t = 0.0
        for p in 0..<k {
          let x = Double(a(i, p)) * Double(b(p, j))
          s += x
          t += abs(x)
        }
        c[i * n + j] = s
        mag[i * n + j] = t
      }
    }
    return (c, mag)
  }

  enum Shape: CaseIterable { case ab, atb, abt }

  func check(_ shape: Shape, m: Int, n: Int, k: Int, seed: UInt64, accumulate: Bool) {
    var rng = Xoshiro256StarStar(seed: seed, stream: UInt64(m * 10_000 + n * 100 + k))
    let scratch = ProductScratch(k: 4, n: 4)  // too small on purpose: it must grow
    // Stored shapes of the operands, each with a row stride 3 larger than its width.
    let (ar, ac) = shape == .atb ? (k, m) : (m, k)
    let (br, bc) = shape == .abt ? (n, k) : (k, n)
    let aData = Self.random(ar, ac, stride: ac + 3, &rng), bData = Self.random(br, bc, stride: bc + 3, &rng)
    var cData = Self.random(m, n, stride: n + 3, &rng)
    let cBefore = cData
    aData.withUnsafeBufferPointer { ab in
      bData.withUnsafeBufferPointer { bb in
        cData.withUnsafeMutableBufferPointer { cb in
          let a = MatrixView(ab.baseAddress!, rows: ar, columns: ac, stride: ac + 3)
          let b = MatrixView(bb.baseAddress!, rows: br, columns: bc, stride: bc + 3)
          let c = MutableMatrixView(cb.baseAddress!, rows: m, columns: n, stride: n + 3)
          switch shape {
          case .ab: MatrixProduct.multiply(a, b, into: c, accumulate: accumulate, scratch: scratch)
          case .atb: MatrixProduct.multiplyTransposingA(a, b, into: c, accumulate: accumulate, scratch: scratch)
          case .abt: MatrixProduct.multiplyTransposingB(a, b, into: c, accumulate: accumulate, scratch: scratch)
          }
        }
      }
    }
    let aAt: (Int, Int) -> Float = shape == .atb ? { i, p in aData[p * (ac + 3) + i] } : { i, p in aData[i * (ac + 3) + p] }
    let bAt: (Int, Int) -> Float = shape == .abt ? { p, j in bData[j * (bc + 3) + p] } : { p, j in bData[p * (bc + 3) + j] }
    let (ref, mag) = Self.reference(m: m, n: n, k: k, a: aAt, b: bAt)
    var worst = 0.0
    for i in 0..<m {
      for j in 0..<n {
        let start = accumulate ? Double(cBefore[i * (n + 3) + j]) : 0
        let expected = start + ref[i * n + j]
        let err = abs(Double(cData[i * (n + 3) + j]) - expected) / (mag[i * n + j] + abs(start) + 1e-30)
        worst = max(worst, err)
      }
      // The padding between rows is untouched.
      for j in n..<(n + 3) { #expect(cData[i * (n + 3) + j] == cBefore[i * (n + 3) + j]) }
    }
    // Float sums of k products: relative to Σ|terms| the error is below ~k·2⁻²⁴.
    #expect(worst < Double(k + 2) * 6e-8, "\(shape) m=\(m) n=\(n) k=\(k) accumulate=\(accumulate): worst relative error \(worst)")
  }

  @Test(arguments: Shape.allCases)
  func productsMatchTheDoubleReference(_ shape: Shape) {
    var seed: UInt64 = 1
    for m in Self.sizes {
      for n in [1, 10, 15, 16, 17, 33, 64, 129] {
        for k in [1, 16, 17, 78, 128] where (m * n * k) < 400_000 {
          check(shape, m: m, n: n, k: k, seed: seed, accumulate: seed % 2 == 0)
          seed += 1
        }
      }
    }
  }

  @Test func trainingShapes() {
    // The shapes of the lab's MLP and the mini-RLVR policy.
    for (m, n, k) in [(256, 128, 128), (256, 10, 128), (128, 128, 256), (256, 64, 32), (256, 16, 64), (64, 32, 256)] {
      for shape in Shape.allCases { check(shape, m: m, n: n, k: k, seed: 99, accumulate: false) }
    }
  }

  @Test func zeroDepthGivesZeroOrKeepsC() {
    let scratch = ProductScratch()
    let a = [Float](repeating: 1, count: 4), b = [Float](repeating: 1, count: 4)
    var c = [Float](repeating: 7, count: 6)
    a.withUnsafeBufferPointer { ab in
      b.withUnsafeBufferPointer { bb in
        c.withUnsafeMutableBufferPointer { cb in
          MatrixProduct.multiply(MatrixView(ab.baseAddress!, rows: 2, columns: 0), MatrixView(bb.baseAddress!, rows: 0, columns: 3),
                                 into: MutableMatrixView(cb.baseAddress!, rows: 2, columns: 3), scratch: scratch)
        }
      }
    }
    #expect(c == [Float](repeating: 0, count: 6))
  }

  @Test(arguments: Activation.allCases)
  func fusedBiasAndActivation(_ activation: Activation) {
    var rng = Xoshiro256StarStar(seed: 5)
    let scratch = ProductScratch()
    for (m, n, k) in [(7, 10, 5), (9, 33, 17), (20, 64, 3)] {
      let a = Self.random(m, k, stride: k, &rng), b = Self.random(k, n, stride: n, &rng), bias = Self.random(1, n, stride: n, &rng)
      var c = [Float](repeating: 0, count: m * n)
      a.withUnsafeBufferPointer { ab in
        b.withUnsafeBufferPointer { bb in
          bias.withUnsafeBufferPointer { biasb in
            c.withUnsafeMutableBufferPointer { cb in
              MatrixProduct.multiply(MatrixView(ab.baseAddress!, rows: m, columns: k), MatrixView(bb.baseAddress!, rows: k, columns: n),
                                     into: MutableMatrixView(cb.baseAddress!, rows: m, columns: n), bias: biasb.baseAddress!, activation: activation, scratch: scratch)
            }
          }
        }
      }
      let (ref, _) = Self.reference(m: m, n: n, k: k, a: { a[$0 * k + $1] }, b: { b[$0 * n + $1] })
      for i in 0..<m {
        for j in 0..<n {
          let pre = ref[i * n + j] + Double(bias[j])
          let expected: Double
          switch activation {
          case .identity: expected = pre
          case .tanh: expected = Foundation.tanh(pre)
          case .relu: expected = max(0, pre)
          }
          #expect(abs(Double(c[i * n + j]) - expected) < 2e-5 * (1 + abs(expected)), "\(activation) (\(i), \(j))")
        }
      }
    }
  }
}

