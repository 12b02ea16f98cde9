import RealModule
import SeededRandom
import SoftmaxCore

/// How two softmax learners update their logits `z₁`, `z₂` in repeated play (simultaneously;
/// `x = softmax(z₁)`, `y = softmax(z₂)`, `u₁ = A y`, `u₂ = Bᵀ x`, `v_k = ⟨p_k, u_k⟩`):
///
/// - `policyGradient`: the exact gradient of the expected payoff, `Δz = η p ⊙ (u − v)`;
/// - `sampledPolicyGradient`: REINFORCE on one sampled joint action `(a, b)`:
///   `Δz₁ = η A[a][b] (e_a − x)` (and the same for player 2), whose norm is the closed form
///   `η|r|√(1 − 2p_a + C(p))`;
/// - `entropyRegularized(τ)`: the gradient of `v + τ H(p)`: `Δz = η [p ⊙ (u − v) − τ p ⊙ (log p + H)]`;
///   its fixed points are the logit QRE at `λ = 1/τ`;
/// - `hedge`: natural policy gradient / exponential weights, `Δz = η u`;
/// - `optimisticHedge`: `Δz = η (2u_t − u_{t−1})`;
/// - `extragradient`: `z' = z + η u(z)`, then `Δz = η u(z')` (payoffs at the look-ahead profile);
/// - `smoothFictitiousPlay(λ)`: each player plays `softmax(λ u)` against the running average of
///   the other's past play (`z = λ u(ȳ)`); converges to the QRE at `λ` in zero-sum games.
public enum LearningRule: Sendable, Equatable {
  /// The exact gradient `Δz = η p ⊙ (u − v)`.
  case policyGradient
  /// REINFORCE on one sampled joint action `(a, b)`: `Δz₁ = η A[a][b] (e_a − x)`.
  case sampledPolicyGradient
  /// `Δz = η [p ⊙ (u − v) − τ p ⊙ (log p + H)]`; its fixed points are the QRE at `λ = 1/τ`.
  case entropyRegularized(tau: Double)
  /// Exponential weights: `Δz = η u`.
  case hedge
  /// `Δz = η (2u_t − u_{t−1})`.
  case optimisticHedge
  /// `Δz = η u(z')` at the look-ahead `z' = z + η u(z)`.
  case extragradient
  /// `z = λ u(ȳ)` against the running average `ȳ` of the other's play.
  case smoothFictitiousPlay(lambda: Double)

  /// Parses `pg`, `sampled-pg`, `entropy-pg`, `hedge`, `optimistic-hedge`, `extragradient`, `sfp`.
  public init?(name: String, tau: Double = 0.1, lambda: Double = 10) {
    switch name {
    case "pg": self = .policyGradient
    case "sampled-pg": self = .sampledPolicyGradient
    case "entropy-pg": self = .entropyRegularized(tau: tau)
    case "hedge", "npg": self = .hedge
    case "optimistic-hedge": self = .optimisticHedge
    case "extragradient": self = .extragradient
    case "sfp": self = .smoothFictitiousPlay(lambda: lambda)
    default: return nil
    }
  }

  /// The names accepted by ``init(name:tau:lambda:)``.
  public static let names = ["pg", "sampled-pg", "entropy-pg", "hedge", "optimistic-hedge", "extragradient", "sfp"]

  /// The `λ` of the QRE this rule is attracted to, if it has one (`1/τ`, or SFP's `λ`).
  public var qreLambda: Double? {
    switch self {
    case .entropyRegularized(let tau): return 1 / tau
    case .smoothFictitiousPlay(let lambda): return lambda
    default: return nil
    }
  }
}

/// The probes of one step of learning in a game (per player where two values are given).
public struct GameStep: Sendable {
  /// The step (0-based).
  public var step: Int
  /// Mixed strategies before the step.
  public var x: [Double], y: [Double]
  /// Each player's entropy `H(p)` and collision probability `C(p) = Σ p_i²` before the step.
  public var entropy: (Double, Double), collision: (Double, Double)
  /// Measured `‖Δz_k‖` and, for sampled policy gradient, the closed form `η|r|√(1 − 2p_a + C)`.
  public var updateNorm: (Double, Double), updateNormClosedForm: (Double, Double)
  /// `−Cov_p(log p, Δz)` next to the exact entropy change.
  public var entropyChangePredicted: (Double, Double), entropyChangeActual: (Double, Double)
  /// `max|p − p*|` to the reference QRE (NaN without one).
  public var distanceToQRE: Double
  /// NashConv of the profile.
  public var nashConv: Double
  /// Time-averaged strategies up to this step.
  public var averageX: [Double], averageY: [Double]
}

