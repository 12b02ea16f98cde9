import OutputFormats
import Games
import RealModule
import Reports
import SeededRandom
import SoftmaxCore

/// Seed 000 (Gao & Pavel, "On the properties of the softmax function with application in game
/// theory and reinforcement learning"): softmax as the gradient of log-sum-exp, its Lipschitz
/// and co-coercivity constants, and softmax learning in games against logit equilibria.
public enum SoftmaxGameExperiments {
  static let source = "seed 000 (Gao & Pavel, On the Properties of the Softmax Function)"

  /// The five experiments of seed 000, `000-softmax-is-gradient` to `000-qre-branch`, in report order.
  public static var experiments: [Experiment] { [gradientOfLSE, lipschitz, qreConvergence, plainPGCycles, pitchfork] }

  static let gradientOfLSE = Experiment(
    name: "000-softmax-is-gradient",
    source: source + ", Proposition 1",
    claim: "Softmax is the gradient of log-sum-exp: ∇ lse(z) = softmax(z).",
    setup: "Random logits (K = 2 … 21); the gradient by central differences of log-sum-exp.",
    constants: [ClaimConstant("temperature", 1, wrong: 2, "T in ∇ lse(z) = softmax(z/T)")]
  ) { context, k in
    var rng = Streams.softmaxIsGradient.generator(context.seed)
    var worst = 0.0
    for i in 0..<context.size(quick: 300, full: 3000) {
      let size = 2 + i % 20
      let z = (0..<size).map { _ in 3 * rng.nextGaussian() }
      let p = softmax(z, temperature: k["temperature"])
      for (d, q) in zip(centralDifferenceGradient(z, step: 1e-5) { logSumExp($0) }, p) { worst = max(worst, abs(d - q)) }
    }
    return .judge(worst < 1e-9, "largest |central difference of lse − softmax| over random logits: \(formatNumber(worst, digits: 3)).", evidence: [("max error", worst)])
  }

  /// Lipschitz `β/2` and co-coercivity `2/β` (tight), on random pairs: `‖σ(a) − σ(b)‖ ≤ L‖a − b‖`
  /// and `⟨σ(a) − σ(b), a − b⟩ ≥ c‖σ(a) − σ(b)‖²`, with `L = f_L·β` and `c = f_c/β` constants
  /// (too small an `L` breaks the bound, too large a `c` too; a looser `L` or smaller `c`, such
  /// as the paper's `β` and `1/β`, breaks the tightness check).
  public static var lipschitz: Experiment {
    Experiment(
      name: "000-lipschitz-cocoercive",
      source: source + ", Propositions 3–4 (tight constants: REFERENCE.md)",
      claim: "softmax(β·) is Lipschitz with constant β/2 and co-coercive with constant 2/β (tighter than the paper's β and 1/β), and no smaller constant works.",
      setup: "Random logit pairs (K = 2 … 9, β ∈ {0.5, 1, 3}, near and far pairs) and the two-action equal-logit limit.",
      constants: [ClaimConstant("Lipschitz factor", 0.5, wrong: 1, "f_L in L = f_L·β (1 is the paper's constant, valid but not tight)"),
                  ClaimConstant("co-coercivity factor", 2, wrong: 1, "f_c in c = f_c/β (1 is the paper's constant, valid but not tight)")]) { context, k in
      let lipschitzConstant = { (beta: Double) in k["Lipschitz factor"] * beta }
      let cocoercivityConstant = { (beta: Double) in k["co-coercivity factor"] / beta }
      var rng = Streams.lipschitzPairs.generator(context.seed)
      var worstL = 0.0, worstC = Double.infinity
      var xs: [Double] = [], ys: [Double] = []
      for trial in 0..<context.size(quick: 5000, full: 50_000) {
        let k = 2 + trial % 8
        let beta = [0.5, 1, 3][trial % 3]
        let a = (0..<k).map { _ in 2 * rng.nextGaussian() }
        let b = a.map { $0 + (trial % 2 == 0 ? 0.01 : 2) * rng.nextGaussian() }
        let sa = softmax(a, temperature: 1 / beta), sb = softmax(b, temperature: 1 / beta)
        let ds = zip(sa, sb).map { $0 - $1 }, dz = zip(a, b).map { $0 - $1 }
        let nds = euclideanNorm(ds), ndz = euclideanNorm(dz)
        let ratio = nds / ndz / lipschitzConstant(beta)
        worstL = max(worstL, ratio)
        if nds > 1e-9 { worstC = min(worstC, zip(ds, dz).reduce(0) { $0 + $1.0 * $1.1 } / (nds * nds) / cocoercivityConstant(beta)) }
        if trial % 25 == 0 { xs.append(ndz * beta); ys.append(nds) }
      }
      // Tightness: equal logits of two actions, a tiny antisymmetric step.
      let d = 1e-7
      let step = zip(softmax([d, -d]), softmax([0.0, 0.0])).map { $0 - $1 }
      let tight = euclideanNorm(step) / euclideanNorm([d, -d])
      let tightC = (step[0] * 2 * d) / (euclideanNorm(step) * euclideanNorm(step))  // ⟨Δσ, Δz⟩/‖Δσ‖² = 2sd/2s² with Δz = (d, −d), Δσ = (s, −s)
      return .judge(
        worstL <= 1 + 1e-12 && worstC >= 1 - 1e-9 && abs(tight - lipschitzConstant(1)) < 1e-6 && abs(tightC - cocoercivityConstant(1)) < 1e-6,
        "largest ‖Δσ‖/(L‖Δz‖): \(formatNumber(worstL, digits: 6)) (≤ 1 with L = \(formatNumber(lipschitzConstant(1), digits: 4))·β); smallest ⟨Δσ, Δz⟩/(c‖Δσ‖²): \(formatNumber(worstC, digits: 6)) (≥ 1 with c = \(formatNumber(cocoercivityConstant(1), digits: 4))/β); at equal logits (β = 1) the ratios reach \(formatNumber(tight, digits: 6)) and \(formatNumber(tightC, digits: 6)): the constants are tight.",
        evidence: [("max Lipschitz ratio", worstL), ("min co-coercivity ratio", worstC), ("Lipschitz ratio at equal logits", tight),
                   ("co-coercivity ratio at equal logits", tightC)],
        figures: [Figure("‖σ(a) − σ(b)‖ against β‖a − b‖", x: "β‖a − b‖", y: "‖σ(a) − σ(b)‖", logX: true, logY: true,
                         series: [PlotSeries("random pairs", x: xs, y: ys, markers: true),
                                  PlotSeries("β/2 bound", x: [1e-4, 100], y: [0.5e-4, 50]),
                                  PlotSeries("paper's β bound", x: [1e-4, 100], y: [1e-4, 100])])])
    }
  }

