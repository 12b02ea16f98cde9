import OutputFormats
import RealModule
import Reports
import SeededRandom
import SoftmaxCore

/// Seed 002's update-norm formula and zero sum, measured on updates computed independently of
/// any closed form: the gradient of `log softmax(z)_c` by central differences (free logits), and
/// the real change of the logits after a gradient step on the parameters of a linear and a
/// small tanh network policy.
extension LogitUpdateExperiments {
  /// `∂ log softmax(z)_c / ∂z_j` for every `j` by central differences with step `h`
  /// (truncation ~h²/60, rounding ~ε·max|z|/h): uses nothing but log-sum-exp.
  static func centralDifferenceScore(_ z: [Double], action c: Int, step h: Double = 1e-3) -> [Double] {
    centralDifferenceGradient(z, step: h) { $0[c] - logSumExp($0) }
  }

  /// `√(1 − 2p_c + C(p))` written as the paper writes it, in `T` (it cancels as `p_c → 1`).
  static func literalNormFactor<T: BinaryFloatingPoint>(_ p: [T], action c: Int) -> T {
    var collision: T = 0
    for q in p { collision += q * q }
    return (max(0, 1 - 2 * p[c] + collision)).squareRoot()
  }

  /// `‖Δz‖ = η|A|√(1 − 2p_c + C(p))`, the measured norm from central differences of the score;
  /// `closedForm` is injectable so that a test can hand it a wrong formula and see `fails`.
  /// A `closedForm` given replaces the library's (and the `collision weight` constant).
  public static func normFormula(
    closedForm: (@Sendable (SoftmaxDistribution<Double>, Int, Double, Double) -> Double)? = nil
  ) -> Experiment {
    Experiment(
      name: "002-norm-formula", source: source + ", §2",
      claim: "A sampled update Δz = ηA ∇_z log π(c) = ηA(e_c − p) has norm exactly η|A|√(1 − 2p_c + C(p)), C(p) = Σ p².",
      setup: "Random logits (K = 2 … 300, scales 0.1 … 1e4) instead of a trained policy; the update is measured by central differences of log π(c), not by the formula.",
      constants: [ClaimConstant("collision weight", 1, wrong: 0, "weight w of the other actions' term in η|A|√((1 − p_c)² + w Σ_{o≠c} p_o²); 0 forgets C(p)")]
    ) { context, constants in
      let weight = constants["collision weight"]
      let closedForm = closedForm ?? { d, c, a, eta in
        if weight == 1 { return d.updateNormClosedForm(action: c, advantage: a, learningRate: eta) }
        var others = 0.0
        for (j, p) in d.probabilities.enumerated() where j != c { others += p * p }
        let q = 1 - d.probabilities[c]
        return eta * abs(a) * (q * q + weight * others).squareRoot()
      }
      var rng = Streams.normFormula.generator(context.seed)
      var worst = 0.0, judged = 0, unresolved = 0
      var xs: [Double] = [], ys: [Double] = []
      let cases = context.size(quick: 400, full: 6000)
      for i in 0..<cases {
        let k = [2, 3, 10, 100, 300][i % 5]
        let scale = [0.1, 1, 10, 1e4][i % 4]
        let z = (0..<k).map { _ in scale * rng.nextGaussian() }
        let d = SoftmaxDistribution<Double>(logits: z)
        let c = rng.nextCategorical(d.probabilities)
        let a = rng.nextGaussian(), eta = 0.01 + rng.nextDouble()
        // The update from central differences of log π(c), independent of every closed form.
        let measured = abs(eta * a) * euclideanNorm(centralDifferenceScore(z, action: c))
        let predicted = closedForm(d, c, a, eta)
        // Central differences resolve the norm to ~1e-8 per unit η|A|: judge where it is ≥ 1e-3.
        if measured >= 1e-3 * abs(eta * a) {
          worst = max(worst, abs(measured - predicted) / measured)
          judged += 1
        } else {
          unresolved += 1
        }
        if i % 4 == 0 { xs.append(predicted / (eta * abs(a))); ys.append(measured / (eta * abs(a))) }
      }
      // The literal form in f64 and f32 against the cancellation-free closed form, as p_c → 1
      // (K = 4, the rest uniform).
      var gap: [Double] = [], err64: [Double] = [], err32: [Double] = []
      var literalWorstAway = 0.0
      for e in stride(from: 0.5, through: 12, by: 0.25) {
        let g = Double.pow(10, -e)
        let d = distribution(pc: 1 - g, k: 4)
        let exact = d.updateNormFactor(action: 0)
        let l64 = literalNormFactor(d.probabilities, action: 0)
        let l32 = Double(literalNormFactor(d.probabilities.map { Float($0) }, action: 0))
        gap.append(g)
        err64.append(max(1e-17, abs(l64 - exact) / exact))
        err32.append(max(1e-17, abs(l32 - exact) / exact))
        if g >= 1e-2 { literalWorstAway = max(literalWorstAway, abs(l64 - exact) / exact) }
      }
      func firstGap(_ errors: [Double], above limit: Double) -> Double {
        zip(gap, errors).first { $0.1 > limit }?.0 ?? 0
      }
      let lost64 = firstGap(err64, above: 1e-3), lost32 = firstGap(err32, above: 1e-3)
      return .judge(
        worst <= 1e-5 && judged >= cases / 2 && literalWorstAway <= 1e-10,
        "measured by central differences of log π(c), ‖Δz‖ matches the closed form to \(formatNumber(worst, digits: 3)) (relative) over \(judged) updates (K up to 300, logits up to ±1e4; \(unresolved) with ‖Δz‖/(η|A|) < 1e-3, below the differences' resolution, left out); the paper's literal √(1 − 2p_c + C) agrees to \(formatNumber(literalWorstAway, digits: 3)) while 1 − p_c ≥ 1e-2, and loses three digits below 1 − p_c = \(formatNumber(lost64, digits: 3)) in f64 and \(formatNumber(lost32, digits: 3)) in f32.",
        evidence: [("max relative error (central differences)", worst), ("updates judged", Double(judged)),
                   ("updates below resolution", Double(unresolved)), ("literal f64 error, 1 − p_c ≥ 1e-2", literalWorstAway),
                   ("1 − p_c where f64 literal errs > 1e-3", lost64), ("1 − p_c where f32 literal errs > 1e-3", lost32)],
        figures: [
          Figure("‖Δz‖ measured by central differences against the closed form (per unit η|A|)", x: "closed form", y: "measured",
                 series: [PlotSeries("updates", x: xs, y: ys, markers: true), PlotSeries("y = x", x: [0, 1.42], y: [0, 1.42])]),
          Figure("The literal √(1 − 2p_c + C) against the cancellation-free form, as p_c → 1", x: "1 − p_c", y: "relative error",
                 logX: true, logY: true,
                 series: [PlotSeries("f64", x: gap, y: err64, markers: true), PlotSeries("f32", x: gap, y: err32, markers: true)]),
        ],
        notes: ["The library evaluates the factor as √((1 − p_c)² + Σ_{o≠c} p_o²), which keeps its digits as p_c → 1; the literal 1 − 2p_c + C cancels, with a relative error of about ε/(1 − p_c)."])
    }
  }

