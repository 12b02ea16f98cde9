import Games
import RealModule
import Reports
import SeededRandom
import SoftmaxCore

/// Seed 000 (Gao & Pavel, "On the properties of the softmax function with application in game
/// theory and reinforcement learning"): softmax as the gradient of log-sum-exp, its Lipschitz
/// and co-coercivity constants, and softmax learning in games against logit equilibria.
public enum Seed000 {
  static let source = "seed 000 (Gao & Pavel, On the Properties of the Softmax Function)"

  public static var experiments: [Experiment] { [gradientOfLSE, lipschitz(), qreConvergence, plainPGCycles, pitchfork] }

  static let gradientOfLSE = Experiment(
    name: "000-softmax-is-gradient",
    source: source + ", Proposition 1",
    claim: "Softmax is the gradient of log-sum-exp: ∇ lse(z) = softmax(z)."
  ) { context in
    var rng = Xoshiro256StarStar(seed: context.seed &+ 7)
    var worst = 0.0
    for i in 0..<context.size(quick: 300, full: 3000) {
      let k = 2 + i % 20
      let z = (0..<k).map { _ in 3 * rng.nextGaussian() }
      let p = softmax(z)
      for j in 0..<k {
        var a = z, b = z
        let h = 1e-5
        a[j] += h
        b[j] -= h
        worst = max(worst, abs((logSumExp(a) - logSumExp(b)) / (2 * h) - p[j]))
      }
    }
    return .judge(worst < 1e-9, "largest |central difference of lse − softmax| over random logits: \(fmt(worst)).", evidence: [("max error", worst)])
  }

