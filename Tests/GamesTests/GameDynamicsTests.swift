import Foundation
import Games
import SeededRandom
import SoftmaxCore
import Testing

@Suite struct GameDynamicsTests {
  static func last(_ run: GameLearning) throws -> (first: GameStep, last: GameStep, all: [GameStep]) {
    var steps: [GameStep] = []
    try run.run { steps.append($0); return true }
    return (steps.first!, steps.last!, steps)
  }

  /// Entropy-regularised softmax policy gradient converges (last iterate) to the logit QRE at
  /// `λ = 1/τ` in matching pennies and (biased) rock-paper-scissors for a small step.
  @Test(arguments: ["matching-pennies", "rock-paper-scissors", "biased-rock-paper-scissors"])
  func entropyRegularisedPGConvergesToTheQRE(name: String) throws {
    var run = GameLearning(game: try GameLibrary.game(named: name), rule: .entropyRegularized(tau: 0.5), learningRate: 0.1, steps: 6000)
    let (m, n) = run.game.shape
    run.initialLogits = ((0..<m).map { Double($0) * 0.7 }, (0..<n).map { -Double($0) * 0.4 })
    let r = try Self.last(run)
    #expect(r.first.distanceToQRE > 0.05)
    #expect(r.last.distanceToQRE < 1e-9, "\(name): distance to QRE(λ = 2) after 6000 steps: \(r.last.distanceToQRE)")
  }

  /// Plain softmax policy gradient does not converge in the last iterate in matching pennies:
  /// it circles the equilibrium at a distance that does not shrink (discrete steps push it
  /// outward), while its time average approaches the equilibrium.
  @Test func plainPolicyGradientCyclesInMatchingPennies() throws {
    var run = GameLearning(game: try GameLibrary.game(named: "matching-pennies"), rule: .policyGradient, learningRate: 0.05, steps: 20_000)
    run.initialLogits = ([0.6, 0], [0, 0])
    run.referenceLambda = 1  // the QRE of matching pennies is uniform at every λ: the Nash equilibrium
    let r = try Self.last(run)
    let late = r.all.suffix(2000).map(\.distanceToQRE)
    #expect(late.min()! > 0.5 * r.first.distanceToQRE, "last iterate: min late distance \(late.min()!) vs start \(r.first.distanceToQRE)")
    let average = r.last.averageX + r.last.averageY
    #expect(average.map { abs($0 - 0.5) }.max()! < 0.05, "time average \(average)")
  }

  /// Extragradient and optimistic Hedge converge in the last iterate in matching pennies where
  /// Hedge does not; smooth fictitious play converges to the QRE at its λ in rock-paper-scissors.
  @Test func optimisticAndExtragradientConverge() throws {
    let game = try GameLibrary.game(named: "matching-pennies")
    for (rule, converges) in [(LearningRule.extragradient, true), (.optimisticHedge, true), (.hedge, false)] {
      var run = GameLearning(game: game, rule: rule, learningRate: 0.1, steps: 3000)
      run.initialLogits = ([0.5, 0], [0, 0.2])
      run.referenceLambda = 1
      let r = try Self.last(run)
      if converges { #expect(r.last.distanceToQRE < 1e-6, "\(rule): \(r.last.distanceToQRE)") } else {
        #expect(r.last.distanceToQRE > 0.1, "\(rule) should not converge: \(r.last.distanceToQRE)")
      }
    }
    var sfp = GameLearning(game: try GameLibrary.game(named: "biased-rock-paper-scissors"), rule: .smoothFictitiousPlay(lambda: 2), learningRate: 1, steps: 20_000)
    sfp.initialLogits = nil
    let r = try Self.last(sfp)
    #expect(r.last.distanceToQRE < 5e-3, "SFP: \(r.last.distanceToQRE)")
  }

