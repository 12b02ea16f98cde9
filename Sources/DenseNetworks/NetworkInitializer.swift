import SeededRandom

/// How one layer's weights or biases start.
public enum ParameterInit: Sendable, Hashable {
  /// All zero.
  case zero
  /// `N(0, σ²)`.
  case normal(standardDeviation: Double)
  /// `U(−a, a)`.
  case uniform(bound: Double)
}

/// Initial parameters of a ``NetworkShape``, drawn from one named stream
/// `Xoshiro256StarStar(seed:stream:)`, layer by layer, weights (row-major) before biases.
public enum NetworkInitializer {
  /// Parameters with layer `l`'s weights drawn by `weights(l, fanIn)` and biases by
  /// `biases(l, fanIn)`.
  public static func parameters(
    _ shape: NetworkShape, seed: UInt64, stream: UInt64,
    weights: (_ layer: Int, _ fanIn: Int) -> ParameterInit, biases: (_ layer: Int, _ fanIn: Int) -> ParameterInit = { _, _ in .zero }
  ) -> [Float] {
    var rng = Xoshiro256StarStar(seed: seed, stream: stream)
    var out = [Float](repeating: 0, count: shape.parameterCount)
    let w = shape.widths
    func fill(_ start: Int, _ count: Int, _ how: ParameterInit) {
      switch how {
      case .zero: break
      case .normal(let sd): for i in 0..<count { out[start + i] = Float(sd * rng.nextGaussian()) }
      case .uniform(let a): for i in 0..<count { out[start + i] = Float(a * (2 * rng.nextDouble() - 1)) }
      }
    }
    for l in 0..<shape.layerCount {
      fill(shape.weightOffset(l), w[l] * w[l + 1], weights(l, w[l]))
      fill(shape.biasOffset(l), w[l + 1], biases(l, w[l]))
    }
    return out
  }

  /// He/Glorot-style normal weights, `N(0, g/fan_in)` with `g = 2` for ReLU and 1 otherwise,
  /// the output layer `N(0, outputScale²/fan_in)`, zero biases.
  public static func heNormal(_ shape: NetworkShape, seed: UInt64, stream: UInt64, outputScale: Double = 1) -> [Float] {
    let gain = shape.activation == .relu ? 2.0 : 1.0
    return parameters(shape, seed: seed, stream: stream, weights: { l, fanIn in
      l == shape.layerCount - 1 ? .normal(standardDeviation: outputScale / Double(fanIn).squareRoot()) : .normal(standardDeviation: (gain / Double(fanIn)).squareRoot())
    })
  }

  /// PyTorch's `nn.Linear` default: weights and biases `U(±1/√fan_in)`.
  public static func torchDefault(_ shape: NetworkShape, seed: UInt64, stream: UInt64) -> [Float] {
    parameters(shape, seed: seed, stream: stream, weights: { _, fanIn in .uniform(bound: 1 / Double(fanIn).squareRoot()) },
               biases: { _, fanIn in .uniform(bound: 1 / Double(fanIn).squareRoot()) })
  }
}