  /// The change of the logits after one REINFORCE step `θ ← θ + ηA ∇_θ log π(c|x)` on a policy
  /// `z = W₂ tanh(W₁x + b₁) + b₂` (`hidden > 0`) or `z = Wx + b` (`hidden = 0`), measured as
  /// `z(θ') − z(θ)` at the same `x`; returns (`Σ_j Δz_j`, `‖Δz‖`).
  static func parameterStepLogitChange(k: Int, dim: Int, hidden: Int, rng: inout Xoshiro256StarStar, eta: Double) -> (sum: Double, norm: Double) {
    let x = (0..<dim).map { _ in rng.nextGaussian() }
    let width = hidden > 0 ? hidden : dim
    var w1 = (0..<(hidden * dim)).map { _ in rng.nextGaussian() / Double(dim).squareRoot() }
    var b1 = (0..<hidden).map { _ in 0.1 * rng.nextGaussian() }
    var w2 = (0..<(k * width)).map { _ in rng.nextGaussian() / Double(width).squareRoot() }
    var b2 = (0..<k).map { _ in 0.1 * rng.nextGaussian() }
    func forward() -> (h: [Double], z: [Double]) {
      let h = hidden > 0 ? (0..<hidden).map { i in Double.tanh(b1[i] + (0..<dim).reduce(0.0) { $0 + w1[i * dim + $1] * x[$1] }) } : x
      return (h, (0..<k).map { j in b2[j] + (0..<width).reduce(0.0) { $0 + w2[j * width + $1] * h[$1] } })
    }
    let (h, z) = forward()
    let d = SoftmaxDistribution<Double>(logits: z)
    let c = rng.nextCategorical(d.probabilities)
    let a = rng.nextGaussian()
    // g = ∂(A log π(c))/∂z = A(e_c − p); backpropagated by hand to every parameter.
    let g = (0..<k).map { j in a * ((j == c ? 1 : 0) - d.probabilities[j]) }
    var gh = [Double](repeating: 0, count: width)
    for j in 0..<k { for i in 0..<width { gh[i] += w2[j * width + i] * g[j] } }
    for j in 0..<k {
      b2[j] += eta * g[j]
      for i in 0..<width { w2[j * width + i] += eta * g[j] * h[i] }
    }
    if hidden > 0 {
      for i in 0..<hidden {
        let gi = gh[i] * (1 - h[i] * h[i])
        b1[i] += eta * gi
        for m in 0..<dim { w1[i * dim + m] += eta * gi * x[m] }
      }
    }
    let dz = zip(forward().z, z).map { $0 - $1 }
    return (dz.reduce(0, +), euclideanNorm(dz))
  }