  /// The probes: the sampled update's norm equals the closed form; the first-order entropy
  /// change matches the actual one to second order in η.
  @Test func probesMatchTheTheory() throws {
    var sampled = GameLearning(game: try GameLibrary.game(named: "rock-paper-scissors"), rule: .sampledPolicyGradient, learningRate: 0.2, steps: 2000)
    sampled.seed = 3
    for s in try Self.last(sampled).all {
      #expect(abs(s.updateNorm.0 - s.updateNormClosedForm.0) <= 1e-12 * max(1e-300, s.updateNormClosedForm.0) + 1e-300)
      #expect(abs(s.updateNorm.1 - s.updateNormClosedForm.1) <= 1e-12 * max(1e-300, s.updateNormClosedForm.1) + 1e-300)
    }
    var errors: [Double] = []
    for eta in [0.02, 0.01] {
      var run = GameLearning(game: try GameLibrary.game(named: "biased-rock-paper-scissors"), rule: .policyGradient, learningRate: eta, steps: 1)
      run.initialLogits = ([1, 0, -0.5], [0.3, -0.2, 0])
      let s = try Self.last(run).last
      errors.append(abs(s.entropyChangePredicted.0 - s.entropyChangeActual.0))
    }
    #expect(errors[0] / errors[1] > 3.5 && errors[0] / errors[1] < 4.5, "second-order error ratio \(errors[0] / errors[1])")
  }

  /// Gao & Pavel's constants for `σ = softmax(β·)`, tight versions: `‖σ(a) − σ(b)‖ ≤ (β/2)‖a − b‖`
  /// and `⟨σ(a) − σ(b), a − b⟩ ≥ (2/β)‖σ(a) − σ(b)‖²`, on random pairs; and the bound `β/2` is
  /// approached (the constants are tight).
  @Test func lipschitzAndCoCoercivityWithTightConstants() {
    var rng = Xoshiro256StarStar(seed: 99)
    var worstLipschitz = 0.0, worstCoercive = Double.infinity
    for trial in 0..<20_000 {
      let k = 2 + trial % 6
      let beta = [0.3, 1, 4][trial % 3]
      let scale = trial % 2 == 0 ? 0.01 : 3
      let a = (0..<k).map { _ in 3 * rng.nextGaussian() }
      let b = a.map { $0 + scale * rng.nextGaussian() }
      let sa = softmax(a, temperature: 1 / beta), sb = softmax(b, temperature: 1 / beta)
      let ds = zip(sa, sb).map { $0 - $1 }, dz = zip(a, b).map { $0 - $1 }
      let nds = euclideanNorm(ds), ndz = euclideanNorm(dz)
      let inner = zip(ds, dz).reduce(0) { $0 + $1.0 * $1.1 }
      worstLipschitz = max(worstLipschitz, nds / ndz / beta)
      if nds > 1e-9 { worstCoercive = min(worstCoercive, inner / (nds * nds) * beta) }
    }
    #expect(worstLipschitz <= 0.5 + 1e-12, "Lipschitz ratio / β: \(worstLipschitz)")
    #expect(worstCoercive >= 2 - 1e-9, "co-coercivity ratio · β: \(worstCoercive)")
    // Tight: two actions at equal logits, a tiny antisymmetric step: ratio → β/2 and 2/β.
    let beta = 2.0, d = 1e-6
    let s1 = softmax([d, -d], temperature: 1 / beta), s0 = softmax([0.0, 0.0], temperature: 1 / beta)
    let ratio = euclideanNorm(zip(s1, s0).map { $0 - $1 }) / euclideanNorm([d, -d])
    #expect(abs(ratio - beta / 2) < 1e-6)
  }

  /// Maximum-likelihood λ: counts proportional to the QRE at λ = 1.7 give back λ = 1.7.
  @Test func fitLambdaRecoversTheGeneratingValue() throws {
    let game = try GameLibrary.game(named: "stag-hunt")
    let solver = LogitQRESolver(game)
    let truth = try solver.solve(lambdas: [1.7])[0]
    let fit = try solver.fitLambda(counts1: truth.x.map { $0 * 1e6 }, counts2: truth.y.map { $0 * 1e6 }, lambdaMax: 20)
    #expect(abs(fit.lambda - 1.7) < 1e-6, "fitted λ \(fit.lambda)")
  }

