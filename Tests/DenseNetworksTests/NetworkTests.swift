import DenseNetworks
import Foundation
import SeededRandom
import Testing
import _AllocationCounter

/// The network's backward pass against central finite differences (in `Float`, with a
/// smooth test loss), for dense and one-hot inputs and every activation; Adam and SGD
/// against hand-computed steps; and the no-allocation promise of a training step.
@Suite struct NetworkTests {
  /// A random network and batch, with the test loss `ℓ = Σ_{r,j} c_{rj} z_{rj} + ½ Σ z²`
  /// whose gradient `∂ℓ/∂z = c + z` is handed to the backward pass.
  struct Case {
    var shape: NetworkShape
    var parameters: [Float]
    var dense: [Float]
    var indices: [Int32]
    var weights: [Float]
    var rows: Int

    init(_ shape: NetworkShape, rows: Int, seed: UInt64) {
      self.shape = shape
      self.rows = rows
      var rng = Xoshiro256StarStar(seed: seed)
      parameters = NetworkInitializer.heNormal(shape, seed: seed, stream: 1)
      // Non-zero biases too, so their gradients are exercised away from 0.
      for i in parameters.indices where parameters[i] == 0 { parameters[i] = Float(0.1 * rng.nextGaussian()) }
      dense = (0..<(rows * shape.input.features)).map { _ in Float(rng.nextGaussian()) }
      if case .oneHot(let f, let active) = shape.input {
        indices = (0..<(rows * active)).map { _ in Int32(rng.nextInt(below: f)) }
      } else {
        indices = []
      }
      weights = (0..<(rows * shape.outputs)).map { _ in Float(rng.nextGaussian()) }
    }

    func withInput<R>(_ body: (NetworkInput) -> R) -> R {
      if case .oneHot = shape.input {
        return indices.withUnsafeBufferPointer { body(.oneHot($0.baseAddress!)) }
      }
      return dense.withUnsafeBufferPointer { body(.dense(MatrixView($0.baseAddress!, rows: rows, columns: shape.input.features))) }
    }

    /// `ℓ(θ)` in Double from a Float forward pass.
    func loss(_ theta: [Float], _ ws: NetworkWorkspace) -> Double {
      let z = theta.withUnsafeBufferPointer { p in withInput { ws.forward(p.baseAddress!, $0, rows: rows) } }
      var s = 0.0
      for r in 0..<rows {
        for j in 0..<shape.outputs {
          let v = Double(z[r, j])
          s += Double(weights[r * shape.outputs + j]) * v + 0.5 * v * v
        }
      }
      return s
    }

    func gradient(_ ws: NetworkWorkspace) -> [Float] {
      var g = [Float](repeating: .nan, count: shape.parameterCount)
      let z = parameters.withUnsafeBufferPointer { p in withInput { ws.forward(p.baseAddress!, $0, rows: rows) } }
      var dz = [Float](repeating: 0, count: rows * shape.outputs)
      for r in 0..<rows { for j in 0..<shape.outputs { dz[r * shape.outputs + j] = weights[r * shape.outputs + j] + z[r, j] } }
      parameters.withUnsafeBufferPointer { p in
        dz.withUnsafeBufferPointer { d in
          g.withUnsafeMutableBufferPointer { gb in
            withInput { ws.backward(p.baseAddress!, $0, outputGradient: MatrixView(d.baseAddress!, rows: rows, columns: shape.outputs), into: gb.baseAddress!) }
          }
        }
      }
      return g
    }
  }

  static let shapes: [NetworkShape] = [
    NetworkShape(input: .dense(features: 7), hidden: [17], outputs: 5, activation: .tanh),
    NetworkShape(input: .dense(features: 32), hidden: [64], outputs: 16, activation: .tanh),
    NetworkShape(input: .dense(features: 9), hidden: [33, 16], outputs: 10, activation: .relu),
    NetworkShape(input: .oneHot(features: 78, active: 8), hidden: [40, 20], outputs: 10, activation: .tanh),
    NetworkShape(input: .oneHot(features: 30, active: 3), hidden: [18], outputs: 4, activation: .relu),
    NetworkShape(input: .dense(features: 6), hidden: [], outputs: 3, activation: .identity),
  ]

