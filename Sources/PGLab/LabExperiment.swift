import Dispatch
import ParallelMap
import RealModule
import SeededRandom
import PolicyLosses
import SoftmaxCore

/// N independent runs of any policy in any environment under any estimator, advantage,
/// surrogate, optimiser and schedule, with the probes of every step.
///
/// One step of a run: observe `B/G` contexts, sample `G` actions in each (a GRPO group),
/// draw rewards, form advantages, then take `epochs` optimiser steps along the gradient of the
/// surrogate (`Jᵀv` through the policy's backward pass, `v` the batch-mean logit gradient).
/// The probes look at the step's first context `x₀`: logits `z₀` before, `z₀'` after; the
/// measured change `Δz = z₀' − z₀` next to its logit-space prediction (what free logits would
/// have done with the same logit gradients under SGD: `Σ_e η_t Σ_{b at x₀} v_b^{(e)}`), their
/// norm ratio and cosine (the `J Jᵀ` and optimiser effect), the closed form
/// `η_t|A|√(1 − 2p_c + C)` (batches of one), the zero-sum residual, and `−Cov(log p, Δz)`
/// next to `H(z₀') − H(z₀)`.
///
/// Run `i` draws everything from `Xoshiro256StarStar(seed:stream: i)`; runs advance
/// independently (in chunks of steps, runs split over threads) and are aggregated in run
/// order, so the series is bit-identical for any thread count. For tabular bandits with the
/// plain rules, ``BanditExperiment`` is the vectorised equivalent (it agrees with this runner
/// to rounding; see the tests).
public struct LabExperiment: Sendable {
  /// The environment.
  public var environment: any Environment
  /// The policy.
  public var policy: any Policy
  /// Gradient estimator.
  public var estimator: GradientEstimator = .sampled
  /// Advantage of sampled actions.
  public var advantage: AdvantageEstimator = .reward
  /// Surrogate objective.
  public var surrogate: Surrogate = .policyGradient
  /// Optimiser.
  public var optimizer: Optimizer = .sgd
  /// Learning-rate schedule.
  public var schedule = LearningRateSchedule()
  /// Base step size `η > 0`.
  public var learningRate: Double
  /// Samples per step `B` (contexts × group size).
  public var batchSize = 1
  /// Samples per context `G` (a GRPO group); divides `B`.
  public var groupSize = 1
  /// Number of runs `N ≥ 1`.
  public var runs: Int
  /// Steps per run.
  public var steps: Int
  /// Experiment seed.
  public var seed: UInt64
  /// Whether steps report 10/50/90% quantiles over runs.
  public var quantiles = true
  /// With a `tokenLoss` surrogate: an adaptive entropy coefficient added to the loss's own
  /// (per run, updated after every optimiser step).
  public var adaptiveEntropy: AdaptiveEntropyCoefficient?
  /// Whether network and linear policies under the sampled estimator take the engine's
  /// batched step (the default) rather than the per-context reference step.
  public var batchedNetworkStep = true

  /// An experiment; the other settings keep their defaults (sampled REINFORCE, SGD, constant
  /// rate, batches of one).
  public init(environment: any Environment, policy: any Policy, learningRate: Double, runs: Int, steps: Int, seed: UInt64) {
    self.environment = environment
    self.policy = policy
    self.learningRate = learningRate
    self.runs = runs
    self.steps = steps
    self.seed = seed
  }

