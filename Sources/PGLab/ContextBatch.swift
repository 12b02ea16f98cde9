import RealModule
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
  var scratchBuffer = ScratchBuffer(0)

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

  /// A buffer of at least `n` values for a draw's intermediate numbers (reused).
  mutating func scratch(_ n: Int) -> UnsafeMutablePointer<Double> {
    if scratchBuffer.count < n { scratchBuffer = ScratchBuffer(n) }
    return scratchBuffer.base
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
    let second = batch.scratch(n)
    batch.withBuffers { states, features, meanRewards in
      for c in 0..<count { states[c] = 0 }
      let f = features.baseAddress!
      // The stream's uniforms first (u₁ of draw i in features[i], u₂ in second[i]), then the
      // transform on 8 lanes, in place.
      for i in 0..<n {
        f[i] = rng.nextOpenDouble()
        second[i] = rng.nextDouble()
      }
      boxMuller(f, second, count: n)
      for c in 0..<count { self.means(f + c * d, into: meanRewards.baseAddress! + c * spec.actions) }
    }
  }

  /// `x_i ← √(−2 log u₁ᵢ) · cos(2π u₂ᵢ)` for `u₁` in `x`, `u₂` in `u2`, on 8 lanes.
  @inline(never)
  func boxMuller(_ x: UnsafeMutablePointer<Double>, _ u2: UnsafePointer<Double>, count n: Int) {
    var i = 0
    while i + 8 <= n {
      let a = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Double>.self), b = UnsafeRawPointer(u2 + i).loadUnaligned(as: SIMD8<Double>.self)
      let g = vectorSqrt(SIMD8<Double>(repeating: -2) * vectorLog(a)) * vectorCos2Pi(b)
      UnsafeMutableRawPointer(x + i).storeBytes(of: g, as: SIMD8<Double>.self)
      i += 8
    }
    while i < n {
      x[i] = (-2 * Double.log(x[i])).squareRoot() * Double.cos(2 * Double.pi * u2[i])
      i += 1
    }
  }

  /// `μ(x, ·)` of one context into `out`: the same sums, in the same order, as
  /// ``means(_:)`` (`Σ_i w_{ai} x_i` from `i = 0`, a product then a sum), over the transposed
  /// weights (rows padded to whole 8-lane vectors) so that 8 actions run on vector lanes.
  func means(_ x: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>) {
    let d = spec.dimension, k = spec.actions
    switch spec.model {
    case .linear:
      weightsByFeature.withUnsafeBufferPointer { w in Self.product(w.baseAddress!, x, depth: d, width: k, into: out) }
    case .nonlinear:
      let hidden = ContextualBandit.hidden
      withUnsafeTemporaryAllocation(of: Double.self, capacity: hidden) { h in
        innerByFeature.withUnsafeBufferPointer { v in Self.product(v.baseAddress!, x, depth: d, width: hidden, into: h.baseAddress!) }
        for u in 0..<hidden { h[u] = Double.tanh(h[u]) }
        weightsByFeature.withUnsafeBufferPointer { w in Self.product(w.baseAddress!, UnsafePointer(h.baseAddress!), depth: hidden, width: k, into: out) }
      }
    }
  }

  /// `out[a] = Σ_{i<depth} m[i·W + a] x[i]` for `a < width`, `W = width` rounded up to 8.
  @inline(__always)
  static func product(_ m: UnsafePointer<Double>, _ x: UnsafePointer<Double>, depth: Int, width: Int, into out: UnsafeMutablePointer<Double>) {
    let padded = paddedWidth(width)
    var a = 0
    while a < width {
      var acc = SIMD8<Double>()
      for i in 0..<depth { acc = acc + UnsafeRawPointer(m + i * padded + a).loadUnaligned(as: SIMD8<Double>.self) * SIMD8(repeating: x[i]) }
      for l in 0..<min(8, width - a) { out[a + l] = acc[l] }
      a += 8
    }
  }

  /// `n` rounded up to a multiple of 8.
  static func paddedWidth(_ n: Int) -> Int { (n + 7) / 8 * 8 }
}

/// An owned buffer of `Double`s.
final class ScratchBuffer: @unchecked Sendable {
  let base: UnsafeMutablePointer<Double>
  let count: Int
  init(_ count: Int) {
    self.count = count
    base = .allocate(capacity: max(1, count))
  }
  deinit { base.deallocate() }
}
