import Foundation
import PolicyLosses
import RealModule
import SeededRandom
import SoftmaxCore

/// One generated response with what RL needs per token.
public struct Rollout: Sendable {
  public var prompt: Prompt
  public var tokens: [Int]
  /// Per token: active features, logits (at temperature 1 before the update), log-prob of the token.
  public var features: [[Int]], logits: [[Float]], logProbs: [Double], entropies: [Double]
  public var correct: Bool
}

/// Settings of an RLVR run.
public struct RLVRSettings: Sendable {
  public var task: SequenceTask.Kind = .hiddenOps
  public var hardOps = 6
  public var hidden = 128
  /// Supervised pre-training: steps of `sftBatch` teacher answers, Adam `sftRate`.
  public var sftSteps = 6000, sftBatch = 64
  public var sftRate: Float = 3e-3
  /// RL: updates, prompts per update, samples per prompt (the GRPO group), PPO mini-batches per update.
  public var updates = 2000, promptsPerUpdate = 32, group = 8, minibatches = 4
  public var rate: Float = 1e-3
  public var temperature = 1.0
  /// Evaluation every `evalEvery` updates on `evalPrompts` held-out prompts × `evalSamples` samples.
  public var evalEvery = 100, evalPrompts = 200, evalSamples = 64
  public var seed: UInt64 = 1
  public init() {}
}

/// One evaluation on held-out prompts.
public struct Evaluation: Sendable {
  public var update: Int
  /// Mean correctness over all samples (mean@k).
  public var accuracy: Double
  /// `pass@k` for `k = 1, 2, 4, …` up to the samples per prompt (unbiased estimator).
  public var passAtK: [(Int, Double)]
  public var meanTokenEntropy: Double
  /// Distinct correct answers per prompt.
  public var distinctCorrect: Double
}

/// One RL update's record.
public struct UpdateRecord: Sendable {
  public var update: Int
  public var meanTokenEntropy: Double, trainAccuracy: Double
  /// First-order entropy change of the update on the batch's own states, and the measured one.
  public var entropyChangePredicted: Double, entropyChangeActual: Double
  public var loss: Double
}

/// Supervised pre-training on the teacher, RL with group advantages and any loss of
/// `PolicyLosses`, and held-out evaluation.
public struct RLVRTrainer: Sendable {
  public let task: SequenceTask
  public let settings: RLVRSettings

  public init(_ settings: RLVRSettings) throws(RLVRError) {
    guard settings.updates >= 0, settings.promptsPerUpdate >= 1, settings.group >= 2, settings.minibatches >= 1,
      settings.evalEvery >= 1, settings.evalPrompts >= 1, settings.evalSamples >= 1, settings.sftSteps >= 0, settings.hidden >= 1
    else { throw RLVRError("RLVR settings must be positive (group ≥ 2)") }
    guard settings.temperature > 0, settings.temperature.isFinite else { throw RLVRError("the temperature must be > 0") }
    task = try SequenceTask(settings.task, hardOps: settings.hardOps, seed: settings.seed)
    self.settings = settings
  }

  /// Samples one response.
  public func sample(_ policy: SequencePolicy, _ prompt: Prompt, _ rng: inout Xoshiro256StarStar) -> Rollout {
    var r = Rollout(prompt: prompt, tokens: [], features: [], logits: [], logProbs: [], entropies: [], correct: false)
    for t in 0..<task.answerLength {
      let f = SequencePolicy.features(task, prompt: prompt, history: r.tokens, position: t)
      let z = policy.forward(f).logits
      let d = SoftmaxDistribution<Double>(logits: z.map(Double.init), temperature: settings.temperature)
      let a = rng.nextCategorical(d.probabilities)
      r.tokens.append(a)
      r.features.append(f)
      r.logits.append(z)
      r.logProbs.append(d.logProbabilities[a])
      r.entropies.append(d.entropy)
    }
    r.correct = task.verify(prompt, r.tokens)
    return r
  }

  /// The base model: cross-entropy on the teacher's answers.
  public func pretrain(progress: (Int) -> Void = { _ in }) -> SequencePolicy {
    var policy = SequencePolicy(inputs: SequencePolicy.inputDimension(task), hidden: settings.hidden, vocabulary: task.vocabulary, seed: settings.seed)
    var adam = FloatAdam(count: policy.parameterCount, rate: settings.sftRate)
    var rng = Xoshiro256StarStar(seed: settings.seed, stream: 0x5F7)
    for step in 0..<settings.sftSteps {
      var g = [Float](repeating: 0, count: policy.parameterCount)
      let scale = 1 / Float(settings.sftBatch * task.answerLength)
      for _ in 0..<settings.sftBatch {
        let prompt = task.train[rng.nextInt(below: task.train.count)]
        let answer = task.teacher(prompt, &rng)
        for t in 0..<task.answerLength {
          let f = SequencePolicy.features(task, prompt: prompt, history: answer, position: t)
          let trace = policy.forward(f)
          let p = softmax(trace.logits.map(Double.init))
          var dz = p.map { Float($0) * scale }
          dz[answer[t]] -= scale
          policy.backward(f, trace, logitGradient: dz, into: &g)
        }
      }
      adam.step(&policy.parameters, g)
      if step % 100 == 0 { progress(step) }
    }
    return policy
  }

