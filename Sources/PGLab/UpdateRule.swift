/// How a tabular softmax policy's logits move each step.
///
/// - `reinforce`: sampled `Δz = η r (e_c − p)`;
/// - `reinforceBaseline(rate)`: sampled `Δz = η (r − b)(e_c − p)`, then `b ← b + rate (r − b)`
///   (a running mean of rewards, as in `shared/bench/bandit_pg.py` with rate 0.01);
/// - `expected`: the exact expected gradient with the known means, `Δz = η p ⊙ (μ − p·μ)`;
/// - `natural`: natural policy gradient with the known means, `Δz = η (μ − p·μ)`.
public enum UpdateRule: Sendable, Equatable {
  /// Sampled `Δz = η r (e_c − p)`.
  case reinforce
  /// Sampled `Δz = η (r − b)(e_c − p)`, then `b ← b + rate (r − b)`.
  case reinforceBaseline(rate: Double)
  /// The exact expected gradient `Δz = η p ⊙ (μ − p·μ)`.
  case expected
  /// The natural gradient `Δz = η (μ − p·μ)`.
  case natural

  /// Parses `reinforce`, `reinforce-baseline`, `expected`, `natural`.
  public init?(name: String, baselineRate: Double = 0.01) {
    switch name {
    case "reinforce": self = .reinforce
    case "reinforce-baseline": self = .reinforceBaseline(rate: baselineRate)
    case "expected": self = .expected
    case "natural", "npg": self = .natural
    default: return nil
    }
  }

  /// The names accepted by ``init(name:baselineRate:)``.
  public static let names = ["reinforce", "reinforce-baseline", "expected", "natural"]

  /// Whether the step is one sampled action's update `ηA(e_c − p)` (for which the closed-form
  /// norm `η|A|√(1 − 2p_c + C)` applies).
  public var isSampled: Bool {
    switch self {
    case .reinforce, .reinforceBaseline: return true
    case .expected, .natural: return false
    }
  }
}
