import DenseNetworks
import Foundation
import PolicyLosses
import RealModule
import SeededRandom
import SoftmaxCore

/// One generated response with what RL needs per token.
public struct Rollout: Sendable {
  /// The prompt answered.
  public var prompt: Prompt
  /// The `L` sampled tokens, the digits of the answer.
  public var tokens: [Int]
  /// Per token: active features, logits `z` (at temperature 1 before the update), the
  /// log-prob `log π(token)` and the entropy `H(π) = −Σ_j π_j log π_j` of `π = softmax(z/T)`.
  public var features: [[Int]], logits: [[Float]], logProbs: [Double], entropies: [Double]
  /// Whether the verifier accepts the answer: the reward is `r = 1` if so, else 0.
  public var correct: Bool
}

/// Settings of an RLVR run.
public struct RLVRSettings: Sendable {
  /// The task (``SequenceTask/Kind``).
  public var task: SequenceTask.Kind = .skills
  /// The hidden operations of `hidden-ops` and `skills` (``SequenceTask/hardOps``): the last
  /// `hardOps` of the 10.
  public var hardOps = 6
  /// The teacher's accuracy on the skills it knows.
  public var teacherAccuracy = 0.6
  /// How often the teacher gets a hidden operation right (``SequenceTask/teacherHiddenAccuracy``):
  /// 0.05, so that with the prompts where `a + b` agrees with the rule it is right about 8% of
  /// the time there, as the numpy prototype's teacher was. With 0 the hidden skills are out of
  /// reach (the base's pass@8 on them 0.04) and no method learns them.
  public var teacherHiddenAccuracy = 0.05
  /// The width `H` of both hidden layers of the policy.
  public var hidden = 128
  /// Supervised pre-training: steps of `sftBatch` teacher answers, Adam `sftLearningRate`. The
  /// defaults were fixed by the base model's measured properties before any RL result on them
  /// (issue 20): on `skills`, held-out pass@1 0.234 ± 0.018, 0.534 on the known skills and
  /// 0.036 on the hidden ones (4 seeds).
  public var sftSteps = 6000, sftBatch = 256
  /// The Adam learning rate of pre-training.
  public var sftLearningRate: Float = 6e-3
  /// RL: updates, prompts per update, samples per prompt (the GRPO group), PPO mini-batches per update.
  public var updates = 2000, promptsPerUpdate = 32, group = 8, minibatches = 4
  /// The Adam learning rate of the RL updates.
  public var learningRate: Float = 1e-3
  /// The temperature `T` of rollouts, evaluations and the loss: `π = softmax(z/T)`. Pre-training
  /// runs at 1.
  public var temperature = 1.0
  /// Evaluation every `evalEvery` updates on `evalPrompts` held-out prompts × `evalSamples` samples.
  public var evalEvery = 100, evalPrompts = 200, evalSamples = 64
  /// Seeds the train / held-out split, the initial weights and each random stream of the run
  /// (pre-training, RL, evaluation).
  public var seed: UInt64 = 1
  /// The policy's hidden activation and initialisation (the numpy anchor `rlvr_update.py`
  /// uses ReLU and He init).
  public var activation: Activation = .tanh
  /// How the policy's weights start (``SequencePolicy/Initialization``).
  public var initialization: SequencePolicy.Initialization = .standard
  /// Clip the gradient of every RL optimiser step to this global norm (torch's
  /// `clip_grad_norm_`, verl's `actor.grad_clip`); nil: no clipping.
  public var gradientClip: Double?
  /// Start every RL update with fresh Adam moments (the anchor's unit of work) instead of
  /// keeping them across updates.
  public var freshOptimizerEachUpdate = false
  /// Run each batch's distinct states once (``DistinctRows``): a prompt's `G` samples share
  /// their first position, and their prefixes as the entropy falls. The logits are
  /// bit-identical either way, so rollouts and evaluations are too; gradients differ only by
  /// the rounding of summing a state's copies first.
  public var shareIdenticalStates = true
  /// The precision of the logits the trainer's loss sees (the rollout keeps `Float`): with
  /// `bfloat16`, a bf16 trainer's view, so that the recomputed log-probs differ from the
  /// sampler's even on-policy (the training–inference mismatch).
  public var trainerPrecision: LogitPrecision = .float32
  /// The default settings.
  public init() {}
}