  static let qreConvergence = Experiment(
    name: "000-entropy-pg-to-qre",
    source: source + ", §5 (softmax best response = entropy-regularised best response)",
    claim: "Entropy-regularised softmax policy gradient (weight τ) converges to the logit QRE at λ = 1/τ in zero-sum games (matching pennies, rock-paper-scissors).",
    setup: "Simultaneous exact-gradient play (no sampling) in three small zero-sum games, τ = 0.5, η = 0.1, from asymmetric logits.",
    constants: [ClaimConstant("λτ", 1, wrong: 2, "the product λτ of the QRE the dynamics reach")]
  ) { context, k in
    var distances: [Double] = [], curves: [PlotSeries] = []
    for name in ["matching-pennies", "rock-paper-scissors", "biased-rock-paper-scissors"] {
      var run = GameLearning(game: try GameLibrary.game(named: name), rule: .entropyRegularized(tau: 0.5), learningRate: 0.1, steps: context.size(quick: 4000, full: 8000))
      let (m, n) = run.game.shape
      run.initialLogits = ((0..<m).map { Double($0) * 0.7 }, (0..<n).map { -Double($0) * 0.4 })
      run.referenceLambda = k["λτ"] / 0.5
      var d: [Double] = []
      try run.run { d.append($0.distanceToQRE); return true }
      distances.append(d.last!)
      curves.append(LabSeries.thin(PlotSeries(name, x: d.indices.map { Double($0 + 1) }, y: d.map { max($0, 1e-16) })))
    }
    return .judge(
      distances.allSatisfy { $0 < 1e-8 }, "final distance max|p − p*| to the QRE at λ = \(formatNumber(k["λτ"] / 0.5, digits: 3)) (τ = 0.5): " + distances.map { formatNumber($0, digits: 3) }.joined(separator: ", ") + ".",
      evidence: [("max final distance", distances.max()!)],
      figures: [Figure("Distance to the QRE (λ = 1/τ = 2) per step", x: "step", y: "max |p − p*|", logX: true, logY: true, series: curves)])
  }

  static let plainPGCycles = Experiment(
    name: "000-plain-pg-cycles",
    source: source + ", §5 (learning in games)",
    claim: "Without entropy regularisation, simultaneous softmax policy gradient does not converge in the last iterate in matching pennies (it circles the equilibrium), while its time average and extragradient do.",
    setup: "Exact-gradient simultaneous play in matching pennies, η = 0.05, from logits (0.6, 0) against (0, 0).",
    constants: [ClaimConstant("entropy weight", 0, wrong: 0.5, "τ of the 'plain' policy gradient (0: none; with τ > 0 the last iterate converges)")]
  ) { context, k in
    let steps = context.size(quick: 10_000, full: 40_000)
    let game = try GameLibrary.game(named: "matching-pennies")
    func run(_ rule: LearningRule) throws -> [GameStep] {
      var r = GameLearning(game: game, rule: rule, learningRate: 0.05, steps: steps)
      r.initialLogits = ([0.6, 0], [0, 0])
      r.referenceLambda = 1
      var out: [GameStep] = []
      try r.run { out.append($0); return true }
      return out
    }
    let tau = k["entropy weight"]
    let pg = try run(tau == 0 ? .policyGradient : .entropyRegularized(tau: tau)), eg = try run(.extragradient)
    let start = pg[0].distanceToQRE
    let lateMin = pg.suffix(steps / 10).map(\.distanceToQRE).min()!
    let averageDistance = (pg.last!.averageX + pg.last!.averageY).map { abs($0 - 0.5) }.max()!
    let egEnd = eg.last!.distanceToQRE
    let x = pg.indices.map { Double($0 + 1) }
    return .judge(
      lateMin > 0.5 * start && averageDistance < 0.05 && egEnd < 1e-6,
      "policy gradient: distance to the equilibrium \(formatNumber(start, digits: 3)) at the start, never below \(formatNumber(lateMin, digits: 3)) in the last 10% of steps; its time average ends \(formatNumber(averageDistance, digits: 3)) away; extragradient ends \(formatNumber(egEnd, digits: 3)) away.",
      evidence: [("start distance", start), ("late minimum distance (PG)", lateMin), ("time-average distance (PG)", averageDistance), ("extragradient final distance", egEnd)],
      figures: [Figure("Matching pennies: distance to the equilibrium", x: "step", y: "max |p − p*|", logX: true, logY: true,
                       series: [LabSeries.thin(PlotSeries("policy gradient (last iterate)", x: x, y: pg.map(\.distanceToQRE))),
                                LabSeries.thin(PlotSeries("extragradient", x: x, y: eg.map { max($0.distanceToQRE, 1e-16) }))])])
  }

