import RealModule
import SeededRandom

/// What a run sees on one step: a discrete state (for tabular policies), a feature vector
/// (for linear and network policies) and the mean reward of every action in it (for regret,
/// the exact expected gradient, and rewards).
public struct Context: Sendable, Equatable {
  /// State index in `0 ..< stateCount` (0 when the environment has a single state).
  public var state: Int
  /// Features `x ∈ ℝᵈ`.
  public var features: [Double]
  /// `μ(x, a)` for every action `a`.
  public var meanRewards: [Double]

  /// A context.
  public init(state: Int, features: [Double], meanRewards: [Double]) {
    self.state = state
    self.features = features
    self.meanRewards = meanRewards
  }
}

/// An environment of the lab: each step a run observes a context, takes one of `actionCount`
/// actions, and receives a reward whose mean is `context.meanRewards[action]`.
///
/// An environment is a description; ``makeInstance(_:)`` draws one run's world (arm means,
/// reward weights) from that run's stream, so that many independent runs can be served at once
/// (see ``EnvironmentBatch``).
public protocol Environment: Sendable {
  /// Number of actions `K ≥ 2`.
  var actionCount: Int { get }
  /// Feature dimension `d` of the contexts.
  var featureCount: Int { get }
  /// Number of discrete states, or nil when contexts are continuous (no tabular policy).
  var stateCount: Int? { get }
  /// Checks the description, naming the bad field.
  func validate() throws(LabError)
  /// One run's world, drawn from the run's stream.
  func makeInstance(_ rng: inout Xoshiro256StarStar) -> any EnvironmentInstance
}

/// One run's world.
public protocol EnvironmentInstance: Sendable {
  /// Draws the next context.
  mutating func observe(_ rng: inout Xoshiro256StarStar) -> Context
  /// Draws the reward of `action` in `context` (mean `context.meanRewards[action]`).
  func reward(_ context: Context, action: Int, _ rng: inout Xoshiro256StarStar) -> Double
  /// Draws `count` contexts into `batch`, consuming the stream as `count` calls of
  /// ``observe(_:)`` (a default makes those calls; an environment may draw faster).
  mutating func observe(_ count: Int, into batch: inout ContextBatch, _ rng: inout Xoshiro256StarStar)
  /// The reward of `action` in row `c` of `batch`, drawn as ``reward(_:action:_:)`` draws it.
  func reward(_ batch: ContextBatch, row c: Int, action: Int, _ rng: inout Xoshiro256StarStar) -> Double
  /// Called once after every step (non-stationary worlds move here).
  mutating func endStep(_ rng: inout Xoshiro256StarStar)
}

/// The worlds of N independent runs, served together: run `i`'s world is drawn from run `i`'s
/// stream, and every call names the run, so a runner can hand disjoint runs to threads.
public struct EnvironmentBatch: Sendable {
  /// The environment description.
  public let environment: any Environment
  /// One world per run.
  public var instances: [any EnvironmentInstance]

  /// Draws the worlds of runs `0 ..< rngs.count`, each from its own stream.
  public init(_ environment: any Environment, rngs: inout [Xoshiro256StarStar]) {
    self.environment = environment
    instances = rngs.indices.map { environment.makeInstance(&rngs[$0]) }
  }

  /// Run `i`'s next context.
  public mutating func observe(run i: Int, _ rng: inout Xoshiro256StarStar) -> Context {
    instances[i].observe(&rng)
  }
}

/// A K-armed bandit as an ``Environment``: one state, the constant feature `x = (1)`.
public struct BanditEnvironment: Environment {
  /// The arms.
  public var spec: BanditSpec
  /// A bandit environment.
  public init(_ spec: BanditSpec) { self.spec = spec }
  /// `K`, the number of arms.
  public var actionCount: Int { spec.arms }
  /// 1: the constant feature `x = (1)`.
  public var featureCount: Int { 1 }
  /// 1: a bandit has one state.
  public var stateCount: Int? { 1 }
  /// Checks the arms (``BanditSpec/validate()``).
  public func validate() throws(LabError) { try spec.validate() }
  /// One run's bandit: its arm means, fixed or drawn from `rng` (``BanditSpec/drawMeans(_:)``).
  public func makeInstance(_ rng: inout Xoshiro256StarStar) -> any EnvironmentInstance {
    Instance(spec: spec, means: spec.drawMeans(&rng))
  }

