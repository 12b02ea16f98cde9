import SeededRandom

/// A family of random logit vectors for property tests, drawn from a seeded stream.
public struct RandomLogitCase: CustomStringConvertible, Sendable {
  public var logits: [Double]
  public var temperature: Double
  public var action: Int
  public var advantage: Double
  public var learningRate: Double
  public var label: String

  public var description: String { label }
}

extension Xoshiro256StarStar {
  /// A random case: K in `sizes`, Gaussian logits times a scale from 1e-2 to 1e4, an offset
  /// up to ±1e4, occasionally masked (−∞) entries, temperatures 0.25-10.
  public mutating func nextLogitCase(sizes: ClosedRange<Int> = 2...64, index: Int) -> RandomLogitCase {
    let k = sizes.lowerBound + nextInt(below: sizes.count)
    let scales = [0.01, 0.3, 1, 3, 10, 100, 1e4]
    let scale = scales[nextInt(below: scales.count)]
    let offsets = [0.0, 0.0, 5, -20, 1e4, -1e4]
    let offset = offsets[nextInt(below: offsets.count)]
    let temps = [1.0, 1.0, 1.0, 0.25, 0.7, 2, 10]
    let temperature = temps[nextInt(below: temps.count)]
    var z = (0..<k).map { _ in offset + scale * nextGaussian() }
    if k > 2 && nextInt(below: 5) == 0 {
      // Mask up to a third of the entries, never all.
      for _ in 0..<(1 + nextInt(below: k / 3 + 1)) { z[nextInt(below: k)] = -.infinity }
      if !z.contains(where: \.isFinite) { z[0] = offset }
    }
    // Prefer an action with positive probability, as a sampler would draw.
    var action = nextInt(below: k)
    while !z[action].isFinite { action = nextInt(below: k) }
    let advantage = (nextDouble() * 4 - 2)
    let lr = [1e-3, 0.01, 0.1, 1][nextInt(below: 4)]
    return RandomLogitCase(
      logits: z, temperature: temperature, action: action, advantage: advantage, learningRate: lr,
      label: "case \(index): K=\(k) scale=\(scale) offset=\(offset) τ=\(temperature) c=\(action)")
  }
}

/// `|a − b| ≤ tol · scale`, the test's comparison with its tolerance stated by the caller.
public func close(_ a: Double, _ b: Double, tol: Double, scale: Double) -> Bool {
  if a == b { return true }
  return abs(a - b) <= tol * scale
}

/// Relative closeness `|a − b| ≤ rel · max(|a|, |b|) + abs`.
public func relClose(_ a: Double, _ b: Double, rel: Double, abs absTol: Double = 0) -> Bool {
  if a == b { return true }
  return Swift.abs(a - b) <= rel * Swift.max(Swift.abs(a), Swift.abs(b)) + absTol
}
