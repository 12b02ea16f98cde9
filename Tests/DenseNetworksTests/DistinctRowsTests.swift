import DenseNetworks
import SeededRandom
import Testing

/// Running a batch's distinct one-hot rows once: the same logits bit for bit, and the same
/// gradient (summed copies) up to rounding, against running every row.
@Suite struct DistinctRowsTests {
  /// A batch of `rows` one-hot rows drawn from `pool` distinct ones (so most repeat).
  static func batch(rows: Int, pool: Int, active: Int, features: Int, _ rng: inout Xoshiro256StarStar) -> [Int32] {
    let distinct = (0..<pool).map { _ in (0..<active).map { _ in Int32(rng.nextInt(below: features)) } }
    return (0..<rows).flatMap { _ in distinct[rng.nextInt(below: pool)] }
  }

  @Test(arguments: [(1, 1), (7, 3), (64, 5), (300, 300), (512, 40)])
  func findsEveryDistinctRowInOrder(_ rows: Int, _ pool: Int) {
    var rng = Xoshiro256StarStar(seed: 3, stream: UInt64(rows))
    let x = Self.batch(rows: rows, pool: pool, active: 4, features: 9, &rng)
    let d = DistinctRows(active: 4, maxRows: 512)
    let u = x.withUnsafeBufferPointer { d.build($0.baseAddress!, rows: rows) }
    // The reference: first occurrences in order.
    var seen: [[Int32]] = []
    for r in 0..<rows {
      let row = Array(x[(r * 4)..<(r * 4 + 4)])
      if !seen.contains(row) { seen.append(row) }
      let rep = Int(d.representative[r])
      #expect(Array(UnsafeBufferPointer(start: d.rows + rep * 4, count: 4)) == row)
    }
    #expect(u == seen.count)
    for (i, row) in seen.enumerated() { #expect(Array(UnsafeBufferPointer(start: d.rows + i * 4, count: 4)) == row) }
  }

  @Test func distinctForwardAndBackwardAgreeWithAllRows() {
    let shape = NetworkShape(input: .oneHot(features: 78, active: 8), hidden: [40, 20], outputs: 10, activation: .tanh)
    let rows = 200
    var rng = Xoshiro256StarStar(seed: 11, stream: 2)
    let x = Self.batch(rows: rows, pool: 23, active: 8, features: 78, &rng)
    let theta = (0..<shape.parameterCount).map { _ in Float(rng.nextGaussian()) * 0.3 }
    let dz = (0..<(rows * 10)).map { _ in Float(rng.nextGaussian()) }
    let all = NetworkWorkspace(shape, maxRows: rows), few = NetworkWorkspace(shape, maxRows: rows)
    let d = DistinctRows(active: 8, maxRows: rows)
    var gAll = [Float](repeating: 0, count: shape.parameterCount), gFew = gAll
    var summed = [Float](repeating: 0, count: rows * 10)
    theta.withUnsafeBufferPointer { p in
      x.withUnsafeBufferPointer { xb in
        let zAll = all.forward(p.baseAddress!, .oneHot(xb.baseAddress!), rows: rows)
        let u = d.build(xb.baseAddress!, rows: rows)
        #expect(u <= 23)
        let zFew = few.forward(p.baseAddress!, .oneHot(d.rows), rows: u)
        for r in 0..<rows { for j in 0..<10 { #expect(zAll[r, j] == zFew[Int(d.representative[r]), j]) } }
        dz.withUnsafeBufferPointer { db in
          gAll.withUnsafeMutableBufferPointer { g in
            all.backward(p.baseAddress!, .oneHot(xb.baseAddress!), outputGradient: MatrixView(db.baseAddress!, rows: rows, columns: 10), into: g.baseAddress!)
          }
          summed.withUnsafeMutableBufferPointer { s in
            d.sumRows(db.baseAddress!, columns: 10, into: s.baseAddress!)
            gFew.withUnsafeMutableBufferPointer { g in
              few.backward(p.baseAddress!, .oneHot(d.rows), outputGradient: MatrixView(s.baseAddress!, rows: u, columns: 10), into: g.baseAddress!)
            }
          }
        }
      }
    }
    let scale = gAll.map { abs($0) }.max()!
    for i in gAll.indices { #expect(abs(gAll[i] - gFew[i]) <= 1e-5 * scale, "parameter \(i): \(gAll[i]) vs \(gFew[i])") }
  }
}
