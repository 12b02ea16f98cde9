import Foundation
import PolicyLosses
import SeededRandom
import SoftmaxCore
import VectorMath

/// A policy the batched engine evaluates: a ``NetworkShape`` whose parameters are the
/// policy's, layer by layer, with each `W_l` stored `out × in` (the policy's layout) where
/// the engine stores `in × out`; biases in the same places.
protocol NetworkPolicy: Policy {
  /// The network of the policy (dense input of the context features).
  var networkShape: NetworkShape { get }
}

extension NetworkPolicy {
  /// Calls `body(policyIndex, engineIndex)` for every parameter: `W_l[i][j]` (out `i`, in
  /// `j`) sits at `o + i·n_in + j` in the policy and `o + j·n_out + i` in the engine; biases
  /// at the same index in both.
  func forEachParameter(_ body: (Int, Int) -> Void) {
    let shape = networkShape, w = shape.widths
    for l in 0..<shape.layerCount {
      let o = shape.weightOffset(l), nIn = w[l], nOut = w[l + 1], b = shape.biasOffset(l)
      for i in 0..<nOut {
        for j in 0..<nIn { body(o + i * nIn + j, o + j * nOut + i) }
        body(b + i, b + i)
      }
    }
  }

  /// Writes `θ` (policy layout) into `out` in the engine's layout, as `Float`.
  func engineParameters(_ theta: [Double], into out: UnsafeMutablePointer<Float>) {
    theta.withUnsafeBufferPointer { t in forEachParameter { out[$1] = Float(t[$0]) } }
  }

  /// Writes an engine-layout gradient into `g` in the policy's layout, as `Double`.
  func policyGradient(_ engine: UnsafePointer<Float>, into g: inout [Double]) {
    g.withUnsafeMutableBufferPointer { out in forEachParameter { out[$0] = Double(engine[$1]) } }
  }
}

extension MLPPolicy: NetworkPolicy {
  /// `d → h₁ → … → K` with the policy's activation.
  var networkShape: NetworkShape {
    NetworkShape(input: .dense(features: features), hidden: hidden, outputs: actions, activation: activation == .tanh ? .tanh : .relu)
  }
}

extension LinearPolicy: NetworkPolicy {
  /// `d → K`, no hidden layer.
  var networkShape: NetworkShape { NetworkShape(input: .dense(features: features), hidden: [], outputs: actions, activation: .identity) }
}

/// The softmax of every context of a step, flat `[c·K + j]`: logits, probabilities,
/// log-probabilities, and `[c]` entropies.
struct RowSoftmax {
  let rows: Int, actions: Int
  var logits: [Double], probabilities: [Double], logProbabilities: [Double], entropies: [Double]

  init(rows: Int, actions: Int) {
    self.rows = rows
    self.actions = actions
    logits = [Double](repeating: 0, count: rows * actions)
    probabilities = logits
    logProbabilities = logits
    entropies = [Double](repeating: 0, count: rows)
  }

  /// Row `c` from a distribution.
  mutating func set(_ c: Int, _ d: SoftmaxDistribution<Double>) {
    for j in 0..<actions {
      logits[c * actions + j] = d.logits[j]
      probabilities[c * actions + j] = d.probabilities[j]
      logProbabilities[c * actions + j] = d.logProbabilities[j]
    }
    entropies[c] = d.entropy
  }

