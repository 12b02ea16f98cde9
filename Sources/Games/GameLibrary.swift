import SeededRandom

/// The classic games, by name, and seeded random games.
public enum GameLibrary {
  /// The names accepted by ``game(named:)``.
  public static let names = [
    "matching-pennies", "rock-paper-scissors", "biased-rock-paper-scissors", "prisoners-dilemma",
    "battle-of-the-sexes", "stag-hunt", "shapley",
  ]

  /// A classic game:
  /// - `matching-pennies`: `A = [[1, −1], [−1, 1]]`, `B = −A`;
  /// - `rock-paper-scissors`: win +1, loss −1, zero-sum;
  /// - `biased-rock-paper-scissors`: rock beating scissors pays 2 (`A[0][2] = 2`, `A[2][0] = −2`), zero-sum;
  /// - `prisoners-dilemma`: R = 3, S = 0, T = 5, P = 1;
  /// - `battle-of-the-sexes`: (2, 1) / (0, 0) / (0, 0) / (1, 2);
  /// - `stag-hunt`: (4, 4) (0, 3) (3, 0) (3, 3);
  /// - `shapley`: Shapley's 3×3 game, `A = [[0,1,0],[0,0,1],[1,0,0]]`, `B = [[0,0,1],[1,0,0],[0,1,0]]`
  ///   (fictitious play cycles).
  public static func game(named name: String) throws(GameError) -> NormalFormGame {
    func zeroSum(_ a: [[Double]], _ labels: [String]) throws(GameError) -> NormalFormGame {
      try NormalFormGame(name: name, payoff1: a, payoff2: a.map { $0.map { -$0 } }, labels: [labels, labels])
    }
    switch name {
    case "matching-pennies": return try zeroSum([[1, -1], [-1, 1]], ["H", "T"])
    case "rock-paper-scissors": return try zeroSum([[0, -1, 1], [1, 0, -1], [-1, 1, 0]], ["R", "P", "S"])
    case "biased-rock-paper-scissors": return try zeroSum([[0, -1, 2], [1, 0, -1], [-2, 1, 0]], ["R", "P", "S"])
    case "prisoners-dilemma":
      return try NormalFormGame(name: name, payoff1: [[3, 0], [5, 1]], payoff2: [[3, 5], [0, 1]], labels: [["C", "D"], ["C", "D"]])
    case "battle-of-the-sexes":
      return try NormalFormGame(name: name, payoff1: [[2, 0], [0, 1]], payoff2: [[1, 0], [0, 2]],
                                labels: [["Opera", "Football"], ["Opera", "Football"]])
    case "stag-hunt":
      return try NormalFormGame(name: name, payoff1: [[4, 0], [3, 3]], payoff2: [[4, 3], [0, 3]], labels: [["Stag", "Hare"], ["Stag", "Hare"]])
    case "shapley":
      return try NormalFormGame(name: name, payoff1: [[0, 1, 0], [0, 0, 1], [1, 0, 0]], payoff2: [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    default:
      throw GameError("unknown game '\(name)' (available: \(names.joined(separator: ", ")), random-MxN, or a .json/.nfg file)")
    }
  }

  /// The game a name gives: a library name (``game(named:)``) or `random-MxN[-seedS]`
  /// (``random(rows:columns:seed:)``, seed 0 when omitted).
  public static func game(spec name: String) throws(GameError) -> NormalFormGame {
    guard name.hasPrefix("random-") else { return try game(named: name) }
    let parts = name.dropFirst(7).split(separator: "-")
    let dims = parts.first?.split(separator: "x").compactMap { Int($0) } ?? []
    guard dims.count == 2 else { throw GameError("a random game is named random-MxN or random-MxN-seedS, got '\(name)'") }
    var seed: UInt64 = 0
    if parts.count > 1 {
      guard parts.count == 2, parts[1].hasPrefix("seed"), let s = UInt64(parts[1].dropFirst(4)) else {
        throw GameError("bad seed in '\(name)' (random-MxN-seedS)")
      }
      seed = s
    }
    return try random(rows: dims[0], columns: dims[1], seed: seed)
  }

  /// A random `m × n` game with independent `N(0, 1)` payoffs for both players, drawn from
  /// `Xoshiro256StarStar(seed:)`.
  public static func random(rows m: Int, columns n: Int, seed: UInt64) throws(GameError) -> NormalFormGame {
    guard m >= 1, n >= 1, m * n <= 1_000_000 else { throw GameError("a random game needs 1 ≤ m, n and m·n ≤ 10⁶, got \(m)×\(n)") }
    var rng = Xoshiro256StarStar(seed: seed)
    let a = (0..<m).map { _ in (0..<n).map { _ in rng.nextGaussian() } }
    let b = (0..<m).map { _ in (0..<n).map { _ in rng.nextGaussian() } }
    return try NormalFormGame(name: "random-\(m)x\(n)-seed\(seed)", payoff1: a, payoff2: b)
  }
}
