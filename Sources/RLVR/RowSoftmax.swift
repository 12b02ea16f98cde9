import Foundation
import VectorMath

/// The softmax of one row of `Float` logits at inverse temperature `β`, in `Double`, the
/// exponentials on 8 lanes: `u_j = β(z_j − max z)`, `e_j = e^{u_j}`, `s = Σ e_j`, then
/// `log p_j = u_j − log s` and `p_j = e_j / s`. The buffers are the caller's (padded to a
/// multiple of 8, the padding of `u` held at −1000 so that it adds `e^{−1000} = 0`).
struct RowSoftmax {
  let count: Int, padded: Int
  /// `u` and `e` of the last row.
  let shifted: UnsafeMutablePointer<Double>, exponentials: UnsafeMutablePointer<Double>
  /// `p` of the last row.
  let probabilities: UnsafeMutablePointer<Double>

  init(count: Int) {
    self.count = count
    padded = (count + 7) / 8 * 8
    shifted = .allocate(capacity: padded)
    exponentials = .allocate(capacity: padded)
    probabilities = .allocate(capacity: padded)
    shifted.initialize(repeating: -1000, count: padded)
    exponentials.initialize(repeating: 0, count: padded)
    probabilities.initialize(repeating: 0, count: padded)
  }

  func deallocate() {
    shifted.deallocate()
    exponentials.deallocate()
    probabilities.deallocate()
  }

  /// Computes `u`, `e` and `p` of row `z`; returns `log s`.
  @inline(__always) @discardableResult
  func callAsFunction(_ z: UnsafePointer<Float>, beta: Double) -> Double {
    var m = -Double.infinity
    for j in 0..<count { m = max(m, Double(z[j])) }
    for j in 0..<count { shifted[j] = beta * (Double(z[j]) - m) }
    var total = SIMD8<Double>()
    for j in Swift.stride(from: 0, to: padded, by: 8) {
      let e = vectorExp(UnsafeRawPointer(shifted + j).loadUnaligned(as: SIMD8<Double>.self))
      UnsafeMutableRawPointer(exponentials + j).storeBytes(of: e, as: SIMD8<Double>.self)
      total += e
    }
    let s = total.sum(), inverse = 1 / s
    for j in 0..<count { probabilities[j] = exponentials[j] * inverse }
    return Foundation.log(s)
  }

  /// `H = −Σ p_j log p_j` of the last row, given its `log s`.
  @inline(__always)
  func entropy(logPartition logS: Double) -> Double {
    var h = 0.0
    for j in 0..<count where probabilities[j] > 0 { h -= probabilities[j] * (shifted[j] - logS) }
    return h
  }
}