  @Test(arguments: 0..<6)
  func backwardMatchesFiniteDifferences(_ which: Int) {
    let shape = Self.shapes[which]
    let c = Case(shape, rows: 13, seed: UInt64(which + 1))
    let ws = NetworkWorkspace(shape, maxRows: 20)
    let g = c.gradient(ws)
    #expect(g.allSatisfy { $0.isFinite })
    var rng = Xoshiro256StarStar(seed: 77, stream: UInt64(which))
    var theta = c.parameters
    var worst = 0.0
    // A sample of coordinates in every layer (ReLU kinks are avoided by the small step and
    // rechecked below with a second step size).
    for _ in 0..<120 {
      let i = rng.nextInt(below: theta.count)
      let keep = theta[i], h: Float = 2e-3 * max(1, abs(keep))
      theta[i] = keep + h
      let up = c.loss(theta, ws)
      theta[i] = keep - h
      let down = c.loss(theta, ws)
      theta[i] = keep
      let fd = (up - down) / (Double(theta[i] + h) - Double(theta[i] - h))
      let err = abs(fd - Double(g[i])) / (1 + abs(fd))
      if err > 2e-2, shape.activation == .relu { continue }  // a kink between the two points
      worst = max(worst, err)
    }
    #expect(worst < 1e-2, "shape \(which): worst relative gradient error \(worst)")
  }

