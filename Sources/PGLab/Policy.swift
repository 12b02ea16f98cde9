import SeededRandom

/// A policy producing logits `z(θ; x) ∈ ℝᴷ` from parameters `θ` and a context; the action
/// distribution is `softmax(z)`.
///
/// A policy is stateless: parameters live with the run (flat `[Double]`), so one description
/// serves many runs. Every policy exposes its logits, the gradient of any logit-space objective
/// pulled back to its parameters (`Jᵀv`, its backward pass), and — by ``logitChange(at:step:in:)``
/// — the logit change an update actually caused.
public protocol Policy: Sendable {
  /// Number of actions `K`.
  var actionCount: Int { get }
  /// Number of parameters.
  var parameterCount: Int { get }
  /// Whether the logits are the parameters themselves (one logit vector per state), so that
  /// a parameter step *is* the logit step.
  var isTabular: Bool { get }
  /// Whether `z(θ; x)` is linear in `θ` (no offset), so that the logit change of a step `Δθ`
  /// is exactly `z(Δθ; x)`, free of the cancellation in `z(θ + Δθ) − z(θ)`.
  var isLinearInParameters: Bool { get }
  /// Checks that the policy can act in `environment` (feature count, discrete states).
  func validate(for environment: any Environment) throws(LabError)
  /// Initial parameters, drawn from the run's stream where random.
  func initialParameters(_ rng: inout Xoshiro256StarStar) -> [Double]
  /// `z(θ; x)`.
  func logits(_ parameters: [Double], _ context: Context) -> [Double]
  /// `g += J(θ; x)ᵀ v` with `J = ∂z/∂θ`: the gradient of `vᵀz(θ; x)` (backward pass).
  func accumulateGradient(_ parameters: [Double], _ context: Context, logitGradient v: [Double], into g: inout [Double])
}

extension Policy {
  /// `z(θ + Δθ; x) − z(θ; x)`: the logit change the parameter update `Δθ` caused in context
  /// `x` (computed as `z(Δθ; x)` for policies linear in their parameters).
  public func logitChange(at theta: [Double], step: [Double], in context: Context) -> [Double] {
    if isLinearInParameters { return logits(step, context) }
    var after = theta
    for i in after.indices { after[i] += step[i] }
    let a = logits(theta, context), b = logits(after, context)
    return (0..<actionCount).map { b[$0] - a[$0] }
  }
}

/// Tabular softmax: one free logit vector per state, `z(θ; s) = θ_s`, initialised to zero
/// (the uniform policy). `Jᵀv` puts `v` in row `s`.
public struct TabularPolicy: Policy {
  /// Number of states `S` and actions `K`.
  public let states: Int, actions: Int
  /// A tabular policy over `states × actions` logits.
  public init(states: Int, actions: Int) {
    self.states = states
    self.actions = actions
  }
  /// `K`, the actions of every state.
  public var actionCount: Int { actions }
  /// `S·K`: one logit per state and action.
  public var parameterCount: Int { states * actions }
  /// true: the parameters are the logits.
  public var isTabular: Bool { true }
  /// true: `z(θ; s) = θ_s`.
  public var isLinearInParameters: Bool { true }
  /// Checks that the environment has discrete states, `S` of them, and `K` actions.
  public func validate(for environment: any Environment) throws(LabError) {
    guard let s = environment.stateCount else {
      throw LabError("a tabular policy needs discrete states: give the contextual bandit a finite number of contexts")
    }
    guard s == states, environment.actionCount == actions else {
      throw LabError("tabular policy of \(states)×\(actions) logits for an environment of \(s) states and \(environment.actionCount) actions")
    }
  }
  /// Zeros: the uniform policy in every state.
  public func initialParameters(_ rng: inout Xoshiro256StarStar) -> [Double] { [Double](repeating: 0, count: parameterCount) }
  /// `z = θ_s`, row `s` of the table.
  public func logits(_ parameters: [Double], _ context: Context) -> [Double] {
    Array(parameters[(context.state * actions)..<((context.state + 1) * actions)])
  }
  /// `g_s += v` (row `s`; the other rows are untouched).
  public func accumulateGradient(_ parameters: [Double], _ context: Context, logitGradient v: [Double], into g: inout [Double]) {
    let base = context.state * actions
    for a in 0..<actions { g[base + a] += v[a] }
  }
}

/// Linear softmax: `z = W x + b` with `W ∈ ℝ^{K×d}`, `b ∈ ℝᴷ` (parameters `W` row-major, then
/// `b`), initialised to zero. `Jᵀv = (v xᵀ, v)`.
public struct LinearPolicy: Policy {
  /// Feature dimension `d` and actions `K`.
  public let features: Int, actions: Int
  /// A linear policy.
  public init(features: Int, actions: Int) {
    self.features = features
    self.actions = actions
  }
  /// `K`, the number of actions.
  public var actionCount: Int { actions }
  /// `K·(d + 1)`: `W` and `b`.
  public var parameterCount: Int { actions * (features + 1) }
  /// false: the logits depend on the features.
  public var isTabular: Bool { false }
  /// true: `z = W x + b` is linear in `θ = (W, b)`.
  public var isLinearInParameters: Bool { true }
  /// Checks the environment's `d` and `K`.
  public func validate(for environment: any Environment) throws(LabError) {
    guard environment.featureCount == features, environment.actionCount == actions else {
      throw LabError("linear policy for \(features) features and \(actions) actions in an environment of \(environment.featureCount) features and \(environment.actionCount) actions")
    }
  }
  /// Zeros: the uniform policy in every context.
  public func initialParameters(_ rng: inout Xoshiro256StarStar) -> [Double] { [Double](repeating: 0, count: parameterCount) }
  /// `z = W x + b`.
  public func logits(_ parameters: [Double], _ context: Context) -> [Double] {
    let d = features, x = context.features, bias = actions * d
    return (0..<actions).map { a in
      var s = parameters[bias + a]
      for i in 0..<d { s += parameters[a * d + i] * x[i] }
      return s
    }
  }
  /// `g += (v xᵀ, v)`: `∂/∂W = v xᵀ`, `∂/∂b = v`.
  public func accumulateGradient(_ parameters: [Double], _ context: Context, logitGradient v: [Double], into g: inout [Double]) {
    let d = features, x = context.features, bias = actions * d
    for a in 0..<actions {
      for i in 0..<d { g[a * d + i] += v[a] * x[i] }
      g[bias + a] += v[a]
    }
  }
}