/// A precision for logits: `Float`, or `bfloat16` (8 significant bits, 7 of them stored; round to
/// nearest even).
public enum LogitPrecision: String, Sendable, CaseIterable {
  /// `float32`: the logits as computed; `bfloat16`: rounded by ``round(_:)``.
  case float32, bfloat16

  /// `x` rounded to this precision (NaN stays NaN). For `bfloat16`, round to nearest even on
  /// the top 16 bits of the pattern: `(bits + 0x7FFF + ((bits ≫ 16) & 1)) & 0xFFFF0000`;
  /// `±∞` and NaN are returned as they are.
  @inline(__always)
  public func round(_ x: Float) -> Float {
    guard self == .bfloat16, x.isFinite else { return x }
    let bits = x.bitPattern
    let rounded = (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000
    return Float(bitPattern: rounded)
  }
}

/// One evaluation on held-out prompts.
public struct Evaluation: Sendable {
  /// The update after which the policy was evaluated (0: the base policy).
  public var update: Int
  /// Mean correctness over all samples (mean@k).
  public var accuracy: Double
  /// `pass@k` for `k = 1, 2, 4, …` up to the samples per prompt (unbiased estimator).
  public var passAtK: [(Int, Double)]
  /// The mean entropy `H(π) = −Σ_j π_j log π_j` of `π = softmax(z/T)` over every generated
  /// token, in nats.
  public var meanTokenEntropy: Double
  /// Distinct correct answers per prompt.
  public var distinctCorrect: Double
  /// Mean correctness on the prompts whose skill the teacher knows and on the hidden ones
  /// (`hidden-ops`: operation `≥ 10 − hardOps`); NaN where the task has no such split or no
  /// evaluated prompt falls in the group.
  public var knownAccuracy: Double = .nan, hiddenAccuracy: Double = .nan
  /// `pass@k` on the hidden skills' prompts alone (empty without hidden skills): how often
  /// a group of `k` samples contains a success there, the signal group advantages need.
  public var hiddenPassAtK: [(Int, Double)] = []
}

/// One RL update's record.
public struct UpdateRecord: Sendable {
  /// The update's number, from 1; the record of update 0, before any update, has NaN entropies,
  /// accuracy and loss.
  public var update: Int
  /// The rollout's mean token entropy (nats; after AEPO's injection) and its mean reward, the
  /// fraction of correct responses (before the injection).
  public var meanTokenEntropy: Double, trainAccuracy: Double
  /// First-order entropy change of the update on the batch's own states, and the measured one,
  /// means per token: `−β Cov_p(log p, Δz)` and `H(z + Δz) − H(z)`, `Δz` the logit change.
  public var entropyChangePredicted: Double, entropyChangeActual: Double
  /// The loss's value summed over the update's mini-batches (not their mean).
  public var loss: Double
  /// Tokens the loss's intervention selected (Clip-Cov's detached tokens, KL-Cov's penalised
  /// ones), mean per PPO mini-batch; 0 for plain PPO/GRPO.
  public var selectedPerMiniBatch: Double = 0
  /// AEPO: the extra rollout's responses that replaced rows of the batch.
  public var injected = 0
}

/// Supervised pre-training on the teacher, RL with group advantages and any loss of
/// `PolicyLosses`, and held-out evaluation.
public struct RLVRTrainer: Sendable {
  /// The task of the settings, its split drawn from ``RLVRSettings/seed``.
  public let task: SequenceTask
  /// The run's settings.
  public let settings: RLVRSettings

  /// A trainer for `settings`. Throws unless the sizes are positive (`group ≥ 2`; `updates` and
  /// `sftSteps` may be 0), the temperature is finite and `> 0`, and the task's parameters are valid.
  public init(_ settings: RLVRSettings) throws(RLVRError) {
    guard settings.updates >= 0, settings.promptsPerUpdate >= 1, settings.group >= 2, settings.minibatches >= 1,
      settings.evalEvery >= 1, settings.evalPrompts >= 1, settings.evalSamples >= 1, settings.sftSteps >= 0, settings.hidden >= 1
    else { throw RLVRError("RLVR settings must be positive (group ≥ 2)") }
    guard settings.temperature > 0, settings.temperature.isFinite else { throw RLVRError("the temperature must be > 0") }
    task = try SequenceTask(settings.task, hardOps: settings.hardOps, teacherAccuracy: settings.teacherAccuracy, teacherHiddenAccuracy: settings.teacherHiddenAccuracy, seed: settings.seed)
    self.settings = settings
  }