  /// `Σ_j Δz_j = 0` for free logits, measured on central-difference updates; the same for a
  /// linear policy (its logit change is `ηA(‖x‖² + 1)(e_c − p)`), and measurably non-zero for a
  /// tanh network, whose logit change goes through `J = ∂z/∂θ` (seed 002, §4). `breakRatio`,
  /// a constant, is the median `|ΣΔz|/‖Δz‖` a network must reach for the break to count.
  public static var zeroSum: Experiment {
    Experiment(
      name: "002-zero-sum", source: source + ", §2 and §4",
      claim: "The logit update of a sampled action sums to zero, Σ_j Δz_j = 0, for free logits (and so for a linear policy); through a network's Jacobian the sum is no longer zero.",
      setup: "Random logits, a random linear policy and a random 8 → 16 → K tanh network, one REINFORCE step each; the seed reasons about LLM logits.",
      constants: [ClaimConstant("break ratio", 1e-3, wrong: 10, "median |ΣΔz|/‖Δz‖ a network's step must reach for the break to count (10 would claim the sum dwarfs the step)")]
    ) { context, constants in
      let breakRatio = constants["break ratio"]
      var rng = Streams.zeroSum.generator(context.seed)
      var free = 0.0
      for i in 0..<context.size(quick: 300, full: 6000) {
        let k = [2, 10, 100, 300][i % 4]
        let z = (0..<k).map { _ in 5 * rng.nextGaussian() }
        let c = rng.nextCategorical(SoftmaxDistribution<Double>(logits: z).probabilities)
        let dz = centralDifferenceScore(z, action: c).map { 0.5 * $0 }
        let norm = euclideanNorm(dz)
        if norm >= 1e-3 { free = max(free, abs(dz.reduce(0, +)) / norm) }
      }
      var linear = 0.0, network: [Double] = []
      for i in 0..<context.size(quick: 200, full: 2000) {
        let k = [4, 10, 50][i % 3]
        let l = parameterStepLogitChange(k: k, dim: 8, hidden: 0, rng: &rng, eta: 0.05)
        if l.norm > 1e-9 { linear = max(linear, abs(l.sum) / l.norm) }
        let n = parameterStepLogitChange(k: k, dim: 8, hidden: 16, rng: &rng, eta: 0.05)
        if n.norm > 1e-9 { network.append(abs(n.sum) / n.norm) }
      }
      let median = network.sorted()[network.count / 2]
      return .judge(
        free <= 1e-6 && linear <= 1e-9 && median >= breakRatio,
        "|ΣΔz|/‖Δz‖ at most \(formatNumber(free, digits: 3)) for free logits (central differences) and \(formatNumber(linear, digits: 3)) for a linear policy after a parameter step; for a tanh network (8 → 16 → K) its median is \(formatNumber(median, digits: 3)) (break threshold \(formatNumber(breakRatio, digits: 3))).",
        evidence: [("max |ΣΔz|/‖Δz‖, free logits", free), ("max |ΣΔz|/‖Δz‖, linear policy", linear),
                   ("median |ΣΔz|/‖Δz‖, tanh network", median), ("network steps", Double(network.count))],
        notes: ["The free-logit bound is the central differences' resolution (~1e-8 per unit step), not rounding of a formula; the linear policy's step is computed through its parameters and its logits recomputed."])
    }
  }
}