/// Repeated play of a game by two softmax learners, with the probes of every step.
public struct GameLearning: Sendable {
  /// The game played.
  public var game: NormalFormGame
  /// How both players update their logits.
  public var rule: LearningRule
  /// Step size `η > 0`.
  public var learningRate: Double
  /// Number of steps.
  public var steps: Int
  /// Seed of the sampled rule's draws.
  public var seed: UInt64 = 0
  /// Initial logits (default 0: uniform play).
  public var initialLogits: ([Double], [Double])?
  /// The QRE `λ` to measure the distance to (default: the rule's own, if any).
  public var referenceLambda: Double?

  /// A learning run.
  public init(game: NormalFormGame, rule: LearningRule, learningRate: Double, steps: Int) {
    self.game = game
    self.rule = rule
    self.learningRate = learningRate
    self.steps = steps
  }

  /// Checks the settings.
  public func validate() throws(GameError) {
    guard learningRate > 0, learningRate.isFinite else { throw GameError("the learning rate must be a finite number > 0, got \(learningRate)") }
    guard steps >= 1 else { throw GameError("the number of steps must be at least 1, got \(steps)") }
    switch rule {
    case .entropyRegularized(let tau): guard tau > 0, tau.isFinite else { throw GameError("τ must be > 0, got \(tau)") }
    case .smoothFictitiousPlay(let l): guard l >= 0, l.isFinite else { throw GameError("λ must be a finite number ≥ 0, got \(l)") }
    default: break
    }
    if let l = referenceLambda, !(l >= 0 && l.isFinite) { throw GameError("λ must be a finite number ≥ 0, got \(l)") }
    if let (a, b) = initialLogits {
      guard a.count == game.shape.0, b.count == game.shape.1, (a + b).allSatisfy(\.isFinite) else {
        throw GameError("initial logits must be finite, \(game.shape.0) and \(game.shape.1) of them")
      }
    }
  }

