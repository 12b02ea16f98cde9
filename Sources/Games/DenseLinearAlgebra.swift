import RealModule

/// Small dense linear algebra for the path tracer (systems of a few dozen unknowns).
enum Dense {
  /// LU factors with partial pivoting of a square matrix (row-major), or nil if singular.
  struct LU {
    var a: [Double]
    var pivots: [Int]
    let n: Int
    var swaps = 0

    init(_ matrix: [Double], n: Int) {
      a = matrix
      self.n = n
      pivots = Array(0..<n)
      for k in 0..<n {
        var p = k, best = abs(a[k * n + k])
        for i in (k + 1)..<max(k + 1, n) where abs(a[i * n + k]) > best {
          best = abs(a[i * n + k])
          p = i
        }
        if p != k {
          for j in 0..<n { a.swapAt(k * n + j, p * n + j) }
          pivots.swapAt(k, p)
          swaps += 1
        }
        let d = a[k * n + k]
        guard d != 0 else { continue }
        for i in (k + 1)..<max(k + 1, n) {
          let f = a[i * n + k] / d
          a[i * n + k] = f
          if f != 0 { for j in (k + 1)..<n { a[i * n + j] -= f * a[k * n + j] } }
        }
      }
    }

    /// The sign of `det A` and `log|det A|` (no overflow for large systems).
    var logDeterminant: (sign: Double, log: Double) {
      var sign = swaps % 2 == 0 ? 1.0 : -1.0, log = 0.0
      for k in 0..<n {
        let d = a[k * n + k]
        if d < 0 { sign = -sign }
        if d == 0 { return (0, -.infinity) }
        log += Double.log(abs(d))
      }
      return (sign, log)
    }

    /// Whether a pivot is zero or negligible next to the largest.
    var isSingular: Bool {
      let diag = (0..<n).map { abs(a[$0 * n + $0]) }
      return diag.min()! <= 1e-300 || diag.min()! < 1e-15 * diag.max()!
    }

    /// Solves `A x = b`.
    func solve(_ b: [Double]) -> [Double] {
      var x = pivots.map { b[$0] }
      for i in 0..<n { for j in 0..<i { x[i] -= a[i * n + j] * x[j] } }
      for i in stride(from: n - 1, through: 0, by: -1) {
        for j in (i + 1)..<n { x[i] -= a[i * n + j] * x[j] }
        x[i] /= a[i * n + i]
      }
      return x
    }
  }

  static func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
  static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
  static func maxAbs(_ v: [Double]) -> Double { v.reduce(0) { max($0, abs($1)) } }
}

