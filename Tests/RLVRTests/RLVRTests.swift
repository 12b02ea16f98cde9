import Foundation
import PolicyLosses
import RLVR
import SeededRandom
import Testing

@Suite struct RLVRTests {
  @Test func tasksVerifyAndSplit() throws {
    let ops = try SequenceTask(.hiddenOps, seed: 3)
    #expect(ops.train.count == 800 && ops.heldOut.count == 200)
    #expect(Set(ops.train.map(\.id)).isDisjoint(with: Set(ops.heldOut.map(\.id))))
    for op in 0..<10 { for a in 0..<10 { for b in 0..<10 { #expect((0...36).contains(SequenceTask.operation(op, a, b))) } } }
    let p = ops.train[0]
    let v = SequenceTask.operation(p.data[0], p.data[1], p.data[2])
    var rng = Xoshiro256StarStar(seed: 1)
    let answer = SequenceTask.digits(summingTo: v, count: 4, &rng)
    #expect(ops.verify(p, answer) && answer.allSatisfy { (0...9).contains($0) })
    #expect(!ops.verify(p, answer.map { ($0 + 1) % 10 }) || v == answer.map { ($0 + 1) % 10 }.reduce(0, +))
    let add = try SequenceTask(.addition)
    let q = add.train.first { $0.data == [47, 58] } ?? add.heldOut.first { $0.data == [47, 58] }!
    #expect(add.verify(q, [1, 0, 5]) && !add.verify(q, [1, 0, 4]) && !add.verify(q, [1, 0]))
    // The teacher: right ~60% where it knows the rule; on the hard operations, only by chance.
    var known = 0, knownTotal = 0, hard = 0, hardTotal = 0
    for p in ops.train {
      let r = ops.verify(p, ops.teacher(p, &rng))
      if p.data[0] < 4 { knownTotal += 1; if r { known += 1 } } else { hardTotal += 1; if r { hard += 1 } }
    }
    let knownRate = Double(known) / Double(knownTotal), hardRate = Double(hard) / Double(hardTotal)
    #expect(abs(knownRate - 0.6) < 0.1 && hardRate < 0.2, "teacher: \(knownRate) on known ops, \(hardRate) on hard ones")
    #expect(throws: RLVRError.self) { try SequenceTask(.hiddenOps, hardOps: 11) }
  }

  /// The `skills` task: the anchor's ten rules, the split of evaluations by known and hidden
  /// skills, and a teacher that is right on hidden operations as often as asked.
  @Test func skillsTaskSplitsKnownAndHidden() throws {
    // The rules of ../shared/bench/rlvr_update.py, written out independently.
    let anchor: [(Int, Int) -> Int] = [{ $0 + $1 }, { $0 + $1 + 5 }, { 2 * $0 + $1 }, { $0 + 2 * $1 }, { 18 - $0 + $1 }, { 27 - $0 - $1 },
                                       { 3 * max($0, $1) }, { $0 * $1 / 3 }, { 9 + abs($0 - $1) }, { 3 * min($0, $1) }]
    for op in 0..<10 { for a in 0..<10 { for b in 0..<10 {
      let v = SequenceTask.skillRule(op, a, b)
      #expect(v == anchor[op](a, b) && (0...27).contains(v), "rule \(op)(\(a), \(b))")
    } } }
    let task = try SequenceTask(.skills, seed: 2)
    let known = task.train.first { $0.data[0] == 3 }!, hidden = task.train.first { $0.data[0] == 4 }!
    #expect(task.isHidden(known) == false && task.isHidden(hidden) == true)
    #expect(try SequenceTask(.digitSum).isHidden(task.train[0]) == nil)
    // On hidden operations: right only where a + b agrees with the rule (q = 0), or about q more often.
    for q in [0.0, 0.3] {
      let t = try SequenceTask(.skills, teacherHiddenAccuracy: q, seed: 2)
      var rng = Xoshiro256StarStar(seed: 9)
      var right = 0, total = 0, coincide = 0
      for _ in 0..<20 { for p in t.train where t.isHidden(p)! {
        total += 1
        if t.verify(p, t.teacher(p, &rng)) { right += 1 }
        if SequenceTask.skillRule(p.data[0], p.data[1], p.data[2]) == p.data[1] + p.data[2] { coincide += 1 }
      } }
      let rate = Double(right) / Double(total), chance = Double(coincide) / Double(total)
      let expected = q + (1 - q) * chance
      #expect(abs(rate - expected) < 0.02, "teacher on hidden operations, q = \(q): \(rate) against \(expected)")
    }
    #expect(throws: RLVRError.self) { try SequenceTask(.skills, teacherHiddenAccuracy: 1.5) }
    // The evaluation's split adds up to its mean: accuracy = (n_known·known + n_hidden·hidden)/n.
    let trainer = try RLVRTrainer(.small(sftSteps: 40, evalPrompts: 60, evalSamples: 8))
    let e = trainer.evaluate(trainer.pretrain(), update: 0)
    let prompts = trainer.task.heldOut.prefix(60)
    let hiddenCount = Double(prompts.filter { trainer.task.isHidden($0)! }.count)
    let mixed = ((60 - hiddenCount) * e.knownAccuracy + hiddenCount * e.hiddenAccuracy) / 60
    #expect(abs(mixed - e.accuracy) < 1e-12, "\(mixed) against \(e.accuracy)")
    #expect(e.hiddenPassAtK.map(\.0) == [1, 2, 4, 8] && abs(e.hiddenPassAtK[0].1 - e.hiddenAccuracy) < 1e-12)
    #expect(zip(e.hiddenPassAtK, e.hiddenPassAtK.dropFirst()).allSatisfy { $0.1 <= $1.1 })
  }

  /// Clip-Cov's selected tokens are counted per mini-batch: ⌊ratio · N⌋ of N = 64 tokens when
  /// enough are eligible, none for plain PPO.
  @Test func selectedTokensAreRecorded() throws {
    let trainer = try RLVRTrainer(.small())
    let base = trainer.pretrain()
    for (loss, bound) in [(PolicyLoss(.ppoDefault), 0.0), (PolicyLoss(.klCov(ratio: 0.25, coefficient: 1)), 16.0)] {
      var selected: [Double] = []
      _ = try trainer.train(from: base, loss: loss) { r, _ in
        if r.update > 0 { selected.append(r.selectedPerMiniBatch) }
        return true
      }
      // 64 sequences × 4 tokens in 4 mini-batches of 64 tokens: KL-Cov takes the top ⌊0.25 · 64⌋ = 16.
      #expect(selected.count == 3 && selected.allSatisfy { $0 == bound }, "\(selected)")
    }
  }

  /// The policy's backward pass against finite differences (in Float: 1e-2 relative).
  @Test func policyBackwardMatchesFiniteDifferences() throws {
    let task = try SequenceTask(.hiddenOps)
    var policy = SequencePolicy(inputs: SequencePolicy.inputDimension(task), hidden: 8, vocabulary: 10, seed: 2)
    let f = SequencePolicy.features(task, prompt: task.train[0], history: [3, 7], position: 2)
    let v: [Float] = (0..<10).map { Float($0 % 3) - 1 }
    var g = [Float](repeating: 0, count: policy.parameterCount)
    policy.backward(f, policy.forward(f), logitGradient: v, into: &g)
    func objective(_ p: SequencePolicy) -> Double { zip(p.forward(f).logits, v).reduce(0) { $0 + Double($1.0 * $1.1) } }
    var worst: Float = 0
    var checked = 0
    for i in stride(from: 0, to: policy.parameterCount, by: 7) where g[i] != 0 || i % 49 == 0 {
      let saved = policy.parameters[i]
      policy.parameters[i] = saved + 1e-2
      let plus = objective(policy)
      policy.parameters[i] = saved - 1e-2
      let minus = objective(policy)
      policy.parameters[i] = saved
      let fd = Float((plus - minus) / 2e-2)
      worst = max(worst, abs(fd - g[i]) / max(0.05, abs(fd)))
      checked += 1
    }
    #expect(checked > 20 && worst < 2e-2, "worst relative error \(worst) over \(checked) parameters")
  }

  @Test func policyFilesRoundTripAndCorruptionIsRefused() throws {
    let policy = SequencePolicy(inputs: 78, hidden: 16, vocabulary: 10, seed: 4)
    let data = policy.encoded()
    let back = try SequencePolicy(decoding: data)
    #expect(back.parameters == policy.parameters && back.hidden == 16)
    var corrupt = data
    corrupt[100] ^= 0xFF
    #expect(throws: RLVRError("policy is corrupt (checksum mismatch)")) { try SequencePolicy(decoding: corrupt) }
    #expect(throws: RLVRError.self) { try SequencePolicy(decoding: data.prefix(data.count - 3)) }
    #expect(throws: RLVRError("policy is not a logitdyn policy file")) { try SequencePolicy(decoding: Data("hello world, not a policy file".utf8)) }
  }

  @Test func passAtK() {
    #expect(RLVRTrainer.passAtK(n: 10, correct: 0, k: 5) == 0)
    #expect(RLVRTrainer.passAtK(n: 10, correct: 10, k: 1) == 1)
    #expect(abs(RLVRTrainer.passAtK(n: 10, correct: 3, k: 1) - 0.3) < 1e-15)
    #expect(abs(RLVRTrainer.passAtK(n: 4, correct: 1, k: 2) - 0.5) < 1e-15)  // 1 − C(3,2)/C(4,2)
  }

  /// A short RL run from a briefly pre-trained base: training accuracy rises, the first-order
  /// entropy change tracks the measured one, and the run is reproducible.
  @Test func rlImprovesAndIsReproducible() throws {
    var s = RLVRSettings.small(.digitSum, hidden: 32, sftSteps: 150, sftBatch: 64, updates: 60, promptsPerUpdate: 16, evalEvery: 30,
                               evalPrompts: 40, evalSamples: 8)
    s.learningRate = 3e-3
    let trainer = try RLVRTrainer(s)
    let base = trainer.pretrain()
    var records: [UpdateRecord] = [], evals: [Evaluation] = []
    _ = try trainer.train(from: base, loss: PolicyLoss(.ppoDefault)) { r, e in
      records.append(r)
      if let e { evals.append(e) }
      return true
    }
    #expect(records.count == 61 && evals.count == 3)
    let early = records[1..<11].map(\.trainAccuracy).reduce(0, +) / 10, late = records.suffix(10).map(\.trainAccuracy).reduce(0, +) / 10
    #expect(late > early, "train accuracy \(early) → \(late)")
    let predicted = records.dropFirst().map(\.entropyChangePredicted), actual = records.dropFirst().map(\.entropyChangeActual)
    let mp = predicted.reduce(0, +) / Double(predicted.count), ma = actual.reduce(0, +) / Double(actual.count)
    let cov = zip(predicted, actual).reduce(0) { $0 + ($1.0 - mp) * ($1.1 - ma) }
    let r = cov / (predicted.reduce(0) { $0 + ($1 - mp) * ($1 - mp) } * actual.reduce(0) { $0 + ($1 - ma) * ($1 - ma) }).squareRoot()
    #expect(r > 0.9, "correlation of predicted and measured entropy change \(r)")
    var again: [Double] = []
    _ = try trainer.train(from: base, loss: PolicyLoss(.ppoDefault)) { r, _ in again.append(r.trainAccuracy); return r.update < 10 }
    #expect(Array(records.prefix(11).map(\.trainAccuracy)).dropFirst().elementsEqual(again.dropFirst().prefix(10)))
  }

  /// Running each batch's distinct states once changes nothing a run can see but rounding:
  /// the same base, the same first rollouts (logits bit-identical, so the same draws), the
  /// same held-out evaluation, and training records within rounding of each other early on.
  @Test func sharedStatesMatchEveryRow() throws {
    let s = RLVRSettings.small(hidden: 24, sftSteps: 40, evalEvery: 3, evalPrompts: 10, evalSamples: 16)
    var off = s
    off.shareIdenticalStates = false
    let shared = try RLVRTrainer(s), every = try RLVRTrainer(off)
    let base = shared.pretrain(), baseEvery = every.pretrain()
    // Pre-training's gradients differ by rounding only.
    let worst = zip(base.parameters, baseEvery.parameters).map { abs($0 - $1) }.max()!
    #expect(worst < 1e-3, "pre-trained parameters differ by \(worst)")
    var rngA = Xoshiro256StarStar(seed: 9, stream: 1), rngB = rngA
    let prompts = Array(shared.task.train.prefix(6)).flatMap { [Prompt](repeating: $0, count: 8) }
    let a = shared.generate(base, prompts: prompts, &rngA), b = every.generate(base, prompts: prompts, &rngB)
    #expect(a.tokens == b.tokens && a.logits == b.logits && a.logProbs == b.logProbs)
    let ea = shared.evaluate(base, update: 0), eb = every.evaluate(base, update: 0)
    #expect(ea.accuracy == eb.accuracy && ea.meanTokenEntropy == eb.meanTokenEntropy)
    var ra: [UpdateRecord] = [], rb: [UpdateRecord] = []
    _ = try shared.train(from: base, loss: PolicyLoss(.ppoDefault)) { r, _ in ra.append(r); return true }
    _ = try every.train(from: base, loss: PolicyLoss(.ppoDefault)) { r, _ in rb.append(r); return true }
    #expect(ra.count == 4 && rb.count == 4)
    // The first update's rollout is the same; its loss and entropy change agree to rounding.
    #expect(ra[1].trainAccuracy == rb[1].trainAccuracy && ra[1].meanTokenEntropy == rb[1].meanTokenEntropy)
    #expect(abs(ra[1].loss - rb[1].loss) < 1e-6)
    #expect(abs(ra[1].entropyChangeActual - rb[1].entropyChangeActual) < 1e-5)
  }
}