  /// The rows of the run's engine: the tokens of one update, of a pre-training batch, or a
  /// chunk of evaluation sequences, whichever is largest.
  var engineRows: Int {
    max(settings.promptsPerUpdate * settings.group * task.answerLength, settings.sftBatch * task.answerLength, 2048)
  }

  func makeEngine(_ policy: SequencePolicy) -> PolicyEngine {
    PolicyEngine(task: task, policy: policy, maxRows: engineRows, sharesStates: settings.shareIdenticalStates)
  }

  /// A fresh policy for this task and settings (before pre-training).
  public func initialPolicy() -> SequencePolicy {
    SequencePolicy(inputs: SequencePolicy.inputDimension(task), hidden: settings.hidden, vocabulary: task.vocabulary, seed: settings.seed,
                   activation: settings.activation, initialization: settings.initialization)
  }

  /// Samples one response (a batch of one; the trainer generates whole batches).
  ///
  /// - Complexity: O(L·(A·H + H² + H·V)) for `L` tokens, `A` active features, `H` hidden
  ///   units, vocabulary `V`, plus a fresh engine's buffers.
  public func sample(_ policy: SequencePolicy, _ prompt: Prompt, _ rng: inout Xoshiro256StarStar) -> Rollout {
    let engine = PolicyEngine(task: task, policy: policy, maxRows: 1, sharesStates: settings.shareIdenticalStates)
    return engine.generate(policy, prompts: [prompt], temperature: settings.temperature, rng: &rng).rollout(0)
  }

  /// Generates one response per prompt, all together position by position: at each position
  /// a batched forward pass, then a token drawn from `π = softmax(z/T)` per row.
  ///
  /// - Complexity: O(N·L·(A·H + H² + H·V)) for `N` prompts of `L` tokens, `A` active
  ///   features, `H` hidden units, vocabulary `V` (less where states are shared).
  public func generate(_ policy: SequencePolicy, prompts: [Prompt], _ rng: inout Xoshiro256StarStar) -> RolloutBatch {
    makeEngine(policy).generate(policy, prompts: prompts, temperature: settings.temperature, rng: &rng)
  }

  /// The base model: cross-entropy on the teacher's answers, `sftBatch` answers (all their
  /// tokens in one batch) per Adam step.
  ///
  /// Each step draws `B = sftBatch` training prompts uniformly (with replacement) and the
  /// teacher's answer to each, and minimises the mean token cross-entropy at temperature 1,
  /// `−(1/(B·L)) Σ log p(label)`, whose logit gradient is `(softmax(z) − e_label)/(B·L)`.
  /// `progress` gets the step number every 100 steps.
  ///
  /// - Complexity: O(S·B·L·(A·H + H² + H·V)) for `S = sftSteps` steps, `L` tokens per answer,
  ///   `A` active features, `H` hidden units, vocabulary `V`.
  public func pretrain(progress: (Int) -> Void = { _ in }) -> SequencePolicy {
    var policy = initialPolicy()
    let engine = makeEngine(policy)
    var adam = Adam<Float>(count: policy.parameterCount, learningRate: settings.sftLearningRate)
    var rng = Streams.generator(settings.seed, Streams.pretraining)
    let l = task.answerLength, v = task.vocabulary, a = engine.active, rows = settings.sftBatch * l
    var g = [Float](repeating: 0, count: policy.parameterCount)
    var labels = [Int](repeating: 0, count: rows)
    let scale = 1 / Float(rows)
    for step in 0..<settings.sftSteps {
      engine.rowFeatures.withUnsafeMutableBufferPointer { f in
        for b in 0..<settings.sftBatch {
          let prompt = task.train[rng.nextInt(below: task.train.count)]
          let answer = task.teacher(prompt, &rng)
          answer.withUnsafeBufferPointer { h in
            for t in 0..<l {
              engine.writeFeatures(prompt: prompt, history: h.baseAddress!, position: t, to: f.baseAddress! + (b * l + t) * a)
              labels[b * l + t] = answer[t]
            }
          }
        }
      }
      engine.forward(policy, rows: rows)
      engine.logitGradient.withUnsafeMutableBufferPointer { d in
        for r in 0..<rows {
          // The cross-entropy gradient of a token: scale · (softmax(z) − e_label).
          engine.row(engine.logits(r), beta: 1)
          let out = d.baseAddress! + r * v
          for j in 0..<v { out[j] = Float(engine.row.probabilities[j]) * scale }
          out[labels[r]] -= scale
        }
      }
      engine.backward(policy, into: &g, accumulate: false)
      policy.parameters.withUnsafeMutableBufferPointer { p in g.withUnsafeBufferPointer { adam.step(p.baseAddress!, gradient: $0.baseAddress!) } }
      if step % 100 == 0 { progress(step) }
    }
    return policy
  }

