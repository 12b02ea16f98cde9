
/// `tanh` in place on `n` values, 16 lanes at a time: `tanh x = sign(x)(1 − e)/(1 + e)` with
/// `e = exp(−2|x|)` from ``fastExp(_:)`` (relative error ~3e-7; `|x| > 43.5` saturates to ±1
/// exactly). The last `n mod 16` values are done in one padded vector, so every value gets
/// the same formula whatever its position.
///
/// - Complexity: O(n).
@inlinable
public func vectorTanh(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
  var i = 0
  while i + 16 <= n {
    let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
    UnsafeMutableRawPointer(x + i).storeBytes(of: tanh16(v), as: SIMD16<Float>.self)
    i += 16
  }
  if i < n {
    var v = SIMD16<Float>()
    for j in 0..<(n - i) { v[j] = x[i + j] }
    let t = tanh16(v)
    for j in 0..<(n - i) { x[i + j] = t[j] }
  }
}

/// `tanh` on 16 lanes (see ``vectorTanh(_:_:)``); NaN gives NaN.
@inlinable @inline(__always)
public func tanh16(_ v: SIMD16<Float>) -> SIMD16<Float> {
  let a = v.replacing(with: -v, where: v .< 0)
  let e = fastExp((-2 * a).replacing(with: -87, where: a .> 43.5))
  let t = (1 - e) / (1 + e)
  return t.replacing(with: -t, where: v .< 0)
}

/// `Σ a_i b_i` with 16-lane partial sums folded by a fixed tree, then the tail in order: the
/// result depends on nothing but the inputs.
///
/// - Complexity: O(n).
@inlinable @inline(__always)
public func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
  var acc = SIMD16<Float>()
  var i = 0
  while i + 16 <= n {
    acc = acc.addingProduct(UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self), UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self))
    i += 16
  }
  var s = treeSum(acc)
  while i < n {
    s += a[i] * b[i]
    i += 1
  }
  return s
}