  struct Instance: EnvironmentInstance {
    let spec: BanditSpec
    var means: [Double]
    mutating func observe(_ rng: inout Xoshiro256StarStar) -> Context {
      Context(state: 0, features: [1], meanRewards: means)
    }
    func reward(_ context: Context, action: Int, _ rng: inout Xoshiro256StarStar) -> Double {
      spec.reward(mean: context.meanRewards[action], &rng)
    }
    func reward(_ batch: ContextBatch, row c: Int, action: Int, _ rng: inout Xoshiro256StarStar) -> Double {
      spec.reward(mean: batch.meanRewards[c * batch.actionCount + action], &rng)
    }
    mutating func endStep(_ rng: inout Xoshiro256StarStar) {
      guard spec.drift > 0 else { return }
      for j in means.indices {
        means[j] += spec.drift * rng.nextGaussian()
        if spec.kind == .bernoulli { means[j] = min(1, max(0, means[j])) }
      }
    }
  }
}

/// A contextual bandit: contexts `x ~ N(0, I_d)` (or, with `states = S`, one of S contexts
/// drawn once per run and visited uniformly), `K` actions, Gaussian reward noise `σ`, and
/// per-run random mean rewards:
///
/// - `linear`: `μ(x, a) = w_aᵀx` with `w_a ~ N(0, I/d)`;
/// - `nonlinear`: `μ(x, a) = Σ_h u_{ah} tanh(v_hᵀx)`, `H = 16` hidden units, `v_h ~ N(0, 4I/d)`,
///   `u_{ah} ~ N(0, 1/H)` — not representable by a linear policy's logits.
public struct ContextualBandit: Environment {
  /// How the mean reward depends on the context.
  public enum RewardModel: String, Sendable, CaseIterable {
    /// `linear`: `μ(x, a) = w_aᵀx`; `nonlinear`: `μ(x, a) = Σ_h u_{ah} tanh(v_hᵀx)` (see the type).
    case linear, nonlinear
  }

  /// Feature dimension `d ≥ 1`.
  public var dimension: Int
  /// Number of actions `K ≥ 2`.
  public var actions: Int
  /// Mean-reward model.
  public var model: RewardModel
  /// Reward noise `σ ≥ 0`.
  public var noise: Double
  /// A finite set of S contexts per run (tabular policies need it), or nil for fresh contexts.
  public var states: Int?

  /// A contextual bandit description.
  public init(dimension: Int, actions: Int, model: RewardModel = .linear, noise: Double = 1, states: Int? = nil) {
    self.dimension = dimension
    self.actions = actions
    self.model = model
    self.noise = noise
    self.states = states
  }

  /// `K`, the number of actions.
  public var actionCount: Int { actions }
  /// `d`, the context dimension.
  public var featureCount: Int { dimension }
  /// `S` with a finite set of contexts, else nil (fresh contexts every step).
  public var stateCount: Int? { states }
  static let hidden = 16

  /// Checks `K ≥ 2`, `d ≥ 1`, a finite `σ ≥ 0` and `S ≥ 1`.
  public func validate() throws(LabError) {
    guard actions >= 2 else { throw LabError("a contextual bandit needs at least 2 actions, got \(actions)") }
    guard dimension >= 1 else { throw LabError("the context dimension must be at least 1, got \(dimension)") }
    guard noise >= 0, noise.isFinite else { throw LabError("reward noise must be a finite number ≥ 0, got \(noise)") }
    if let states, states < 1 { throw LabError("the number of contexts must be at least 1, got \(states)") }
  }