  /// Runs; `onStep` receives every step's probes and returns false to stop. Returns the final
  /// logits.
  ///
  /// - Complexity: O(T·m·n) for `T` steps of an `m × n` game (payoff vectors and NashConv each step),
  ///   plus one trace (``LogitQRESolver/trace(to:requested:)``) when there is a reference `λ`.
  @discardableResult
  public func run(onStep: (GameStep) -> Bool) throws(GameError) -> ([Double], [Double]) {
    try validate()
    let (m, n) = game.shape
    var z1 = initialLogits?.0 ?? [Double](repeating: 0, count: m)
    var z2 = initialLogits?.1 ?? [Double](repeating: 0, count: n)
    var reference: QREPoint?
    if let l = referenceLambda ?? rule.qreLambda { reference = try LogitQRESolver(game).solve(lambdas: [l]).first }
    var rng = Xoshiro256StarStar(seed: seed)
    var previous: ([Double], [Double])?
    var sumX = [Double](repeating: 0, count: m), sumY = [Double](repeating: 0, count: n)
    // Smooth fictitious play: running averages of play (beliefs), starting uniform.
    var beliefX = [Double](repeating: 1 / Double(m), count: m), beliefY = [Double](repeating: 1 / Double(n), count: n)
    if case .smoothFictitiousPlay(let l) = rule {
      z1 = game.payoffVector1(beliefY).map { l * $0 }
      z2 = game.payoffVector2(beliefX).map { l * $0 }
    }
    let eta = learningRate
    for t in 0..<steps {
      let p1 = SoftmaxDistribution<Double>(logits: z1), p2 = SoftmaxDistribution<Double>(logits: z2)
      let x = p1.probabilities, y = p2.probabilities
      let u1 = game.payoffVector1(y), u2 = game.payoffVector2(x)
      var d1 = [Double](repeating: 0, count: m), d2 = [Double](repeating: 0, count: n)
      var closed = (Double.nan, Double.nan)
      func gradient(_ p: SoftmaxDistribution<Double>, _ u: [Double]) -> [Double] {
        let v = p.expectation(u)
        return p.probabilities.indices.map { p.probabilities[$0] * (u[$0] - v) }
      }
      switch rule {
      case .policyGradient:
        d1 = gradient(p1, u1).map { eta * $0 }
        d2 = gradient(p2, u2).map { eta * $0 }
      case .sampledPolicyGradient:
        let a = rng.nextCategorical(x), b = rng.nextCategorical(y)
        let r1 = game.payoff1[a][b], r2 = game.payoff2[a][b]
        d1 = p1.sampledUpdate(action: a, advantage: r1, learningRate: eta)
        d2 = p2.sampledUpdate(action: b, advantage: r2, learningRate: eta)
        closed = (p1.updateNormClosedForm(action: a, advantage: r1, learningRate: eta),
                  p2.updateNormClosedForm(action: b, advantage: r2, learningRate: eta))
      case .entropyRegularized(let tau):
        let g1 = gradient(p1, u1), g2 = gradient(p2, u2)
        let h1 = p1.entropyGradient(), h2 = p2.entropyGradient()
        d1 = (0..<m).map { eta * (g1[$0] + tau * h1[$0]) }
        d2 = (0..<n).map { eta * (g2[$0] + tau * h2[$0]) }
      case .hedge:
        d1 = u1.map { eta * $0 }
        d2 = u2.map { eta * $0 }
      case .optimisticHedge:
        let (o1, o2) = previous ?? (u1, u2)
        d1 = (0..<m).map { eta * (2 * u1[$0] - o1[$0]) }
        d2 = (0..<n).map { eta * (2 * u2[$0] - o2[$0]) }
      case .extragradient:
        let hx = SoftmaxDistribution<Double>(logits: zip(z1, u1).map { $0 + eta * $1 }).probabilities
        let hy = SoftmaxDistribution<Double>(logits: zip(z2, u2).map { $0 + eta * $1 }).probabilities
        d1 = game.payoffVector1(hy).map { eta * $0 }
        d2 = game.payoffVector2(hx).map { eta * $0 }
      case .smoothFictitiousPlay(let l):
        // Beliefs absorb this step's play; the next logits best-respond to them.
        for i in 0..<m { beliefX[i] += (x[i] - beliefX[i]) / Double(t + 2) }
        for j in 0..<n { beliefY[j] += (y[j] - beliefY[j]) / Double(t + 2) }
        let next1 = game.payoffVector1(beliefY).map { l * $0 }, next2 = game.payoffVector2(beliefX).map { l * $0 }
        d1 = (0..<m).map { next1[$0] - z1[$0] }
        d2 = (0..<n).map { next2[$0] - z2[$0] }
      }
      previous = (u1, u2)
      for i in 0..<m { sumX[i] += x[i] }
      for j in 0..<n { sumY[j] += y[j] }
      var distance = Double.nan
      if let r = reference { distance = zip(x + y, r.x + r.y).map { abs($0 - $1) }.max()! }
      let step = GameStep(
        step: t, x: x, y: y, entropy: (p1.entropy, p2.entropy), collision: (p1.collisionProbability, p2.collisionProbability),
        updateNorm: (euclideanNorm(d1), euclideanNorm(d2)), updateNormClosedForm: closed,
        entropyChangePredicted: (p1.entropyChangeFirstOrder(d1), p2.entropyChangeFirstOrder(d2)),
        entropyChangeActual: (p1.entropyChangeExact(d1), p2.entropyChangeExact(d2)),
        distanceToQRE: distance, nashConv: game.gaps(x, y).nashConv,
        averageX: sumX.map { $0 / Double(t + 1) }, averageY: sumY.map { $0 / Double(t + 1) })
      for i in 0..<m { z1[i] += d1[i] }
      for j in 0..<n { z2[j] += d2[j] }
      // Keep the logits centred (softmax is shift-invariant; this only bounds their growth).
      let c1 = z1.max()!, c2 = z2.max()!
      z1 = z1.map { $0 - c1 }
      z2 = z2.map { $0 - c2 }
      if !onStep(step) { break }
    }
    return (z1, z2)
  }
}