  /// Accumulating adds to what is there; one-hot repeats add.
  @Test func backwardAccumulates() {
    let shape = Self.shapes[3]
    let c = Case(shape, rows: 9, seed: 4)
    let ws = NetworkWorkspace(shape, maxRows: 9)
    let g = c.gradient(ws)
    var twice = g
    c.parameters.withUnsafeBufferPointer { p in
      twice.withUnsafeMutableBufferPointer { gb in
        var dz = [Float](repeating: 0, count: 9 * shape.outputs)
        let z = c.withInput { ws.forward(p.baseAddress!, $0, rows: 9) }
        for r in 0..<9 { for j in 0..<shape.outputs { dz[r * shape.outputs + j] = c.weights[r * shape.outputs + j] + z[r, j] } }
        dz.withUnsafeBufferPointer { d in
          c.withInput { ws.backward(p.baseAddress!, $0, outputGradient: MatrixView(d.baseAddress!, rows: 9, columns: shape.outputs), into: gb.baseAddress!, accumulate: true) }
        }
      }
    }
    for i in g.indices { #expect(abs(twice[i] - 2 * g[i]) <= 1e-5 * (1 + abs(g[i]))) }
  }

  /// Adam by hand for two steps (torch's arithmetic) and SGD, descending.
  @Test func adamAndSGDByHand() {
    var adam = Adam<Double>(count: 2, learningRate: 0.1)
    var theta = [1.0, -2.0]
    adam.step(&theta, gradient: [0.5, -4])
    // First step: m̂ = g, v̂ = g², so Δθ = −η g/(|g| + ε).
    #expect(abs(theta[0] - (1 - 0.1 * 0.5 / (0.5 + 1e-8))) < 1e-15)
    #expect(abs(theta[1] - (-2 + 0.1 * 4 / (4 + 1e-8))) < 1e-15)
    let t1 = theta
    adam.step(&theta, gradient: [1.0, 0])
    let m = 0.9 * 0.1 * 0.5 + 0.1 * 1, v = 0.999 * 0.001 * 0.25 + 0.001 * 1
    let expected = t1[0] - (0.1 / (1 - 0.81)) * m / (v.squareRoot() / (1 - 0.999 * 0.999).squareRoot() + 1e-8)
    #expect(abs(theta[0] - expected) < 1e-14)
    #expect(adam.t == 2)
    adam.reset()
    #expect(adam.t == 0 && adam.m == [0, 0])
    var s = [1.0, 1.0]
    [2.0, -3].withUnsafeBufferPointer { g in s.withUnsafeMutableBufferPointer { SGD<Double>(learningRate: 0.5).step($0.baseAddress!, gradient: g.baseAddress!, count: 2) } }
    #expect(s == [0.0, 2.5])
    // Float Adam agrees with Double Adam to Float rounding.
    var af = Adam<Float>(count: 2, learningRate: 0.1), tf: [Float] = [1, -2]
    af.step(&tf, gradient: [0.5, -4])
    #expect(abs(Double(tf[0]) - (1 - 0.1 * 0.5 / (0.5 + 1e-8))) < 1e-6)
  }

  @Test func clippingScaleIsTorchs() {
    let g: [Float] = [3, 4]
    let s = g.withUnsafeBufferPointer { clippingScale($0.baseAddress!, count: 2, maxNorm: 1) }
    #expect(abs(Double(s) - 1 / (5 + 1e-6)) < 1e-7)
    let t = g.withUnsafeBufferPointer { clippingScale($0.baseAddress!, count: 2, maxNorm: 10) }
    #expect(t == 1)
  }

  /// A whole training step (forward, backward, Adam) allocates nothing once the workspace
  /// exists (counted through the test executable's malloc; see `_AllocationCounter`).
  @Test(.enabled(if: logitdyn_allocation_counting_available() == 1, "allocation counting needs glibc's malloc, not a sanitizer's"))
  func aTrainingStepAllocatesNothing() throws {
    for shape in [Self.shapes[1], Self.shapes[3]] {
      let c = Case(shape, rows: 64, seed: 3)
      let ws = NetworkWorkspace(shape, maxRows: 64)
      var theta = c.parameters, g = [Float](repeating: 0, count: shape.parameterCount)
      var dz = [Float](repeating: 0, count: 64 * shape.outputs)
      var adam = Adam<Float>(count: shape.parameterCount, learningRate: 1e-3)
      func step() {
        theta.withUnsafeMutableBufferPointer { p in
          g.withUnsafeMutableBufferPointer { gb in
            dz.withUnsafeMutableBufferPointer { d in
              c.withInput { input in
                let z = ws.forward(p.baseAddress!, input, rows: 48)
                for r in 0..<48 { for j in 0..<shape.outputs { d[r * shape.outputs + j] = z[r, j] } }
                ws.backward(p.baseAddress!, input, outputGradient: MatrixView(d.baseAddress!, rows: 48, columns: shape.outputs), into: gb.baseAddress!)
                adam.step(p.baseAddress!, gradient: gb.baseAddress!)
              }
            }
          }
        }
      }
      step()  // first use
      logitdyn_allocation_counting_begin()
      for _ in 0..<5 { step() }
      let count = logitdyn_allocation_counting_end()
      #expect(count == 0, "\(count) allocations in 5 training steps of \(shape.widths)")
    }
  }

  /// The counter does count (so a zero above means something).
  @Test(.enabled(if: logitdyn_allocation_counting_available() == 1, "allocation counting needs glibc's malloc, not a sanitizer's"))
  func theAllocationCounterCounts() throws {
    logitdyn_allocation_counting_begin()
    let a = [Int](repeating: 1, count: 1000 + Int.random(in: 0..<2))
    let count = logitdyn_allocation_counting_end()
    #expect(a.count >= 1000)
    #expect(count >= 1)
  }

  @Test func shapeValidation() {
    #expect(throws: NetworkError.self) { try NetworkShape(input: .dense(features: 0), hidden: [4], outputs: 2, activation: .tanh).validate() }
    #expect(throws: NetworkError.self) { try NetworkShape(input: .dense(features: 3), hidden: [0], outputs: 2, activation: .tanh).validate() }
    #expect(throws: NetworkError.self) { try NetworkShape(input: .oneHot(features: 3, active: 0), hidden: [4], outputs: 2, activation: .tanh).validate() }
    #expect(throws: NetworkError.self) { try NetworkShape(input: .dense(features: 1 << 20), hidden: [1 << 12], outputs: 2, activation: .tanh).validate() }
    let s = NetworkShape(input: .dense(features: 3), hidden: [4, 5], outputs: 2, activation: .tanh)
    #expect(s.parameterCount == 3 * 4 + 4 + 4 * 5 + 5 + 5 * 2 + 2)
    #expect(s.biasOffset(1) == 3 * 4 + 4 + 4 * 5)
  }
}