  /// Held-out evaluation: `evalSamples` responses to each of the first `evalPrompts`
  /// held-out prompts, generated in batches. The draws come from a stream of the seed and
  /// `update`, so that an evaluation is reproducible.
  ///
  /// - Complexity: O(P·K·L·(A·H + H² + H·V)) for `P = evalPrompts`, `K = evalSamples`, `L`
  ///   tokens, `A` active features, `H` hidden units, vocabulary `V`.
  public func evaluate(_ policy: SequencePolicy, update: Int) -> Evaluation {
    evaluate(policy, update: update, engine: makeEngine(policy))
  }

  /// The mean correctness on the first `evalPrompts` training prompts (`evalSamples` each):
  /// what the policy has fitted, against the held-out ``evaluate(_:update:)``.
  ///
  /// - Complexity: O(P·K·L·(A·H + H² + H·V)), as ``evaluate(_:update:)``.
  public func trainAccuracy(_ policy: SequencePolicy) -> Double {
    var rng = Streams.generator(settings.seed, Streams.trainAccuracy)
    return evaluate(policy, update: 0, engine: makeEngine(policy), prompts: Array(task.train.prefix(settings.evalPrompts)), rng: &rng).accuracy
  }

  func evaluate(_ policy: SequencePolicy, update: Int, engine: PolicyEngine) -> Evaluation {
    var rng = Streams.generator(settings.seed, Streams.evaluation &+ UInt64(update))
    return evaluate(policy, update: update, engine: engine, prompts: Array(task.heldOut.prefix(settings.evalPrompts)), rng: &rng)
  }

  func evaluate(_ policy: SequencePolicy, update: Int, engine: PolicyEngine, prompts: [Prompt], rng: inout Xoshiro256StarStar) -> Evaluation {
    let n = settings.evalSamples
    var ks: [Int] = []
    var k = 1
    while k <= n { ks.append(k); k *= 2 }
    var pass = [Double](repeating: 0, count: ks.count)
    var correct = 0, entropy = 0.0, tokens = 0, distinct = 0.0
    // Correct samples and prompts, known skills then hidden ones.
    var splitCorrect = [0, 0], splitPrompts = [0, 0]
    var hiddenPass = [Double](repeating: 0, count: ks.count)
    // Whole prompts per chunk, so that a prompt's samples are counted together.
    let perChunk = max(1, engine.maxRows / n)
    var first = 0
    while first < prompts.count {
      let chunk = prompts[first..<min(prompts.count, first + perChunk)]
      let batch = engine.generate(policy, prompts: chunk.flatMap { [Prompt](repeating: $0, count: n) }, temperature: settings.temperature, rng: &rng)
      for x in batch.entropies { entropy += x }
      tokens += batch.entropies.count
      for q in 0..<chunk.count {
        var c = 0
        var answers = Set<ArraySlice<Int>>()
        for s in (q * n)..<((q + 1) * n) where batch.correct[s] {
          c += 1
          answers.insert(batch.answer(s))
        }
        correct += c
        if let hidden = task.isHidden(chunk[chunk.startIndex + q]) {
          splitCorrect[hidden ? 1 : 0] += c
          splitPrompts[hidden ? 1 : 0] += 1
          if hidden { for (i, k) in ks.enumerated() { hiddenPass[i] += Self.passAtK(n: n, correct: c, k: k) } }
        }
        distinct += Double(answers.count)
        for (i, k) in ks.enumerated() { pass[i] += Self.passAtK(n: n, correct: c, k: k) }
      }
      first += chunk.count
    }
    let m = Double(prompts.count)
    return Evaluation(update: update, accuracy: Double(correct) / (m * Double(n)), passAtK: zip(ks, pass.map { $0 / m }).map { ($0, $1) },
                      meanTokenEntropy: entropy / Double(tokens), distinctCorrect: distinct / m,
                      knownAccuracy: splitPrompts[0] > 0 ? Double(splitCorrect[0]) / Double(splitPrompts[0] * n) : .nan,
                      hiddenAccuracy: splitPrompts[1] > 0 ? Double(splitCorrect[1]) / Double(splitPrompts[1] * n) : .nan,
                      hiddenPassAtK: splitPrompts[1] > 0 ? zip(ks, hiddenPass.map { $0 / Double(splitPrompts[1]) }).map { ($0, $1) } : [])
  }

