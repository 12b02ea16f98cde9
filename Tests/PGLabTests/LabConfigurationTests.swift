import Configuration
import PGLab
import PolicyLosses
import Testing

@Suite struct LabConfigurationTests {
  /// A value of each field type that differs from every default.
  static func sample(_ type: FieldType) -> ConfigValue {
    switch type {
    case .integer: return .int(3)
    case .number: return .double(0.37)
    case .string: return .string("x")
    case .boolean: return .bool(true)
    case .list: return .list([.int(5), .int(7)])
    }
  }

  /// Every key of the schema sets its own property: each changes the configuration, and no two
  /// keys change the same thing.
  @Test func everyFieldSetsItsOwnProperty() throws {
    var seen: [LabConfiguration] = []
    for field in LabConfiguration.fields {
      var c = LabConfiguration()
      try c.set(field.name, to: Self.sample(field.type))
      #expect(c != LabConfiguration(), "\(field.name) changed nothing")
      #expect(!seen.contains(c), "\(field.name) sets what another key sets")
      seen.append(c)
    }
    #expect(Set(LabConfiguration.fields.map(\.name)).count == LabConfiguration.fields.count)
  }

  @Test func badKeysAndValuesAreNamed() {
    var c = LabConfiguration()
    #expect(throws: ConfigurationError(field: nil, "unknown field 'stepz' (fields: \(LabConfiguration.fieldNames.joined(separator: ", ")))")) {
      try c.set("stepz", to: .int(5))
    }
    #expect(throws: ConfigurationError(field: "arms", "must be an integer, got \"ten\"")) { try c.set("arms", to: .string("ten")) }
    #expect(throws: ConfigurationError(field: "seed", "must be a non-negative integer, got -1")) { try c.set("seed", to: .int(-1)) }
    #expect(throws: ConfigurationError(field: "hidden", "widths must be whole numbers ≥ 1 and < 10⁶, got 2.5")) { try c.set("hidden", to: .list([.double(2.5)])) }
    #expect(throws: ConfigurationError(field: "means", "value 2 is not a number: 'y'")) { try c.set("means", to: .string("1,y")) }
    #expect(throws: ConfigurationError(field: "loss.kl_cov_ration", "is not a loss parameter (parameters: \(VerlParameters.knownKeys.sorted().joined(separator: ", ")))")) {
      try c.setLoss(name: "kl_cov", parameters: ["kl_cov_ration": "0.1"])
    }
    // `-` and `_` name the same key; a double is not an integer.
    try? c.set("reward-model", to: .string("nonlinear"))
    #expect(c.rewardModel == "nonlinear")
    #expect(throws: ConfigurationError(field: "arms", "must be an integer, got 4.0")) { try c.set("arms", to: .double(4)) }
  }

  /// The vectorised runner exactly where it applies; the general one otherwise; bad names
  /// named with the available ones.
  @Test func makeRunnerPicksTheRunner() throws {
    var c = LabConfiguration()
    c.runs = 16
    c.steps = 5
    #expect(try c.makeRunner().isVectorised)
    for change: (inout LabConfiguration) -> Void in [{ $0.optimizer = "adam" }, { $0.batch = 4 }, { $0.schedule = "cosine" }, { $0.rule = "grpo" },
                                                     { $0.policy = "linear" }, { $0.loss = "vanilla" }, { $0.baseline = "learned" }] {
      var d = c
      change(&d)
      #expect(try d.makeRunner().isVectorised == false)
    }
    var bad = c
    bad.rule = "sarsa"
    #expect(throws: LabError("unknown rule 'sarsa' (available: \(LabConfiguration.ruleNames.joined(separator: ", ")))")) { try bad.makeRunner() }
    bad = c
    bad.environment = "contextual-bandit"
    bad.means = [1, 2]
    #expect(throws: LabError("means apply to bandits, not to a contextual bandit")) { try bad.makeRunner() }
    bad = c
    bad.epochs = 2
    #expect(throws: LabError("epochs and clip_high apply to the ppo and grpo rules")) { try bad.makeRunner() }
    bad = c
    bad.noStd = true
    #expect(throws: LabError("no_std applies to the grpo rule")) { try bad.makeRunner() }
    bad = c
    bad.adaptiveEntropyTarget = 0.5
    #expect(throws: LabError("loss parameters and the adaptive entropy bonus apply to a loss")) { try bad.makeRunner() }
  }

  /// The runner built from a configuration gives the series of the experiment built by hand.
  @Test func runnerMatchesTheHandBuiltExperiment() throws {
    var c = LabConfiguration()
    c.environment = "contextual-bandit"
    c.dimension = 3
    c.arms = 4
    c.policy = "mlp"
    c.hidden = [6]
    c.rule = "grpo"
    c.group = 4
    c.optimizer = "adam"
    c.learningRate = 0.01
    c.runs = 6
    c.steps = 4
    var fromConfiguration: [[Double]] = []
    try c.makeRunner().run(threads: 2) { fromConfiguration.append($0.mean); return true }
    let environment = ContextualBandit(dimension: 3, actions: 4, model: .linear, noise: 1, states: nil)
    var e = LabExperiment(environment: environment, policy: MLPPolicy(features: 3, hidden: [6], actions: 4, activation: .tanh), learningRate: 0.01, runs: 6, steps: 4, seed: 1)
    e.optimizer = .adamDefault
    e.batchSize = 4
    e.groupSize = 4
    e.advantage = .groupNormalized(scaleByStd: true, epsilon: 1e-6)
    e.surrogate = .ppoClip(epochs: 1, clipLow: 0.2, clipHigh: 0.2)
    var byHand: [[Double]] = []
    try e.run(threads: 1) { byHand.append($0.mean); return true }
    #expect(fromConfiguration.count == 4)
    #expect(fromConfiguration.map { $0.map { $0.isNaN ? 0 : $0 } } == byHand.map { $0.map { $0.isNaN ? 0 : $0 } })
  }
}