  /// Checks every field and their combinations, naming the bad one.
  public func validate() throws(LabError) {
    try environment.validate()
    try policy.validate(for: environment)
    try optimizer.validate()
    do { try schedule.validate() } catch { throw LabError("\(error)") }
    guard learningRate.isFinite, learningRate > 0 else { throw LabError("the learning rate must be a finite number > 0, got \(learningRate)") }
    guard runs >= 1 else { throw LabError("the number of runs must be at least 1, got \(runs)") }
    guard steps >= 1 else { throw LabError("the number of steps must be at least 1, got \(steps)") }
    guard batchSize >= 1 else { throw LabError("the batch size must be at least 1, got \(batchSize)") }
    guard groupSize >= 1, batchSize % groupSize == 0 else {
      throw LabError("the group size (\(groupSize)) must be ≥ 1 and divide the batch size (\(batchSize))")
    }
    switch advantage {
    case .reward: break
    case .runningMean(let rate), .learned(let rate):
      guard rate > 0, rate <= 1 else { throw LabError("the baseline rate must lie in (0, 1], got \(rate)") }
    case .leaveOneOut:
      guard groupSize >= 2 else { throw LabError("leave-one-out advantages (RLOO) need a group size ≥ 2, got \(groupSize)") }
    case .groupNormalized(_, let eps):
      guard groupSize >= 2 else { throw LabError("group-normalised advantages (GRPO) need a group size ≥ 2, got \(groupSize)") }
      guard eps >= 0, eps.isFinite else { throw LabError("the GRPO std epsilon must be ≥ 0, got \(eps)") }
    }
    if case .ppoClip(let epochs, let low, let high) = surrogate {
      guard epochs >= 1 else { throw LabError("PPO needs at least 1 epoch, got \(epochs)") }
      guard low > 0, low < 1, high > 0, high.isFinite else {
        throw LabError("PPO clip ranges must satisfy 0 < ε_low < 1 and ε_high > 0, got \(low), \(high)")
      }
    }
    if case .tokenLoss(let loss, let epochs) = surrogate {
      guard epochs >= 1 else { throw LabError("a loss needs at least 1 epoch, got \(epochs)") }
      do { try loss.validate() } catch { throw LabError("\(error)") }
      if case .groupNormalized = advantage {} else if loss.topEntropyRatio != nil, batchSize < 2 {
        throw LabError("the top-entropy mask needs a batch of more than one sample")
      }
    } else if adaptiveEntropy != nil {
      throw LabError("the adaptive entropy coefficient applies to a loss (tokenLoss surrogate)")
    }
    if let a = adaptiveEntropy { do { try a.validate() } catch { throw LabError("\(error)") } }
    if estimator != .sampled {
      guard surrogate == .policyGradient else { throw LabError("the \(estimator.rawValue) gradient has no PPO surrogate (it samples nothing)") }
    }
    if estimator == .natural {
      guard policy.isTabular, optimizer == .sgd else {
        throw LabError("the natural gradient is implemented for tabular policies with SGD only")
      }
    }
  }

  /// One run's state.
  final class Run: @unchecked Sendable {
    var rng: Xoshiro256StarStar
    var world: any EnvironmentInstance
    var theta: [Double]
    var optimizerState: OptimizerState
    var baseline = 0.0
    var value: [Double]
    /// The initial parameters: the reference policy of a KL penalty.
    let reference: [Double]
    var adaptiveEntropy: AdaptiveEntropyCoefficient?
    /// The contexts of the current step.
    var contextBatch: ContextBatch
    /// The engine's buffers, for runs the batched step serves.
    let batched: BatchedNetworkStep?

    init(_ experiment: LabExperiment, rng: Xoshiro256StarStar, world: any EnvironmentInstance) {
      self.rng = rng
      self.world = world
      theta = experiment.policy.initialParameters(&self.rng)
      reference = theta
      adaptiveEntropy = experiment.adaptiveEntropy
      optimizerState = OptimizerState(experiment.optimizer, count: theta.count)
      value = [Double](repeating: 0, count: experiment.environment.featureCount + 1)
      contextBatch = ContextBatch(featureCount: experiment.environment.featureCount, actionCount: experiment.environment.actionCount)
      batched = experiment.batchedNetworkStep ? BatchedNetworkStep(experiment) : nil
    }
  }

  /// Runs the experiment; `onStep` receives each step's aggregate in order and returns false
  /// to stop at once; `stopRequested` is polled between chunks of steps (the steps already
  /// computed are all delivered). Returns each run's final parameters.
  ///
  /// - Complexity: O(T·N·E·B·(P + K)) for `T` steps of `N` runs, `E` epochs, `B` samples per step, `P`
  ///   policy parameters and `K` actions (plus the loss's own cost with a `tokenLoss` surrogate), and
  ///   O(T·N log N) for the quantiles' sorts; memory O(N·(P + B·(d + K))) for `d` features.
  @discardableResult
  public func run(
    threads: Int, stopRequested: () -> Bool = { false }, onStep: (StepAggregate) -> Bool
  ) throws(LabError) -> [[Double]] {
    try validate()
    // Run i: stream (seed, i) draws its world, then its initial parameters, then its steps.
    var rngs = (0..<runs).map { Xoshiro256StarStar(seed: seed, stream: UInt64($0)) }
    let worlds = EnvironmentBatch(environment, rngs: &rngs)
    let states = (0..<runs).map { Run(self, rng: rngs[$0], world: worlds.instances[$0]) }
    let probeCount = Probe.allCases.count
    let workers = max(1, min(threads, runs))
    // Chunks of roughly 50M multiply-adds (≈ batch × epochs × (parameters + K) per run-step):
    // long enough to amortise the thread handoff, short enough for progress and Ctrl-C.
    let work = Double(runs) * Double(batchSize) * Double(surrogate.epochs) * Double(policy.parameterCount + environment.actionCount)
    let chunk = max(1, min(steps, 64, Int(5e7 / max(1, 4 * work))))
    var step = 0
    while step < steps, !stopRequested() {
      let count = min(chunk, steps - step), first = step
      // perRun[run][t][probe]: each run's steps of the chunk, runs on the workers.
      // A loss that failed (a non-finite value) stops the chunk: the first run's failure, in run order.
      let perRun = try parallelMap(count: runs, threads: workers) { i throws(LabError) -> [[Double]] in
        try (0..<count).map { t throws(LabError) -> [Double] in
          do { return try self.step(states[i], step: first + t) } catch { throw LabError("run \(i), step \(first + t): \(error)") }
        }
      }
      for t in 0..<count {
        let columns = (0..<probeCount).map { q in (0..<runs).map { perRun[$0][t][q] } }
        if !onStep(StepAggregate(step: first + t, values: columns, quantiles: quantiles)) { return states.map(\.theta) }
      }
      step += count
    }
    return states.map(\.theta)
  }

