import RealModule
import SoftmaxCore

/// An error in a game description or a solver request, with the message shown to the user.
public struct GameError: Error, CustomStringConvertible, Sendable, Equatable {
  /// The message shown to the user.
  public let description: String
  /// For a trace that ran out of its time budget: the last point it reached.
  public let reached: QREPoint?
  /// An error with this message.
  public init(_ description: String, reached: QREPoint? = nil) {
    self.description = description
    self.reached = reached
  }
}

extension Duration {
  /// The duration in seconds.
  var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

/// A two-player normal-form game: player 1 (rows, `m` strategies) and player 2 (columns, `n`
/// strategies) with payoff matrices `A` and `B`, `A[i][j]`, `B[i][j]` the payoffs when player 1
/// plays `i` and player 2 plays `j`. Both players maximise.
///
/// For mixed strategies `x ∈ Δ_m`, `y ∈ Δ_n`: payoff vectors `u₁ = A y`, `u₂ = Bᵀ x`, values
/// `v₁ = xᵀ A y`, `v₂ = xᵀ B y`, regrets `max u_k − v_k`, NashConv = the sum of the regrets,
/// exploitability = NashConv/2, and the entropy-regularised gap at `λ`:
/// `Σ_k KL(x_k ‖ softmax(λ u_k)) / λ`, 0 exactly at a logit QRE.
public struct NormalFormGame: Sendable, Equatable {
  /// Name (for files and reports).
  public var name: String
  /// Strategy labels of each player.
  public var labels: [[String]]
  /// Payoffs of player 1 and 2, `[m][n]`.
  public let payoff1: [[Double]], payoff2: [[Double]]

  /// A game from its payoff matrices; checks the shapes and that every payoff is finite.
  public init(name: String = "game", payoff1: [[Double]], payoff2: [[Double]], labels: [[String]]? = nil) throws(GameError) {
    let m = payoff1.count
    guard m >= 1, let n = payoff1.first?.count, n >= 1 else { throw GameError("a game needs at least one strategy per player") }
    guard payoff1.allSatisfy({ $0.count == n }) else { throw GameError("player 1's payoff matrix is ragged: rows must all have \(n) entries") }
    guard payoff2.count == m, payoff2.allSatisfy({ $0.count == n }) else {
      throw GameError("the payoff matrices have different shapes: player 1's is \(m)×\(n), player 2's is \(payoff2.count)×\(payoff2.first?.count ?? 0)")
    }
    for (k, matrix) in [payoff1, payoff2].enumerated() {
      for i in 0..<m {
        for j in 0..<n where !matrix[i][j].isFinite {
          throw GameError("player \(k + 1)'s payoff at (\(i), \(j)) is \(matrix[i][j]); payoffs must be finite")
        }
      }
    }
    if let labels {
      guard labels.count == 2, labels[0].count == m, labels[1].count == n else {
        throw GameError("strategy labels must be two lists of \(m) and \(n) names")
      }
    }
    self.name = name
    self.payoff1 = payoff1
    self.payoff2 = payoff2
    self.labels = labels ?? [(0..<m).map { "s\($0 + 1)" }, (0..<n).map { "t\($0 + 1)" }]
  }

  /// Strategy counts `(m, n)`.
  public var shape: (Int, Int) { (payoff1.count, payoff1[0].count) }

  /// `max |payoff| − min payoff` over both matrices (the payoff scale).
  public var payoffRange: Double {
    let all = (payoff1 + payoff2).flatMap { $0 }
    return (all.max() ?? 0) - (all.min() ?? 0)
  }

  /// Whether `A + B = 0`.
  public var isZeroSum: Bool {
    let (m, n) = shape
    return (0..<m).allSatisfy { i in (0..<n).allSatisfy { j in abs(payoff1[i][j] + payoff2[i][j]) <= 1e-12 * max(1, payoffRange) } }
  }

  /// `u₁ = A y`: player 1's payoff of each pure strategy against `y`.
  public func payoffVector1(_ y: [Double]) -> [Double] {
    payoff1.map { row in zip(row, y).reduce(0) { $0 + $1.0 * $1.1 } }
  }

  /// `u₂ = Bᵀ x`: player 2's payoff of each pure strategy against `x`.
  public func payoffVector2(_ x: [Double]) -> [Double] {
    let (m, n) = shape
    return (0..<n).map { j in (0..<m).reduce(0) { $0 + payoff2[$1][j] * x[$1] } }
  }

  /// Expected payoffs `(xᵀ A y, xᵀ B y)`.
  public func values(_ x: [Double], _ y: [Double]) -> (Double, Double) {
    let u1 = payoffVector1(y), u2 = payoffVector2(x)
    return (zip(x, u1).reduce(0) { $0 + $1.0 * $1.1 }, zip(y, u2).reduce(0) { $0 + $1.0 * $1.1 })
  }

  /// Pure best responses of each player (all maximisers, within `tolerance`).
  public func bestResponses(_ x: [Double], _ y: [Double], tolerance: Double = 1e-12) -> ([Int], [Int]) {
    func argmaxes(_ u: [Double]) -> [Int] {
      let best = u.max()!
      return u.indices.filter { u[$0] >= best - tolerance * max(1, abs(best)) }
    }
    return (argmaxes(payoffVector1(y)), argmaxes(payoffVector2(x)))
  }

  /// The gaps of a profile: regrets, NashConv, exploitability and (with `lambda > 0`) the
  /// entropy-regularised gap.
  public func gaps(_ x: [Double], _ y: [Double], lambda: Double? = nil) -> ProfileGaps {
    let u1 = payoffVector1(y), u2 = payoffVector2(x)
    let (v1, v2) = values(x, y)
    let r1 = max(0, u1.max()! - v1), r2 = max(0, u2.max()! - v2)
    var qreGap: Double? = nil
    if let lambda, lambda > 0 {
      func kl(_ p: [Double], _ u: [Double]) -> Double {
        let q = SoftmaxDistribution<Double>(logits: u.map { lambda * $0 })
        var s = 0.0
        for i in p.indices where p[i] > 0 { s += p[i] * (Double.log(p[i]) - q.logProbabilities[i]) }
        return max(0, s)
      }
      qreGap = (kl(x, u1) + kl(y, u2)) / lambda
    }
    return ProfileGaps(value1: v1, value2: v2, regret1: r1, regret2: r2, qreGap: qreGap)
  }

  /// Checks that `x`, `y` are probability vectors of the right lengths.
  public func validateProfile(_ x: [Double], _ y: [Double]) throws(GameError) {
    let (m, n) = shape
    guard x.count == m, y.count == n else { throw GameError("a profile needs \(m) and \(n) probabilities, got \(x.count) and \(y.count)") }
    for p in [x, y] {
      guard p.allSatisfy({ $0 >= 0 && $0.isFinite }), abs(p.reduce(0, +) - 1) < 1e-9 else {
        throw GameError("a mixed strategy must be non-negative and sum to 1, got \(p)")
      }
    }
  }
}

/// How far a profile is from equilibrium.
public struct ProfileGaps: Sendable, Equatable {
  /// Expected payoffs of the players.
  public var value1: Double, value2: Double
  /// `max_i u_k[i] − v_k`.
  public var regret1: Double, regret2: Double
  /// `Σ_k KL(x_k ‖ softmax(λ u_k))/λ` (nil without λ).
  public var qreGap: Double?
  /// Sum of the regrets.
  public var nashConv: Double { regret1 + regret2 }
  /// NashConv / 2.
  public var exploitability: Double { nashConv / 2 }
  /// The larger regret.
  public var maxRegret: Double { max(regret1, regret2) }
}
