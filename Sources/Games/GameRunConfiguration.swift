import Configuration

/// Repeated play of a game by two softmax learners, as `logitdyn game learn` and the `[game]`
/// table of a sweep file describe it, typed, with its defaults in one place. ``fields`` is its
/// one schema.
public struct GameRunConfiguration: Configurable, Equatable {
  /// A library name, `random-MxN[-seedS]`, or a `.json`/`.nfg` file.
  public var game = ""
  /// A ``LearningRule`` name.
  public var rule = "pg"
  /// Entropy weight τ of entropy-pg (its QRE has λ = 1/τ).
  public var tau = 0.1
  /// λ of smooth fictitious play.
  public var lambda = 10.0
  /// Step size η > 0.
  public var learningRate = 0.1
  /// Steps.
  public var steps = 1000
  /// Seed of sampled-pg.
  public var seed: UInt64 = 0
  /// λ of the QRE to measure the distance to; `nil`: the rule's own.
  public var referenceLambda: Double? = nil

  /// The defaults (pg, η = 0.1, 1000 steps, seed 0) on the game `game`.
  public init(game: String = "") { self.game = game }

  /// The keys of a `[game]` table.
  public static let fields: [ConfigField<GameRunConfiguration>] = [
    ConfigField("game", .string, "A library name, random-MxN[-seedS], or a .json/.nfg file.") { c, v throws(ConfigurationError) in c.game = try v.text() },
    ConfigField("rule", .string, "Rule: \(LearningRule.names.joined(separator: ", ")).") { c, v throws(ConfigurationError) in c.rule = try v.text() },
    ConfigField("tau", .number, "Entropy weight τ of entropy-pg (its QRE has λ = 1/τ).") { c, v throws(ConfigurationError) in c.tau = try v.number() },
    ConfigField("lambda", .number, "λ of smooth fictitious play (sfp).") { c, v throws(ConfigurationError) in c.lambda = try v.number() },
    ConfigField("lr", .number, "Step size η > 0.") { c, v throws(ConfigurationError) in c.learningRate = try v.number() },
    ConfigField("steps", .integer, "Steps.") { c, v throws(ConfigurationError) in c.steps = try v.integer() },
    ConfigField("seed", .integer, "Seed (sampled-pg).") { c, v throws(ConfigurationError) in c.seed = try v.seed() },
    ConfigField("reference_lambda", .number, "λ of the QRE to measure the distance to (default: the rule's own).") { c, v throws(ConfigurationError) in c.referenceLambda = try v.number() },
  ]

  /// The game: read from a `.json`/`.nfg` file, or built from the library.
  public func loadGame() throws(GameError) -> NormalFormGame {
    if game.hasSuffix(".json") || game.hasSuffix(".nfg") { return try GameFiles.read(path: game) }
    return try GameLibrary.game(spec: game)
  }

  /// Checks the configuration and builds the learning on `game` (``loadGame()``'s result).
  public func makeLearning(on game: NormalFormGame) throws(GameError) -> GameLearning {
    guard steps >= 1 else { throw GameError("steps must be at least 1, got \(steps)") }
    guard let r = LearningRule(name: rule, tau: tau, lambda: lambda) else {
      throw GameError("unknown rule '\(rule)' (available: \(LearningRule.names.joined(separator: ", ")))")
    }
    var learning = GameLearning(game: game, rule: r, learningRate: learningRate, steps: steps)
    learning.seed = seed
    learning.referenceLambda = referenceLambda
    try learning.validate()
    return learning
  }
}