  /// Lipschitz `β/2` and co-coercivity `2/β` (tight), on random pairs: `‖σ(a) − σ(b)‖ ≤ L‖a − b‖`
  /// and `⟨σ(a) − σ(b), a − b⟩ ≥ c‖σ(a) − σ(b)‖²`. Both constants are injectable, so a test can
  /// claim a wrong one (too small an `L` breaks the bound, too large a `c` too; 1% too large an
  /// `L` or too small a `c` breaks the tightness check) and see the verdict fail.
  public static func lipschitz(
    lipschitzConstant: @escaping @Sendable (Double) -> Double = { $0 / 2 },
    cocoercivityConstant: @escaping @Sendable (Double) -> Double = { 2 / $0 }
  ) -> Experiment {
    Experiment(
      name: "000-lipschitz-cocoercive",
      source: source + ", Propositions 3–4 (tight constants: REFERENCE.md)",
      claim: "softmax(β·) is Lipschitz with constant β/2 and co-coercive with constant 2/β (tighter than the paper's β and 1/β), and no smaller constant works.") { context in
      var rng = Xoshiro256StarStar(seed: context.seed &+ 11)
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
        "largest ‖Δσ‖/(L‖Δz‖): \(fmt(worstL, 6)) (≤ 1 with L = \(fmt(lipschitzConstant(1), 4))·β); smallest ⟨Δσ, Δz⟩/(c‖Δσ‖²): \(fmt(worstC, 6)) (≥ 1 with c = \(fmt(cocoercivityConstant(1), 4))/β); at equal logits (β = 1) the ratios reach \(fmt(tight, 6)) and \(fmt(tightC, 6)): the constants are tight.",
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
    claim: "Entropy-regularised softmax policy gradient (weight τ) converges to the logit QRE at λ = 1/τ in zero-sum games (matching pennies, rock-paper-scissors)."
  ) { context in
    var distances: [Double] = [], curves: [PlotSeries] = []
    for name in ["matching-pennies", "rock-paper-scissors", "biased-rock-paper-scissors"] {
      var run = GameLearning(game: try GameLibrary.game(named: name), rule: .entropyRegularized(tau: 0.5), learningRate: 0.1, steps: context.size(quick: 4000, full: 8000))
      let (m, n) = run.game.shape
      run.initialLogits = ((0..<m).map { Double($0) * 0.7 }, (0..<n).map { -Double($0) * 0.4 })
      var d: [Double] = []
      try run.run { d.append($0.distanceToQRE); return true }
      distances.append(d.last!)
      curves.append(LabSeries.thin(PlotSeries(name, x: d.indices.map { Double($0 + 1) }, y: d.map { max($0, 1e-16) })))
    }
    return .judge(
      distances.allSatisfy { $0 < 1e-8 }, "final distance max|p − p*| to the QRE at λ = 2 (τ = 0.5): " + distances.map { fmt($0, 3) }.joined(separator: ", ") + ".",
      evidence: [("max final distance", distances.max()!)],
      figures: [Figure("Distance to the QRE (λ = 1/τ = 2) per step", x: "step", y: "max |p − p*|", logX: true, logY: true, series: curves)])
  }

  static let plainPGCycles = Experiment(
    name: "000-plain-pg-cycles",
    source: source + ", §5 (learning in games)",
    claim: "Without entropy regularisation, simultaneous softmax policy gradient does not converge in the last iterate in matching pennies (it circles the equilibrium), while its time average and extragradient do."
  ) { context in
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
    let pg = try run(.policyGradient), eg = try run(.extragradient)
    let start = pg[0].distanceToQRE
    let lateMin = pg.suffix(steps / 10).map(\.distanceToQRE).min()!
    let averageDistance = (pg.last!.averageX + pg.last!.averageY).map { abs($0 - 0.5) }.max()!
    let egEnd = eg.last!.distanceToQRE
    let x = pg.indices.map { Double($0 + 1) }
    return .judge(
      lateMin > 0.5 * start && averageDistance < 0.05 && egEnd < 1e-6,
      "policy gradient: distance to the equilibrium \(fmt(start, 3)) at the start, never below \(fmt(lateMin, 3)) in the last 10% of steps; its time average ends \(fmt(averageDistance, 3)) away; extragradient ends \(fmt(egEnd, 3)) away.",
      evidence: [("start distance", start), ("late minimum distance (PG)", lateMin), ("time-average distance (PG)", averageDistance), ("extragradient final distance", egEnd)],
      figures: [Figure("Matching pennies: distance to the equilibrium", x: "step", y: "max |p − p*|", logX: true, logY: true,
                       series: [LabSeries.thin(PlotSeries("policy gradient (last iterate)", x: x, y: pg.map(\.distanceToQRE))),
                                LabSeries.thin(PlotSeries("extragradient", x: x, y: eg.map { max($0.distanceToQRE, 1e-16) }))])])
  }

  static let pitchfork = Experiment(
    name: "000-qre-branch",
    source: source + "; McKelvey & Palfrey (1995), Turocy (2005)",
    claim: "The logit QRE form a branch from uniform play (λ = 0) to a Nash equilibrium; in the symmetric battle of the sexes it meets a pitchfork near λ ≈ 1.3722 where two asymmetric branches leave toward the pure equilibria."
  ) { _ in
    let game = try GameLibrary.game(named: "battle-of-the-sexes")
    var solver = LogitQRESolver(game)
    let stay = try solver.trace(to: 10)
    solver.bifurcationPolicy = .switchBranch(sign: 1)
    let plus = try solver.trace(to: 10)
    solver.bifurcationPolicy = .switchBranch(sign: -1)
    let minus = try solver.trace(to: 10)
    let lambda = stay.events.first?.lambda ?? .nan
    let residual = (stay.points + plus.points + minus.points).map { p in game.gaps(p.x, p.y, lambda: max(p.lambda, 1e-9)).qreGap ?? 0 }.max()!
    func curve(_ name: String, _ b: QREBranch) -> PlotSeries { PlotSeries(name, x: b.points.map(\.lambda), y: b.points.map { $0.x[0] }) }
    return .judge(
      abs(lambda - 1.372184) < 1e-5 && stay.events.first?.kind == .bifurcation,
      "the tracer reports a bifurcation at λ = \(fmt(lambda, 8)); the branches through it end at \(plus.end.x.map { fmt($0, 3) }) / \(minus.end.x.map { fmt($0, 3) }) (switching) and \(stay.end.x.map { fmt($0, 3) }) (staying); largest entropy-regularised gap on the traced points \(fmt(residual, 2)).",
      evidence: [("bifurcation λ", lambda), ("max QRE gap on the branches", residual)],
      figures: [Figure("Battle of the sexes: player 1's P(Opera) along the logit branches", x: "λ", y: "x_Opera",
                       series: [curve("symmetric branch", stay), curve("branch +φ", plus), curve("branch −φ", minus)])])
  }
}