  /// Found by `Fuzz/fuzz-json-game` and `fuzz-nfg`: a name or label holding a newline, a
  /// backslash or a NUL was written into the JSON unescaped, and the file did not read back.
  @Test func jsonOfAGameEscapesNamesAndLabels() throws {
    let game = try NormalFormGame(name: "ran\ndom \"2x2\" \\ game", payoff1: [[1, -0.25], [0, 3e-7]], payoff2: [[0, 1], [1, 0]],
                                  labels: [["a\u{0}b", "tab\there"], ["\u{7F}", "ünï"]])
    let text = GameFiles.json(game)
    let back = try GameFiles.parseJSON(Data(text.utf8))
    #expect(back.name == game.name && back.labels == game.labels, "\(text)")
    #expect(back.payoff1 == game.payoff1 && back.payoff2 == game.payoff2)
    let nfg = try GameFiles.parseNFG("NFG 1 R \"x\" { \"P1\" \"P2\" }\n{ { \"Opera\" \"Foot\u{0}ball\" } { \"a\\\\\" \"b\" } }\n\"\"\n{ { \"o\" 2, 1 } { \"p\" 0, 0 } }\n1 2 2 1\n")
    let again = try GameFiles.parseJSON(Data(GameFiles.json(nfg).utf8))
    #expect(again.labels == nfg.labels && again.payoff1 == nfg.payoff1)
  }

  @Test func gambitNFGFiles() throws {
    // Payoff-list body, player 1's strategy varying fastest: the prisoner's dilemma.
    let payoffs = """
      NFG 1 R "Prisoner's dilemma" { "Alice" "Bob" } { 2 2 }
      3 3 5 0 0 5 1 1
      """
    let g = try GameFiles.parseNFG(payoffs)
    #expect(g.payoff1 == [[3, 0], [5, 1]] && g.payoff2 == [[3, 5], [0, 1]])
    // Outcome-list body with strategy names and rationals.
    let outcomes = """
      NFG 1 R "Battle" { "P1" "P2" }
      { { "Opera" "Football" } { "Opera" "Football" } }
      ""
      {
      { "both opera" 2, 1 }
      { "both football" 1, 2 }
      { "apart" 0, 1/2 }
      }
      1 3 3 2
      """
    let b = try GameFiles.parseNFG(outcomes)
    #expect(b.payoff1 == [[2, 0], [0, 1]] && b.payoff2 == [[1, 0.5], [0.5, 2]] && b.labels[0] == ["Opera", "Football"])
    // JSON round trip.
    let again = try GameFiles.parseJSON(Data(GameFiles.json(b).utf8))
    #expect(again.payoff1 == b.payoff1 && again.payoff2 == b.payoff2 && again.labels == b.labels)
  }

  @Test func badInputIsRefused() {
    #expect(throws: GameError.self) { try NormalFormGame(payoff1: [[1, 2], [3]], payoff2: [[1, 2], [3, 4]]) }
    #expect(throws: GameError("the payoff matrices have different shapes: player 1's is 2×2, player 2's is 2×3")) {
      try NormalFormGame(payoff1: [[1, 2], [3, 4]], payoff2: [[1, 2, 0], [3, 4, 0]])
    }
    #expect(throws: GameError("player 2's payoff at (0, 1) is nan; payoffs must be finite")) {
      try NormalFormGame(payoff1: [[1, 2], [3, 4]], payoff2: [[1, .nan], [3, 4]])
    }
    #expect(throws: GameError.self) { try LogitQRESolver(try GameLibrary.game(named: "stag-hunt")).solve(lambdas: [-1]) }
    #expect(throws: GameError.self) { try GameFiles.parseNFG("NFG 1 R \"x\" { \"a\" \"b\" } { 2 2 } 1 2 3") }
    #expect(throws: GameError.self) { try GameFiles.parseNFG("EFG 2 R \"x\" { \"a\" }") }
    #expect(throws: GameError.self) { try GameFiles.parseNFG("NFG 1 R \"x\" { \"a\" \"b\" \"c\" } { 1 1 1 } 0 0 0") }
    #expect(throws: GameError.self) { try GameLibrary.game(named: "chess") }
  }
}