  /// One sample of a step.
  struct Sample {
    var context: Int, action: Int, reward: Double, oldLogProbability: Double, advantage = 0.0
  }

  /// Advances one run by one step and returns its probe values (indexed by `Probe.rawValue`):
  /// the engine's batched step for network and linear policies under the sampled estimator,
  /// else the per-context step.
  func step(_ run: Run, step t: Int) throws(LossError) -> [Double] {
    if let batched = run.batched { return try batchedStep(run, batched, step: t) }
    return try contextStep(run, step: t)
  }

  /// The per-context step: every context's logits and backward pass through the ``Policy``
  /// protocol, in `Double`.
  func contextStep(_ run: Run, step t: Int) throws(LossError) -> [Double] {
    let k = environment.actionCount
    let rate = learningRate * schedule.factor(step: t, of: steps)
    let contextCount = estimator == .sampled ? batchSize / groupSize : batchSize
    // All contexts first, then the samples of each (as the batched step draws them).
    run.world.observe(contextCount, into: &run.contextBatch, &run.rng)
    let contexts = (0..<contextCount).map { run.contextBatch.context($0) }
    let distributions = contexts.map { SoftmaxDistribution<Double>(logits: policy.logits(run.theta, $0)) }
    var samples: [Sample] = []
    if estimator == .sampled {
      for c in 0..<contextCount {
        for _ in 0..<groupSize {
          let action = distributions[c].probabilities.withUnsafeBufferPointer { Self.drawAction(run.rng.nextDouble(), $0.baseAddress!, k) }
          let reward = run.world.reward(contexts[c], action: action, &run.rng)
          samples.append(Sample(context: c, action: action, reward: reward, oldLogProbability: distributions[c].logProbabilities[action]))
        }
      }
    }
    assignAdvantages(&samples, run)
    // Probe context x₀: which contexts are the same as it (a tabular state shared by the batch).
    let probe = contexts[0], before = distributions[0]
    var predicted = [Double](repeating: 0, count: k)
    let thetaBefore = run.theta
    var applied = [Double](repeating: 0, count: run.theta.count)
    var rows = RowSoftmax(rows: contextCount, actions: k)
    for epoch in 0..<surrogate.epochs {
      // Logit gradients per context (batch mean), then Jᵀv through the policy.
      var current = distributions
      if epoch > 0 {
        current = contexts.map { SoftmaxDistribution<Double>(logits: policy.logits(run.theta, $0)) }
      }
      var v = [Double](repeating: 0, count: contextCount * k)
      switch estimator {
      case .sampled:
        for c in 0..<contextCount { rows.set(c, current[c]) }
        try v.withUnsafeMutableBufferPointer { b throws(LossError) in try sampledLogitGradient(samples, rows, run, into: b.baseAddress!) }
      case .expected, .natural:
        let scale = 1 / Double(contexts.count)
        for c in contexts.indices {
          let p = current[c].probabilities, mu = contexts[c].meanRewards
          let average = current[c].expectation(mu)
          for j in 0..<k { v[c * k + j] = scale * (estimator == .expected ? p[j] : 1) * (mu[j] - average) }
        }
      }
      var gradient = [Double](repeating: 0, count: run.theta.count)
      for c in contexts.indices {
        policy.accumulateGradient(run.theta, contexts[c], logitGradient: Array(v[(c * k)..<((c + 1) * k)]), into: &gradient)
        if run.contextBatch.same(c, 0) { for j in 0..<k { predicted[j] += rate * v[c * k + j] } }
      }
      run.optimizerState.step(optimizer, theta: &run.theta, gradient: gradient, learningRate: rate, applied: &applied)
      if run.adaptiveEntropy != nil, !samples.isEmpty { run.adaptiveEntropy!.update(meanEntropy: rows.meanEntropy(samples)) }
    }
    run.world.endStep(&run.rng)
    let meanReward = samples.isEmpty
      ? contexts.indices.reduce(0.0) { $0 + distributions[$1].expectation(contexts[$1].meanRewards) } / Double(contexts.count)
      : samples.reduce(0.0) { $0 + $1.reward } / Double(samples.count)
    return probeValues(before: before, probe: probe, delta: policy.logitChange(at: thetaBefore, step: applied, in: probe),
                       predicted: predicted, samples: samples, meanReward: meanReward, rate: rate)
  }
}
