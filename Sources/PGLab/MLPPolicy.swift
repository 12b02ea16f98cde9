import RealModule
import SeededRandom

/// A multilayer perceptron policy: `h₀ = x`, `h_l = σ(W_l h_{l−1} + b_l)` for the hidden
/// layers, `z = W_L h_{L−1} + b_L` (linear output), with `σ = tanh` or ReLU.
///
/// Parameters are stored layer by layer, `W_l` row-major (`out × in`) then `b_l`. Hidden
/// weights start at `N(0, g/fan_in)` (`g = 1` for tanh, `2` for ReLU), biases at 0, output
/// weights at `N(0, 0.01/fan_in)` so the first policy is close to uniform but every layer gets
/// a gradient from the first step.
///
/// The backward pass: `δ_L = v`; `∂/∂W_l = δ_l h_{l−1}ᵀ`, `∂/∂b_l = δ_l`;
/// `δ_{l−1} = (W_lᵀ δ_l) ⊙ σ'(a_{l−1})` with `σ'(a) = 1 − tanh²a` or `[a > 0]`.
public struct MLPPolicy: Policy {
  /// Hidden-unit nonlinearity.
  public enum Activation: String, Sendable, CaseIterable {
    /// `σ(a) = tanh a` or `σ(a) = max(0, a)`.
    case tanh, relu
  }

  /// Feature dimension, hidden widths, actions.
  public let features: Int, hidden: [Int], actions: Int
  /// Nonlinearity of the hidden layers.
  public let activation: Activation

  /// An MLP policy with the given hidden widths (at least one layer).
  public init(features: Int, hidden: [Int], actions: Int, activation: Activation = .tanh) {
    self.features = features
    self.hidden = hidden
    self.actions = actions
    self.activation = activation
  }

  /// Layer widths `[d, h₁, …, K]`.
  var widths: [Int] { [features] + hidden + [actions] }

  /// Offsets of each layer's `W` in the parameter vector (its `b` follows).
  var offsets: [Int] {
    var result: [Int] = [], offset = 0
    let w = widths
    for l in 1..<w.count {
      result.append(offset)
      offset += w[l] * w[l - 1] + w[l]
    }
    return result
  }

  /// `K`, the width of the output layer.
  public var actionCount: Int { actions }
  /// `Σ_l (n_l n_{l−1} + n_l)` over the layers of widths `[d, h₁, …, K]`.
  public var parameterCount: Int {
    let w = widths
    return (1..<w.count).reduce(0) { $0 + w[$1] * w[$1 - 1] + w[$1] }
  }
  /// false: the logits are a network's outputs.
  public var isTabular: Bool { false }
  /// false: the hidden layers make `z` nonlinear in `θ`.
  public var isLinearInParameters: Bool { false }

  /// Checks at least one hidden layer, every width ≥ 1, and the environment's `d` and `K`.
  public func validate(for environment: any Environment) throws(LabError) {
    guard !hidden.isEmpty, hidden.allSatisfy({ $0 >= 1 }) else {
      throw LabError("an MLP policy needs at least one hidden layer of width ≥ 1, got \(hidden)")
    }
    guard environment.featureCount == features, environment.actionCount == actions else {
      throw LabError("MLP policy for \(features) features and \(actions) actions in an environment of \(environment.featureCount) features and \(environment.actionCount) actions")
    }
  }

  /// Hidden weights `N(0, g/fan_in)` (`g = 1` for tanh, 2 for ReLU), output weights `N(0, 0.01/fan_in)`,
  /// biases 0.
  public func initialParameters(_ rng: inout Xoshiro256StarStar) -> [Double] {
    var theta = [Double](repeating: 0, count: parameterCount)
    let w = widths, off = offsets
    for l in 1..<w.count {
      let fanIn = Double(w[l - 1])
      let isOutput = l == w.count - 1
      let variance = isOutput ? 0.01 / fanIn : (activation == .relu ? 2 : 1) / fanIn
      let sd = variance.squareRoot()
      for i in 0..<(w[l] * w[l - 1]) { theta[off[l - 1] + i] = sd * rng.nextGaussian() }
    }
    return theta
  }

  /// Forward pass keeping every layer's input (`inputs[l]` = `h_l`) and pre-activation.
  func forward(_ theta: [Double], _ x: [Double]) -> (inputs: [[Double]], pre: [[Double]], logits: [Double]) {
    let w = widths, off = offsets
    var inputs: [[Double]] = [x], pre: [[Double]] = []
    var h = x
    for l in 1..<w.count {
      let n = w[l], m = w[l - 1], base = off[l - 1], bias = base + n * m
      var a = [Double](repeating: 0, count: n)
      for i in 0..<n {
        var s = theta[bias + i]
        for j in 0..<m { s += theta[base + i * m + j] * h[j] }
        a[i] = s
      }
      pre.append(a)
      if l == w.count - 1 { return (inputs, pre, a) }
      h = a.map { activation == .tanh ? Double.tanh($0) : max(0, $0) }
      inputs.append(h)
    }
    fatalError("unreachable: an MLP has an output layer")
  }

  /// `z = W_L h_{L−1} + b_L`, the forward pass.
  ///
  /// - Complexity: O(P) for `P` = ``parameterCount``.
  public func logits(_ parameters: [Double], _ context: Context) -> [Double] {
    forward(parameters, context.features).logits
  }

  /// `g += Jᵀv` by backpropagation from `δ_L = v`: `∂/∂W_l = δ_l h_{l−1}ᵀ`, `∂/∂b_l = δ_l`,
  /// `δ_{l−1} = (W_lᵀ δ_l) ⊙ σ'(a_{l−1})`.
  ///
  /// - Complexity: O(P) for `P` = ``parameterCount`` (a forward and a backward pass).
  public func accumulateGradient(_ parameters: [Double], _ context: Context, logitGradient v: [Double], into g: inout [Double]) {
    let (inputs, pre, _) = forward(parameters, context.features)
    let w = widths, off = offsets
    var delta = v
    for l in stride(from: w.count - 1, through: 1, by: -1) {
      let n = w[l], m = w[l - 1], base = off[l - 1], bias = base + n * m
      let h = inputs[l - 1]
      for i in 0..<n {
        let di = delta[i]
        g[bias + i] += di
        for j in 0..<m { g[base + i * m + j] += di * h[j] }
      }
      guard l > 1 else { break }
      var previous = [Double](repeating: 0, count: m)
      for j in 0..<m {
        var s = 0.0
        for i in 0..<n { s += parameters[base + i * m + j] * delta[i] }
        let a = pre[l - 2][j]
        switch activation {
        case .tanh:
          let t = inputs[l - 1][j]
          s *= 1 - t * t
        case .relu:
          s = a > 0 ? s : 0
        }
        previous[j] = s
      }
      delta = previous
    }
  }
}