  static let pitchfork = Experiment(
    name: "000-qre-branch",
    source: source + "; McKelvey & Palfrey (1995), Turocy (2005)",
    claim: "The logit QRE form a branch from uniform play (λ = 0) to a Nash equilibrium; in the symmetric battle of the sexes it meets a pitchfork near λ ≈ 1.3722 where two asymmetric branches leave toward the pure equilibria.",
    setup: "The symmetric battle of the sexes (payoffs 3/2/0) traced by our path follower to λ = 200; the seed states the QRE correspondence in general.",
    constants: [ClaimConstant("bifurcation λ", 1.372184, wrong: 1.5, "λ of the pitchfork of the symmetric battle of the sexes")]
  ) { _, k in
    let game = try GameLibrary.game(named: "battle-of-the-sexes")
    var solver = LogitQRESolver(game)
    let stay = try solver.trace(to: 200)
    solver.bifurcationPolicy = .switchBranch(sign: 1)
    let plus = try solver.trace(to: 200)
    solver.bifurcationPolicy = .switchBranch(sign: -1)
    let minus = try solver.trace(to: 200)
    let lambda = stay.events.first?.lambda ?? .nan
    // Every traced point solves the QRE equations at its λ (relative entropy of each player's
    // mix to its logit response, divided by λ).
    let residual = (stay.points + plus.points + minus.points).map { p in game.gaps(p.x, p.y, lambda: max(p.lambda, 1e-9)).qreGap ?? .infinity }.max()!
    // The branches end at Nash equilibria: the principal branch's limit (made exact on its
    // support), and the ends of all three at λ = 200 are ε-equilibria with ε → 0.
    let limit = try LogitQRESolver(game).limitEquilibrium(lambdaMax: 2000)
    let limitGap = game.gaps(limit.x, limit.y).nashConv / game.payoffRange
    let endGaps = [stay, plus, minus].map { game.gaps($0.end.x, $0.end.y).nashConv / game.payoffRange }
    // The two switched branches reach the two different pure equilibria.
    let pure = [plus, minus].map { b in b.end.x.max()! > 0.99 && b.end.y.max()! > 0.99 }
    let distinct = abs(plus.end.x[0] - minus.end.x[0]) > 0.98
    func curve(_ name: String, _ b: QREBranch) -> PlotSeries { PlotSeries(name, x: b.points.map(\.lambda), y: b.points.map { $0.x[0] }) }
    return .judge(
      abs(lambda - k["bifurcation λ"]) < 1e-5 && stay.events.first?.kind == .bifurcation && residual <= 1e-9 && limitGap <= 1e-12 && endGaps.max()! <= 1e-2 && pure.allSatisfy { $0 } && distinct,
      "the tracer reports a bifurcation at λ = \(formatNumber(lambda, digits: 8)) (claimed \(formatNumber(k["bifurcation λ"], digits: 8))); largest QRE residual on the traced points \(formatNumber(residual, digits: 2)); at λ = 200 the branches end at x = \(plus.end.x.map { formatNumber($0, digits: 3) }) / \(minus.end.x.map { formatNumber($0, digits: 3) }) (switching) and \(stay.end.x.map { formatNumber($0, digits: 3) }) (staying), NashConv/range \(endGaps.map { formatNumber($0, digits: 2) }.joined(separator: ", ")); the principal branch's limit \(limit.x.map { formatNumber($0, digits: 4) }) is a Nash equilibrium to \(formatNumber(limitGap, digits: 2)).",
      evidence: [("bifurcation λ", lambda), ("max QRE residual on the branches", residual), ("NashConv of the limit", limitGap),
                 ("max NashConv at λ = 200", endGaps.max()!)],
      figures: [Figure("Battle of the sexes: player 1's P(Opera) along the logit branches", x: "λ", y: "x_Opera",
                       series: [curve("symmetric branch", stay), curve("branch +φ", plus), curve("branch −φ", minus)])])
  }
}