  /// One run's world: its reward weights (and, with `states`, its S contexts `x ~ N(0, I_d)`) drawn
  /// from `rng`.
  public func makeInstance(_ rng: inout Xoshiro256StarStar) -> any EnvironmentInstance {
    let d = dimension
    var weights: [Double] = [], inner: [Double] = []
    switch model {
    case .linear:
      weights = (0..<(actions * d)).map { _ in rng.nextGaussian() / Double(d).squareRoot() }
    case .nonlinear:
      inner = (0..<(Self.hidden * d)).map { _ in 2 * rng.nextGaussian() / Double(d).squareRoot() }
      weights = (0..<(actions * Self.hidden)).map { _ in rng.nextGaussian() / Double(Self.hidden).squareRoot() }
    }
    var instance = Instance(spec: self, weights: weights, inner: inner, fixed: [])
    if let states {
      instance.fixed = (0..<states).map { s in
        let x = (0..<d).map { _ in rng.nextGaussian() }
        return Context(state: s, features: x, meanRewards: instance.means(x))
      }
    }
    return instance
  }

  struct Instance: EnvironmentInstance {
    let spec: ContextualBandit
    let weights: [Double], inner: [Double]
    /// `weights` and `inner` transposed (`[i·K' + a]`, `[i·H' + u]`, rows padded to 8), for
    /// the batched draw.
    let weightsByFeature: [Double], innerByFeature: [Double]
    var fixed: [Context]

    init(spec: ContextualBandit, weights: [Double], inner: [Double], fixed: [Context]) {
      self.spec = spec
      self.weights = weights
      self.inner = inner
      self.fixed = fixed
      let columns = spec.model == .linear ? spec.dimension : ContextualBandit.hidden
      weightsByFeature = Instance.transpose(weights, rows: spec.actions, columns: columns)
      innerByFeature = Instance.transpose(inner, rows: inner.isEmpty ? 0 : ContextualBandit.hidden, columns: spec.dimension)
    }

    /// The transpose of a row-major `rows × columns` matrix, its rows padded with zeros to
    /// a multiple of 8 values.
    static func transpose(_ m: [Double], rows: Int, columns: Int) -> [Double] {
      let padded = paddedWidth(rows)
      var t = [Double](repeating: 0, count: columns * padded)
      for r in 0..<rows { for c in 0..<columns { t[c * padded + r] = m[r * columns + c] } }
      return t
    }

    func means(_ x: [Double]) -> [Double] {
      let d = spec.dimension
      switch spec.model {
      case .linear:
        return (0..<spec.actions).map { a in (0..<d).reduce(0.0) { $0 + weights[a * d + $1] * x[$1] } }
      case .nonlinear:
        let h = (0..<ContextualBandit.hidden).map { u in Double.tanh((0..<d).reduce(0.0) { $0 + inner[u * d + $1] * x[$1] }) }
        let hidden = ContextualBandit.hidden
        return (0..<spec.actions).map { a in (0..<hidden).reduce(0.0) { $0 + weights[a * hidden + $1] * h[$1] } }
      }
    }

    mutating func observe(_ rng: inout Xoshiro256StarStar) -> Context {
      if !fixed.isEmpty { return fixed[rng.nextInt(below: fixed.count)] }
      let x = (0..<spec.dimension).map { _ in rng.nextGaussian() }
      return Context(state: 0, features: x, meanRewards: means(x))
    }

    func reward(_ context: Context, action: Int, _ rng: inout Xoshiro256StarStar) -> Double {
      context.meanRewards[action] + spec.noise * rng.nextGaussian()
    }

    mutating func observe(_ count: Int, into batch: inout ContextBatch, _ rng: inout Xoshiro256StarStar) {
      drawBatch(count, into: &batch, &rng)
    }

    func reward(_ batch: ContextBatch, row c: Int, action: Int, _ rng: inout Xoshiro256StarStar) -> Double {
      batch.meanRewards[c * spec.actions + action] + spec.noise * rng.nextGaussian()
    }

    mutating func endStep(_ rng: inout Xoshiro256StarStar) {}
  }
}