  /// Every row from `Float` logits (`rows × K`, row stride `stride`), in `Double`:
  /// `u = z − max z`, `s = Σ e^u`, `log p = u − log s`, `p = e^u / s`, `H = log s − Σ p u`;
  /// the exponentials on 8 lanes.
  mutating func set(_ z: UnsafePointer<Float>, stride: Int, rows n: Int) {
    let k = actions, padded = (k + 7) / 8 * 8
    withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * padded) { buffer in
      let u = buffer.baseAddress!, e = u + padded
      for j in k..<padded { u[j] = -1000 }  // e^−1000 = 0: the padding adds nothing
      logits.withUnsafeMutableBufferPointer { lg in
        probabilities.withUnsafeMutableBufferPointer { pr in
          logProbabilities.withUnsafeMutableBufferPointer { lp in
            entropies.withUnsafeMutableBufferPointer { h in
              for c in 0..<n {
                let row = z + c * stride, base = c * k
                var m = -Double.infinity
                for j in 0..<k {
                  lg[base + j] = Double(row[j])
                  m = max(m, lg[base + j])
                }
                for j in 0..<k { u[j] = lg[base + j] - m }
                Self.exponentials(u, e, padded)
                var sum = 0.0
                for j in 0..<k { sum += e[j] }
                let logS = Foundation.log(sum), inverse = 1 / sum
                var cross = 0.0
                for j in 0..<k {
                  let p = e[j] * inverse
                  pr[base + j] = p
                  lp[base + j] = u[j] - logS
                  cross += p * u[j]
                }
                h[c] = logS - cross
              }
            }
          }
        }
      }
    }
  }

  /// `e[j] = exp(u[j])` for `j < n`, `n` a multiple of 8, on 8 lanes.
  @inline(__always)
  static func exponentials(_ u: UnsafePointer<Double>, _ e: UnsafeMutablePointer<Double>, _ n: Int) {
    for j in Swift.stride(from: 0, to: n, by: 8) {
      UnsafeMutableRawPointer(e + j).storeBytes(of: vectorExp(UnsafeRawPointer(u + j).loadUnaligned(as: SIMD8<Double>.self)), as: SIMD8<Double>.self)
    }
  }

  /// The mean entropy of the samples' contexts.
  func meanEntropy(_ samples: [LabExperiment.Sample]) -> Double {
    samples.reduce(0.0) { $0 + entropies[$1.context] } / Double(samples.count)
  }
}

/// The buffers of the batched step of one run: the engine's workspace, the parameters in
/// the engine's layout, the step's input rows, softmax rows and logit gradients.
final class BatchedNetworkStep: @unchecked Sendable {
  let policy: any NetworkPolicy
  let workspace: NetworkWorkspace
  let input: Matrix, outputGradient: Matrix
  var parameters: [Float], gradient: [Float]
  var policyGradient: [Double]
  var softmax: RowSoftmax
  var samples: [LabExperiment.Sample] = []
  /// `v` of the step in `Double` (`rows × K`), and which contexts are the probe's.
  let logitGradient: ScratchBuffer
  var sameAsProbe: [Bool]

  /// The buffers for `experiment`, or nil when the per-context step must serve it (a policy
  /// that is not a network, or an expected or natural gradient).
  init?(_ experiment: LabExperiment) {
    guard experiment.estimator == .sampled, let policy = experiment.policy as? any NetworkPolicy else { return nil }
    self.policy = policy
    let shape = policy.networkShape
    let rows = experiment.batchSize / experiment.groupSize
    workspace = NetworkWorkspace(shape, maxRows: rows)
    input = Matrix(rows: rows, columns: shape.input.features)
    outputGradient = Matrix(rows: rows, columns: shape.outputs)
    parameters = [Float](repeating: 0, count: shape.parameterCount)
    gradient = parameters
    policyGradient = [Double](repeating: 0, count: shape.parameterCount)
    softmax = RowSoftmax(rows: rows, actions: shape.outputs)
    samples.reserveCapacity(experiment.batchSize)
    logitGradient = ScratchBuffer(rows * shape.outputs)
    sameAsProbe = [Bool](repeating: false, count: rows)
  }

  /// The logits of every context at `theta` into ``softmax``.
  func forward(_ theta: [Double], rows: Int) {
    parameters.withUnsafeMutableBufferPointer { policy.engineParameters(theta, into: $0.baseAddress!) }
    let z = parameters.withUnsafeBufferPointer { workspace.forward($0.baseAddress!, .dense(input.view), rows: rows) }
    softmax.set(z.base, stride: z.stride, rows: rows)
  }

