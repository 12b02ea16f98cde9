import Diagnostics

/// The shape of a feed-forward network: an input (dense features, or one-hot indices of which
/// a fixed number is active per row), hidden layers of a common activation, and a linear
/// output layer.
///
/// Layer `l` maps `h_{l−1}` (width `n_{l−1}`) to `h_l = σ_l(h_{l−1} W_l + b_l)` with
/// `W_l ∈ ℝ^{n_{l−1} × n_l}` row-major and `σ_L = identity`. Parameters are one flat vector,
/// layer by layer, `W_l` then `b_l`. With a one-hot input, row `r`'s first layer is the sum
/// of the rows `W₁[f]` of its active features `f` (a gather, no product).
public struct NetworkShape: Sendable, Hashable {
  /// What a row of input is.
  public enum Input: Sendable, Hashable {
    /// `features` dense values per row.
    case dense(features: Int)
    /// `active` indices in `0 ..< features` per row (a sum of one-hot vectors; repeats add).
    case oneHot(features: Int, active: Int)

    /// The input width `n₀`.
    public var features: Int {
      switch self {
      case .dense(let d), .oneHot(let d, _): return d
      }
    }
  }

  /// The input.
  public let input: Input
  /// Hidden widths `n₁ … n_{L−1}` (may be empty: a linear map).
  public let hidden: [Int]
  /// Output width `n_L`.
  public let outputs: Int
  /// Activation of the hidden layers.
  public let activation: Activation

  /// A network shape; sizes must be ≥ 1 (checked by ``validate()``).
  public init(input: Input, hidden: [Int], outputs: Int, activation: Activation) {
    self.input = input
    self.hidden = hidden
    self.outputs = outputs
    self.activation = activation
  }

  /// Widths `[n₀, n₁, …, n_L]`.
  public var widths: [Int] { [input.features] + hidden + [outputs] }

  /// Number of layers `L`.
  public var layerCount: Int { hidden.count + 1 }

  /// Offset of `W_l` (0-based layer `l`) in the parameter vector; `b_l` follows at
  /// `weightOffset(l) + n_{l} n_{l+1}`.
  public func weightOffset(_ layer: Int) -> Int {
    let w = widths
    var offset = 0
    for l in 0..<layer { offset += w[l] * w[l + 1] + w[l + 1] }
    return offset
  }

  /// Offset of `b_l` in the parameter vector.
  public func biasOffset(_ layer: Int) -> Int {
    let w = widths
    return weightOffset(layer) + w[layer] * w[layer + 1]
  }

  /// `Σ_l n_{l−1} n_l + n_l`.
  public var parameterCount: Int {
    let w = widths
    return (0..<layerCount).reduce(0) { $0 + w[$1] * w[$1 + 1] + w[$1 + 1] }
  }

  /// Checks the sizes (each ≥ 1, at least one active feature, and a parameter count below
  /// 2³¹), naming the bad one.
  public func validate() throws(NetworkError) {
    guard input.features >= 1 else { throw NetworkError("a network needs at least 1 input feature, got \(input.features)") }
    if case .oneHot(_, let active) = input, active < 1 { throw NetworkError("a one-hot input needs at least 1 active feature per row, got \(active)") }
    guard outputs >= 1 else { throw NetworkError("a network needs at least 1 output, got \(outputs)") }
    for h in hidden where h < 1 { throw NetworkError("hidden widths must be ≥ 1, got \(hidden)") }
    var total = 0.0
    let w = widths
    for l in 0..<layerCount { total += Double(w[l]) * Double(w[l + 1]) + Double(w[l + 1]) }
    guard total < Double(Int32.max) else { throw NetworkError("a network of \(w) has \(total) parameters; the limit is 2³¹") }
  }
}

/// A bad network description or input, with a message naming it.
///
/// The package's one message-error type (``Diagnostics/MessageError``) under this module's name.
public typealias NetworkError = MessageError
