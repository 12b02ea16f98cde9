import SeededRandom
import VectorMath

/// The contexts of one step, stored flat: row `c` has its state, its features
/// `x_c ∈ ℝᵈ` at `features[c·d ..< (c+1)·d]` and its mean rewards `μ(x_c, ·) ∈ ℝᴷ` at
/// `meanRewards[c·K ..< (c+1)·K]`. Buffers grow once and are reused, so a batched runner
/// draws its contexts without allocating.
public struct ContextBatch: Sendable {
  /// Feature dimension `d` and actions `K`.
  public let featureCount: Int, actionCount: Int
  /// Rows in use.
  public private(set) var count = 0
  /// `[c]` the state of each row.
  public private(set) var states: [Int] = []
  /// `[c·d + i]` the features.
  public private(set) var features: [Double] = []
  /// `[c·K + a]` the mean rewards.
  public private(set) var meanRewards: [Double] = []

  /// An empty batch for contexts of `featureCount` features and `actionCount` actions.
  public init(featureCount: Int, actionCount: Int) {
    self.featureCount = featureCount
    self.actionCount = actionCount
  }

  /// Sets the number of rows to `n` (keeping the first rows' values, growing the buffers).
  public mutating func resize(_ n: Int) {
    precondition(n >= 0, "a context batch of \(n) rows")
    if states.count < n {
      states += [Int](repeating: 0, count: n - states.count)
      features += [Double](repeating: 0, count: n * featureCount - features.count)
      meanRewards += [Double](repeating: 0, count: n * actionCount - meanRewards.count)
    }
    count = n
  }

  /// Writes row `c` from a ``Context``.
  public mutating func set(_ c: Int, _ context: Context) {
    precondition(context.features.count == featureCount && context.meanRewards.count == actionCount, "a context of \(context.features.count) features and \(context.meanRewards.count) actions in a batch of \(featureCount) and \(actionCount)")
    states[c] = context.state
    for i in 0..<featureCount { features[c * featureCount + i] = context.features[i] }
    for a in 0..<actionCount { meanRewards[c * actionCount + a] = context.meanRewards[a] }
  }

  /// Row `c` as a ``Context``.
  public func context(_ c: Int) -> Context {
    Context(state: states[c], features: Array(features[(c * featureCount)..<((c + 1) * featureCount)]),
            meanRewards: Array(meanRewards[(c * actionCount)..<((c + 1) * actionCount)]))
  }

  /// Whether rows `c` and `e` are the same context (state and features).
  public func same(_ c: Int, _ e: Int) -> Bool {
    guard states[c] == states[e] else { return false }
    for i in 0..<featureCount where features[c * featureCount + i] != features[e * featureCount + i] { return false }
    return true
  }

  /// Mutable access to the flat buffers of an environment's batched draw.
  public mutating func withBuffers<R>(
    _ body: (UnsafeMutableBufferPointer<Int>, UnsafeMutableBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) -> R
  ) -> R {
    states.withUnsafeMutableBufferPointer { s in
      features.withUnsafeMutableBufferPointer { f in meanRewards.withUnsafeMutableBufferPointer { m in body(s, f, m) } }
    }
  }
}

extension EnvironmentInstance {
  /// Draws `count` contexts into `batch`, consuming the stream as `count` calls of
  /// ``observe(_:)`` (the default makes those calls).
  public mutating func observe(_ count: Int, into batch: inout ContextBatch, _ rng: inout Xoshiro256StarStar) {
    batch.resize(count)
    for c in 0..<count { batch.set(c, observe(&rng)) }
  }

  /// The reward of `action` in row `c` of `batch`, drawn as ``reward(_:action:_:)`` draws it.
  public func reward(_ batch: ContextBatch, row c: Int, action: Int, _ rng: inout Xoshiro256StarStar) -> Double {
    reward(batch.context(c), action: action, &rng)
  }
}

extension ContextualBandit.Instance {
  /// Fresh contexts `x ~ N(0, I_d)` drawn as ``observe(_:)`` draws them (Box–Muller on the
  /// stream's uniforms `u₁` open, `u₂`, context after context), the transform on 8 lanes;
  /// then `μ(x, ·)` row by row.
  mutating func drawBatch(_ count: Int, into batch: inout ContextBatch, _ rng: inout Xoshiro256StarStar) {
    batch.resize(count)
    if !fixed.isEmpty {
      for c in 0..<count { batch.set(c, fixed[rng.nextInt(below: fixed.count)]) }
      return
    }
    let d = spec.dimension, n = count * d
    batch.withBuffers { states, features, meanRewards in
      for c in 0..<count { states[c] = 0 }
      let f = features.baseAddress!
      var i = 0
      while i + 8 <= n {
        var u1 = SIMD8<Double>(), u2 = SIMD8<Double>()
        for l in 0..<8 {
          u1[l] = rng.nextOpenDouble()
          u2[l] = rng.nextDouble()
        }
        let x = (SIMD8<Double>(repeating: -2) * vectorLog(u1)).squareRoot() * vectorCos2Pi(u2)
        for l in 0..<8 { f[i + l] = x[l] }
        i += 8
      }
      while i < n {
        f[i] = rng.nextGaussian()
        i += 1
      }
      for c in 0..<count { self.means(f + c * d, into: meanRewards.baseAddress! + c * spec.actions) }
    }
  }

  /// `μ(x, ·)` of one context into `out`.
  func means(_ x: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>) {
    let d = spec.dimension
    switch spec.model {
    case .linear:
      weights.withUnsafeBufferPointer { w in
        for a in 0..<spec.actions {
          var s = 0.0
          for i in 0..<d { s += w[a * d + i] * x[i] }
          out[a] = s
        }
      }
    case .nonlinear:
      let hidden = ContextualBandit.hidden
      withUnsafeTemporaryAllocation(of: Double.self, capacity: hidden) { h in
        inner.withUnsafeBufferPointer { v in
          for u in 0..<hidden {
            var s = 0.0
            for i in 0..<d { s += v[u * d + i] * x[i] }
            h[u] = Double.tanh(s)
          }
        }
        weights.withUnsafeBufferPointer { w in
          for a in 0..<spec.actions {
            var s = 0.0
            for u in 0..<hidden { s += w[a * hidden + u] * h[u] }
            out[a] = s
          }
        }
      }
    }
  }
}