  /// `Jᵀv` (policy layout) at the parameters of the last forward pass, for `v` in ``outputGradient``.
  func backward(rows: Int) {
    parameters.withUnsafeBufferPointer { p in
      gradient.withUnsafeMutableBufferPointer { g in
        workspace.backward(p.baseAddress!, .dense(input.view), outputGradient: MatrixView(outputGradient.base, rows: rows, columns: outputGradient.columns),
                           into: g.baseAddress!)
      }
    }
    gradient.withUnsafeBufferPointer { policy.policyGradient($0.baseAddress!, into: &policyGradient) }
  }
}

extension LabExperiment {
  /// The batched step of a network or linear policy under the sampled estimator: the step's
  /// contexts in one batch, each epoch one forward pass (`Float`, the engine's products) and
  /// one backward pass of the batch-mean logit gradient; sampling, advantages, the
  /// surrogate's logit gradient, the optimiser and the probes as in the per-context step
  /// (the probes' logits at `x₀` in `Double` through the ``Policy``).
  func batchedStep(_ run: Run, _ s: BatchedNetworkStep, step t: Int) throws(LossError) -> [Double] {
    let k = environment.actionCount, d = environment.featureCount
    let rate = learningRate * schedule.factor(step: t, of: steps)
    let contextCount = batchSize / groupSize
    run.world.observe(contextCount, into: &run.contextBatch, &run.rng)
    let contexts = run.contextBatch  // one reference for the step (no copy per sample)
    contexts.features.withUnsafeBufferPointer { x in
      for i in 0..<(contextCount * d) { s.input.base[i] = Float(x[i]) }
    }
    for c in 0..<contextCount { s.sameAsProbe[c] = contexts.same(c, 0) }
    s.forward(run.theta, rows: contextCount)
    s.samples.removeAll(keepingCapacity: true)
    var rng = run.rng
    let world = run.world
    s.softmax.probabilities.withUnsafeBufferPointer { p in
      for c in 0..<contextCount {
        for _ in 0..<groupSize {
          let action = Self.drawAction(rng.nextDouble(), p.baseAddress! + c * k, k)
          let reward = world.reward(contexts, row: c, action: action, &rng)
          s.samples.append(Sample(context: c, action: action, reward: reward, oldLogProbability: s.softmax.logProbabilities[c * k + action]))
        }
      }
    }
    run.rng = rng
    assignAdvantages(&s.samples, run)
    var predicted = [Double](repeating: 0, count: k)
    let thetaBefore = run.theta
    var applied = [Double](repeating: 0, count: run.theta.count)
    for epoch in 0..<surrogate.epochs {
      if epoch > 0 { s.forward(run.theta, rows: contextCount) }
      let v = s.logitGradient.base, out = s.outputGradient.base
      try sampledLogitGradient(s.samples, s.softmax, run, into: v)
      for i in 0..<(contextCount * k) { out[i] = Float(v[i]) }
      for c in 0..<contextCount where s.sameAsProbe[c] { for j in 0..<k { predicted[j] += rate * v[c * k + j] } }
      s.backward(rows: contextCount)
      run.optimizerState.step(optimizer, theta: &run.theta, gradient: s.policyGradient, learningRate: rate, applied: &applied)
      if run.adaptiveEntropy != nil, !s.samples.isEmpty { run.adaptiveEntropy!.update(meanEntropy: s.softmax.meanEntropy(s.samples)) }
    }
    run.world.endStep(&run.rng)
    let probe = contexts.context(0)
    let before = SoftmaxDistribution<Double>(logits: policy.logits(thetaBefore, probe))
    let meanReward = s.samples.reduce(0.0) { $0 + $1.reward } / Double(s.samples.count)
    return probeValues(before: before, probe: probe, delta: policy.logitChange(at: thetaBefore, step: applied, in: probe),
                       predicted: predicted, samples: s.samples, meanReward: meanReward, rate: rate)
  }
}
