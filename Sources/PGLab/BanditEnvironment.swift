import SeededRandom

/// A K-armed bandit: the arm means of one run and how rewards are drawn around them.
///
/// Gaussian arms give `r ~ N(μ_a, σ²)`; Bernoulli arms give `r ∈ {0, 1}` with `P(r = 1) = μ_a`.
/// With `drawnMeans` each run draws its own means from its own stream (`N(0, 1)` for
/// Gaussian arms, `U(0, 1)` for Bernoulli arms), as `shared/bench/bandit_pg.py` does.
public struct BanditSpec: Sendable, Equatable {
  /// The reward distribution of an arm.
  public enum Kind: String, Sendable, CaseIterable {
    /// `r ~ N(μ_a, σ²)`.
    case gaussian = "gaussian-bandit"
    /// `r ∈ {0, 1}` with `P(r = 1) = μ_a`.
    case bernoulli = "bernoulli-bandit"
  }

  /// Reward distribution.
  public var kind: Kind
  /// Number of arms `K ≥ 2`.
  public var arms: Int
  /// Fixed arm means (the same for every run), or nil to draw them per run.
  public var means: [Double]?
  /// Reward noise `σ` of Gaussian arms.
  public var noise: Double
  /// Non-stationary drift: after every step each arm mean moves by `σ_drift · N(0, 1)`
  /// (a Gaussian random walk; Bernoulli means are clamped to [0, 1]). Zero: stationary.
  public var drift: Double

  /// A bandit description.
  public init(kind: Kind, arms: Int, means: [Double]? = nil, noise: Double = 1, drift: Double = 0) {
    self.kind = kind
    self.arms = arms
    self.means = means
    self.noise = noise
    self.drift = drift
  }

  /// Checks the description: `K ≥ 2`, means of the right count and range, `σ ≥ 0`.
  public func validate() throws(LabError) {
    guard arms >= 2 else { throw LabError("a bandit needs at least 2 arms, got \(arms)") }
    if let means {
      guard means.count == arms else { throw LabError("\(means.count) arm means given for \(arms) arms") }
      guard means.allSatisfy(\.isFinite) else { throw LabError("arm means must be finite") }
      if kind == .bernoulli, !means.allSatisfy({ $0 >= 0 && $0 <= 1 }) {
        throw LabError("Bernoulli arm means must lie in [0, 1]")
      }
    }
    guard noise >= 0, noise.isFinite else { throw LabError("reward noise must be a finite number ≥ 0, got \(noise)") }
    guard drift >= 0, drift.isFinite else { throw LabError("the drift must be a finite number ≥ 0, got \(drift)") }
  }

  /// The arm means of one run: the fixed ones, or drawn from `rng`.
  public func drawMeans(_ rng: inout Xoshiro256StarStar) -> [Double] {
    if let means { return means }
    switch kind {
    case .gaussian: return (0..<arms).map { _ in rng.nextGaussian() }
    case .bernoulli: return (0..<arms).map { _ in rng.nextDouble() }
    }
  }

  /// One reward of arm `a` with mean `mean`.
  @inlinable
  public func reward(mean: Double, _ rng: inout Xoshiro256StarStar) -> Double {
    switch kind {
    case .gaussian: return mean + noise * rng.nextGaussian()
    case .bernoulli: return rng.nextDouble() < mean ? 1 : 0
    }
  }
}