  /// The unbiased pass@k from `n` samples with `c` correct: `1 − C(n − c, k)/C(n, k)`,
  /// computed as `1 − Π_{i<k} (n − c − i)/(n − i)`; 1 when `n − c < k`.
  ///
  /// - Complexity: O(k).
  public static func passAtK(n: Int, correct c: Int, k: Int) -> Double {
    if n - c < k { return 1 }
    var ratio = 1.0
    for i in 0..<k { ratio *= Double(n - c - i) / Double(n - i) }
    return 1 - ratio
  }

  /// RL from `base` with `loss`; `onUpdate` gets every update's record and, every `evalEvery`
  /// updates (and at 0 and the end), an evaluation; it returns false to stop.
  ///
  /// One update: `promptsPerUpdate × group` responses generated together; GRPO advantages;
  /// one epoch of PPO over `minibatches` shuffled mini-batches of whole responses (each a
  /// batched forward pass, the loss's `∂loss/∂z`, a batched backward pass and an Adam step);
  /// then the entropy change on the batch's own states, predicted to first order from the
  /// logit change and measured, in one batched forward pass.
  ///
  /// - Complexity: per update O(N·L·(A·H + H² + H·V)) for `N = promptsPerUpdate × group`
  ///   responses of `L` tokens, `A` active features, `H` hidden units, vocabulary `V` (the
  ///   rollout, the mini-batches' forward and backward passes, the entropy pass), plus the
  ///   loss's own cost; every `evalEvery` updates an evaluation, O(P·K·L·(A·H + H² + H·V)).
  public func train(
    from base: SequencePolicy, loss: PolicyLoss, onUpdate: (UpdateRecord, Evaluation?) -> Bool
  ) throws(RLVRError) -> SequencePolicy {
    try train(from: base, method: RLVRMethod(loss), onUpdate: onUpdate)
  }