  /// Held-out evaluation.
  public func evaluate(_ policy: SequencePolicy, update: Int) -> Evaluation {
    var rng = Xoshiro256StarStar(seed: settings.seed, stream: 0xE7A1 &+ UInt64(update))
    let prompts = Array(task.heldOut.prefix(settings.evalPrompts))
    let n = settings.evalSamples
    var ks: [Int] = []
    var k = 1
    while k <= n { ks.append(k); k *= 2 }
    var pass = [Double](repeating: 0, count: ks.count)
    var correct = 0, entropy = 0.0, tokens = 0, distinct = 0.0
    for p in prompts {
      var c = 0
      var answers = Set<[Int]>()
      for _ in 0..<n {
        let r = sample(policy, p, &rng)
        entropy += r.entropies.reduce(0, +)
        tokens += r.entropies.count
        if r.correct { c += 1; answers.insert(r.tokens) }
      }
      correct += c
      distinct += Double(answers.count)
      for (i, k) in ks.enumerated() { pass[i] += Self.passAtK(n: n, correct: c, k: k) }
    }
    let m = Double(prompts.count)
    return Evaluation(update: update, accuracy: Double(correct) / (m * Double(n)), passAtK: zip(ks, pass.map { $0 / m }).map { ($0, $1) },
                      meanTokenEntropy: entropy / Double(tokens), distinctCorrect: distinct / m)
  }

  /// The unbiased pass@k from `n` samples with `c` correct: `1 − C(n − c, k)/C(n, k)`.
  public static func passAtK(n: Int, correct c: Int, k: Int) -> Double {
    if n - c < k { return 1 }
    var ratio = 1.0
    for i in 0..<k { ratio *= Double(n - c - i) / Double(n - i) }
    return 1 - ratio
  }

  /// RL from `base` with `loss`; `onUpdate` gets every update's record and, every `evalEvery`
  /// updates (and at 0 and the end), an evaluation; it returns false to stop.
  public func train(
    from base: SequencePolicy, loss: PolicyLoss, onUpdate: (UpdateRecord, Evaluation?) -> Bool
  ) throws(RLVRError) -> SequencePolicy {
    var policy = base
    var adam = FloatAdam(count: policy.parameterCount, rate: settings.rate)
    var rng = Xoshiro256StarStar(seed: settings.seed, stream: 0x271)
    let l = task.answerLength, v = task.vocabulary
    if !onUpdate(UpdateRecord(update: 0, meanTokenEntropy: .nan, trainAccuracy: .nan, entropyChangePredicted: .nan, entropyChangeActual: .nan, loss: .nan),
                 evaluate(policy, update: 0)) { return policy }
    for update in 1...max(1, settings.updates) where settings.updates > 0 {
      // Rollouts: groups of G samples per prompt.
      var rollouts: [Rollout] = []
      var groups: [String] = []
      for _ in 0..<settings.promptsPerUpdate {
        let prompt = task.train[rng.nextInt(below: task.train.count)]
        for _ in 0..<settings.group {
          rollouts.append(sample(policy, prompt, &rng))
          groups.append(String(prompt.id))
        }
      }
      let rewards = rollouts.map { $0.correct ? 1.0 : 0.0 }
      let advantages = OutcomeAdvantages.grpo(scores: rewards, groups: groups)
      // PPO mini-batches over the shuffled rollouts.
      var order = Array(rollouts.indices)
      for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.nextInt(below: i + 1)) }
      var totalLoss = 0.0
      let per = (order.count + settings.minibatches - 1) / settings.minibatches
      for start in stride(from: 0, to: order.count, by: per) {
        let members = Array(order[start..<min(order.count, start + per)])
        var traces: [[SequencePolicy.Trace]] = []
        var logits: [Double] = []
        for m in members {
          let tr = rollouts[m].features.map { policy.forward($0) }
          traces.append(tr)
          for t in tr { logits += t.logits.map(Double.init) }
        }
        let rows = members.count
        let batch: TokenBatch
        do {
          batch = try TokenBatch(
            rows: rows, columns: l, logits: logits, vocabulary: v, labels: members.flatMap { rollouts[$0].tokens },
            temperature: settings.temperature, oldLogProb: members.flatMap { rollouts[$0].logProbs },
            advantages: members.flatMap { m in [Double](repeating: advantages[m], count: l) }, mask: [Double](repeating: 1, count: rows * l))
        } catch { throw RLVRError("\(error)") }
        let result: LossResult
        do { result = try loss.evaluate(batch) } catch { throw RLVRError("update \(update): \(error)") }
        totalLoss += result.loss
        guard let gz = result.gradLogits else { continue }
        var g = [Float](repeating: 0, count: policy.parameterCount)
        for (r, m) in members.enumerated() {
          for t in 0..<l {
            let dz = (0..<v).map { Float(gz[(r * l + t) * v + $0]) }
            policy.backward(rollouts[m].features[t], traces[r][t], logitGradient: dz, into: &g)
          }
        }
        adam.step(&policy.parameters, g)
      }
      // Entropy change on the batch's own states: predicted from the logit change, and measured.
      var predicted = 0.0, actual = 0.0, states = 0, entropy = 0.0
      for r in rollouts {
        for t in 0..<l {
          let before = SoftmaxDistribution<Double>(logits: r.logits[t].map(Double.init), temperature: settings.temperature)
          let after = policy.forward(r.features[t]).logits
          let delta = (0..<v).map { (Double(after[$0]) - Double(r.logits[t][$0])) / settings.temperature }
          predicted += before.entropyChangeFirstOrder(delta)
          actual += before.entropyChangeExact(delta)
          entropy += r.entropies[t]
          states += 1
        }
      }
      let record = UpdateRecord(update: update, meanTokenEntropy: entropy / Double(states), trainAccuracy: rewards.reduce(0, +) / Double(rewards.count),
                                entropyChangePredicted: predicted / Double(states), entropyChangeActual: actual / Double(states), loss: totalLoss)
      let evaluation = update % settings.evalEvery == 0 || update == settings.updates ? evaluate(policy, update: update) : nil
      if !onUpdate(record, evaluation) { break }
    }
    return policy
  }
}
