import Foundation
import PGLab
import Testing

@Suite struct BanditRunnerTests {
  static func series(_ e: BanditExperiment, threads: Int) throws -> [StepAggregate] {
    var out: [StepAggregate] = []
    try e.run(threads: threads) { out.append($0); return true }
    return out
  }

  /// Tabular policies: the measured update norm equals the closed form `η|A|√(1 − 2p_c + C)`
  /// to 1e-12 and the zero-sum residual is at rounding level, at every step of every run.
  @Test(arguments: [BanditSpec.Kind.gaussian, .bernoulli])
  func normEqualsClosedFormAndStepsSumToZero(kind: BanditSpec.Kind) throws {
    let e = BanditExperiment(bandit: BanditSpec(kind: kind, arms: 10), rule: .reinforceBaseline(rate: 0.01),
                             learningRate: 0.5, runs: 64, steps: 400, seed: 3)
    for agg in try Self.series(e, threads: 2) {
      #expect(agg.maxAbs[Probe.normRelativeError.rawValue] <= 1e-12 || agg.maxAbs[Probe.normRelativeError.rawValue].isNaN)
      #expect(agg.maxAbs[Probe.zeroSum.rawValue] <= 1e-14 * max(1, agg.maxAbs[Probe.updateNorm.rawValue] * 10))
    }
  }

  @Test func sameSeedSameSeriesWhateverTheThreadCount() throws {
    let e = BanditExperiment(bandit: BanditSpec(kind: .gaussian, arms: 7), rule: .reinforceBaseline(rate: 0.01),
                             learningRate: 0.1, runs: 101, steps: 120, seed: 42)
    let one = try Self.series(e, threads: 1).map(\.csvRow)
    #expect(one == (try Self.series(e, threads: 2).map(\.csvRow)))
    #expect(one == (try Self.series(e, threads: 3).map(\.csvRow)))
    var other = e
    other.seed = 43
    #expect(one != (try Self.series(other, threads: 2).map(\.csvRow)))
  }

  /// Two arms under the exact expected gradient: `d = z₁ − z₂` follows
  /// `d' = 2Δμ σ(d)(1 − σ(d))`, i.e. `2 sinh d + 2d = 2 sinh d₀ + 2d₀ + 2Δμ t` with `t = ηn`.
  /// The discrete run approaches it as η → 0 (error shrinks ~10× when η does).
  @Test func expectedGradientFollowsTheODE() throws {
    let delta = 1.0, t = 3.0
    var target = 0.0  // solve 2 sinh d + 2 d = 2Δμ t by Newton
    for _ in 0..<60 { target -= (2 * sinh(target) + 2 * target - 2 * delta * t) / (2 * cosh(target) + 2) }
    var errors: [Double] = []
    for eta in [0.01, 0.001] {
      let e = BanditExperiment(bandit: BanditSpec(kind: .gaussian, arms: 2, means: [delta, 0]), rule: .expected,
                               learningRate: eta, runs: 1, steps: Int((t / eta).rounded()), seed: 1)
      let z = try e.run(threads: 1) { _ in true }[0]
      errors.append(abs((z[0] - z[1]) - target))
    }
    #expect(errors[1] < 2e-3)
    #expect(errors[0] / errors[1] > 7 && errors[0] / errors[1] < 13, "errors \(errors)")
  }

  /// REINFORCE's average one-step update over many runs equals the expected gradient
  /// `η p ⊙ (μ − p·μ)` within 5 Monte Carlo standard errors (computed here from the runs).
  @Test func reinforceAveragesToTheExpectedGradient() throws {
    let mu = [1.0, -0.5, 0.25, 2.0]
    let n = 200_000, eta = 0.1
    let e = BanditExperiment(bandit: BanditSpec(kind: .gaussian, arms: 4, means: mu), rule: .reinforce,
                             learningRate: eta, runs: n, steps: 1, seed: 7)
    let z = try e.run(threads: 2) { _ in true }
    let p = 0.25, baseline = mu.reduce(0, +) * p
    for j in 0..<4 {
      let samples = z.map { $0[j] }
      let mean = samples.reduce(0, +) / Double(n)
      let sd = (samples.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)).squareRoot()
      let expected = eta * p * (mu[j] - baseline)
      #expect(abs(mean - expected) < 5 * sd / Double(n).squareRoot(), "arm \(j): \(mean) vs \(expected)")
    }
  }

  /// Plain policy gradient lowers entropy on average: positive covariance of log p and the
  /// update (seeds 003/004); the first-order prediction tracks the measured change.
  @Test func entropyFallsAndThePredictionTracksIt() throws {
    let e = BanditExperiment(bandit: BanditSpec(kind: .gaussian, arms: 10), rule: .reinforceBaseline(rate: 0.01),
                             learningRate: 0.05, runs: 256, steps: 600, seed: 11)
    let s = try Self.series(e, threads: 2)
    let h = Probe.entropy.rawValue
    #expect(s.last!.mean[h] < s.first!.mean[h] - 0.5)
    let predicted = s.map { $0.mean[Probe.entropyChangePredicted.rawValue] }.reduce(0, +)
    let actual = s.map { $0.mean[Probe.entropyChangeActual.rawValue] }.reduce(0, +)
    #expect(abs(predicted - actual) < 0.1 * abs(actual), "Σ predicted \(predicted), Σ actual \(actual)")
  }

  @Test func badConfigurationsAreRefused() {
    let good = BanditExperiment(bandit: BanditSpec(kind: .gaussian, arms: 3), rule: .reinforce, learningRate: 0.1, runs: 2, steps: 2, seed: 0)
    var e = good; e.bandit.arms = 1
    #expect(throws: LabError("a bandit needs at least 2 arms, got 1")) { try e.validate() }
    e = good; e.learningRate = -0.1
    #expect(throws: LabError.self) { try e.validate() }
    e = good; e.runs = 0
    #expect(throws: LabError("the number of runs must be at least 1, got 0")) { try e.validate() }
    e = good; e.bandit = BanditSpec(kind: .bernoulli, arms: 2, means: [0.5, 1.5])
    #expect(throws: LabError("Bernoulli arm means must lie in [0, 1]")) { try e.validate() }
    #expect(UpdateRule(name: "sarsa") == nil)
  }
}