  /// RL from `base` with `method` (its loss, advantages and extra rollout; see
  /// ``train(from:loss:onUpdate:)`` for one update and ``RLVRMethod`` for the methods' state).
  /// The rewards are `r = 1` for a correct response and 0 otherwise; the advantages GRPO's
  /// `A_i = (r_i − mean_g r)/(std_g r + ε)` over the response's group `g` (unbiased std,
  /// `ε = 10⁻⁶`; Dr. GRPO: `r_i − mean_g r`) or CANON's, the same for every token of the response.
  ///
  /// - Complexity: as ``train(from:loss:onUpdate:)``; AEPO's extra rollout adds O(N/4·L·(A·H +
  ///   H² + H·V)) per update.
  public func train(
    from base: SequencePolicy, method: RLVRMethod, onUpdate: (UpdateRecord, Evaluation?) -> Bool
  ) throws(RLVRError) -> SequencePolicy {
    var loss = method.loss
    var policy = base
    let engine = makeEngine(policy)
    var adam = Adam<Float>(count: policy.parameterCount, learningRate: settings.learningRate)
    var rng = Streams.generator(settings.seed, Streams.training)
    let l = task.answerLength, v = task.vocabulary, a = engine.active
    var g = [Float](repeating: 0, count: policy.parameterCount)
    if !onUpdate(UpdateRecord(update: 0, meanTokenEntropy: .nan, trainAccuracy: .nan, entropyChangePredicted: .nan, entropyChangeActual: .nan, loss: .nan),
                 evaluate(policy, update: 0, engine: engine)) { return policy }
    let groupNames = (0..<settings.promptsPerUpdate).map { String($0) }
    var entropyHistory = 0.0  // EPO: Σ over updates of the rollout's mean token entropy
    var sampledNLL = 0.0  // AEPO: the previous update's −mean log π(sampled token)
    for update in 1...max(1, settings.updates) where settings.updates > 0 {
      // Rollouts: groups of G samples per prompt, generated together.
      var prompts: [Prompt] = []
      prompts.reserveCapacity(settings.promptsPerUpdate * settings.group)
      var groups: [String] = []
      for q in 0..<settings.promptsPerUpdate {
        let prompt = task.train[rng.nextInt(below: task.train.count)]
        for _ in 0..<settings.group {
          prompts.append(prompt)
          groups.append(groupNames[q])
        }
      }
      var batch = engine.generate(policy, prompts: prompts, temperature: settings.temperature, rng: &rng)
      let n = batch.sequences
      let rewards = batch.correct.map { $0 ? 1.0 : 0.0 }
      var advantages: [Double]
      switch method.advantages {
      case .grpo(let std): advantages = OutcomeAdvantages.grpo(scores: rewards, groups: groups, normalizeByStd: std)
      case .canon(let c): advantages = c.advantages(scores: rewards, groups: groups, metric: c.metric == .entropy ? batch.meanEntropies : [Double](repeating: Double(l), count: n))
      }
      var injected = 0
      if let aepo = method.aepo {
        injected = aepoInjection(aepo, policy: policy, engine: engine, batch: &batch, advantages: &advantages, prompts: prompts, groups: groups, previous: sampledNLL, rng: &rng)
      }
      if update == 1, loss.siren != nil, loss.siren!.anchor == nil {
        // SIREN's anchor: the statistic of the first update's whole rollout, before any step.
        do { loss.siren!.anchor = try loss.siren!.statistic(try wholeBatch(batch)).mean } catch { throw RLVRError("SIREN's anchor: \(error)") }
      }
      if loss.entropySmoothing != nil { entropyHistory += batch.entropies.reduce(0, +) / Double(n * l) }
      let proxy = loss.lowProbability.map { proxyLogProbs(batch, minP: $0.minP) }
      var nll = 0.0
      // PPO mini-batches over the shuffled rollouts.
      var order = Array(0..<n)
      for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.nextInt(below: i + 1)) }
      if settings.freshOptimizerEachUpdate { adam.reset() }
      var totalLoss = 0.0, selected = 0.0, miniBatches = 0
      let per = (n + settings.minibatches - 1) / settings.minibatches
      for start in stride(from: 0, to: n, by: per) {
        let members = order[start..<min(n, start + per)]
        let rows = members.count * l
        engine.rowFeatures.withUnsafeMutableBufferPointer { f in
          batch.features.withUnsafeBufferPointer { src in
            for (r, m) in members.enumerated() { (f.baseAddress! + r * l * a).update(from: src.baseAddress! + m * l * a, count: l * a) }
          }
        }
        engine.forward(policy, rows: rows)
        var logits = [Double](repeating: 0, count: rows * v)
        for r in 0..<rows {
          let z = engine.logits(r)
          for j in 0..<v { logits[r * v + j] = Double(settings.trainerPrecision.round(z[j])) }
        }
        var tokenBatch: TokenBatch
        do {
          tokenBatch = try TokenBatch(
            rows: members.count, columns: l, logits: logits, vocabulary: v, labels: members.flatMap { batch.answer($0) },
            temperature: settings.temperature, oldLogProb: members.flatMap { batch.logProbs[($0 * l)..<(($0 + 1) * l)] },
            advantages: members.flatMap { m in [Double](repeating: advantages[m], count: l) }, mask: [Double](repeating: 1, count: rows))
        } catch { throw RLVRError("\(error)") }
        if let proxy { tokenBatch.proxyLogProb = members.flatMap { proxy[($0 * l)..<(($0 + 1) * l)] } }
        if loss.entropySmoothing != nil { loss.entropySmoothing!.history = [Double](repeating: entropyHistory / Double(update), count: members.count) }
        nll -= tokenBatch.logProb.reduce(0, +) / Double(rows)
        let result: LossResult
        do { result = try loss.evaluate(tokenBatch) } catch { throw RLVRError("update \(update): \(error)") }
        totalLoss += result.loss
        selected += result.selectedMask.reduce(0, +)
        miniBatches += 1
        guard let gz = result.gradLogits else { continue }
        engine.logitGradient.withUnsafeMutableBufferPointer { d in for i in 0..<(rows * v) { d[i] = Float(gz[i]) } }
        engine.backward(policy, into: &g, accumulate: false)
        g.withUnsafeBufferPointer { gb in
          let scale = settings.gradientClip.map { clippingScale(gb.baseAddress!, count: gb.count, maxNorm: $0) } ?? 1
          policy.parameters.withUnsafeMutableBufferPointer { p in adam.step(p.baseAddress!, gradient: gb.baseAddress!, scale: scale) }
        }
      }
      sampledNLL = nll / Double(max(1, miniBatches))
      // Entropy change on the batch's own states: predicted from the logit change, and measured.
      let (predicted, actual) = entropyChange(policy, batch, engine: engine)
      let states = Double(n * l)
      let record = UpdateRecord(update: update, meanTokenEntropy: batch.entropies.reduce(0, +) / states, trainAccuracy: rewards.reduce(0, +) / Double(n),
                                entropyChangePredicted: predicted / states, entropyChangeActual: actual / states, loss: totalLoss,
                                selectedPerMiniBatch: selected / Double(max(1, miniBatches)), injected: injected)
      let evaluation = update % settings.evalEvery == 0 || update == settings.updates ? evaluate(policy, update: update, engine: engine) : nil
      if !onUpdate(record, evaluation) { break }
    }
    return policy
  }

  /// `Σ_states −β Cov_p(log p, Δz)` and `Σ_states H(z + Δz) − H(z)` over the batch's tokens,
  /// `Δz` the logit change of the update (the policy now against the batch's logits), `p`
  /// the batch's policy at temperature `T = 1/β`; in `Double`, in batched forward passes.
  func entropyChange(_ policy: SequencePolicy, _ batch: RolloutBatch, engine: PolicyEngine) -> (Double, Double) {
    let v = batch.vocabulary, a = batch.active, total = batch.sequences * batch.length
    let beta = 1 / settings.temperature
    var predicted = 0.0, actual = 0.0
    let p0 = engine.row, p1 = engine.otherRow
    var start = 0
    while start < total {
      let rows = min(engine.maxRows, total - start)
      engine.rowFeatures.withUnsafeMutableBufferPointer { f in
        batch.features.withUnsafeBufferPointer { src in f.baseAddress!.update(from: src.baseAddress! + start * a, count: rows * a) }
      }
      engine.forward(policy, rows: rows)
      batch.logits.withUnsafeBufferPointer { z0 in
        for r in 0..<rows {
          let row = start + r
          let before = z0.baseAddress! + row * v, after = engine.logits(r)
          let logS0 = p0(before, beta: beta), logS1 = p1(after, beta: beta)
          let h0 = p0.entropy(logPartition: logS0), h1 = p1.entropy(logPartition: logS1)
          // −Cov_p(log p, Δ) in the centred form of SoftmaxDistribution.entropyChangeFirstOrder,
          // Δ = β(z₁ − z₀).
          var mean = 0.0
          for j in 0..<v { mean += p0.probabilities[j] * beta * (Double(after[j]) - Double(before[j])) }
          var c = 0.0
          for j in 0..<v where p0.probabilities[j] > 0 {
            c += p0.probabilities[j] * (p0.shifted[j] - logS0 + h0) * (beta * (Double(after[j]) - Double(before[j])) - mean)
          }
          predicted -= c
          actual += h1 - h0
        }
      }
      start += rows
    }
    return (predicted, actual)
  }
}
