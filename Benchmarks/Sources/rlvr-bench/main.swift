// Tokens generated per second and RL updates per second of the mini-RLVR trainer (hidden-ops,
// MLP 78→128→128→10, 32 prompts × 8 samples per update, 4 PPO mini-batches), one thread.
// Usage: swift run -c release rlvr-bench [--hidden 128] [--updates 50]
import Foundation
import BenchSupport
import LogitDynamics

var hidden = 128, updates = 50
var args = CommandLine.arguments.dropFirst().makeIterator()
while let a = args.next() {
  switch a {
  case "--hidden": hidden = Int(args.next() ?? "") ?? hidden
  case "--updates": updates = Int(args.next() ?? "") ?? updates
  default: print("unknown argument \(a)"); exit(2)
  }
}
var s = RLVRSettings()
s.hidden = hidden
s.sftSteps = 0
s.updates = updates
s.evalEvery = 1_000_000
s.evalPrompts = 1
s.evalSamples = 1
let trainer = try RLVRTrainer(s)
let policy = SequencePolicy(inputs: SequencePolicy.inputDimension(trainer.task), hidden: hidden, vocabulary: 10, seed: 1)
var rng = Xoshiro256StarStar(seed: 1)
var t = now()
let sequences = 4000
for i in 0..<sequences { _ = trainer.sample(policy, trainer.task.train[i % trainer.task.train.count], &rng) }
let sampling = Double(sequences * trainer.task.answerLength) / (now() - t)
t = now()
_ = try trainer.train(from: policy, loss: PolicyLoss(.ppoDefault)) { _, _ in true }
let perUpdate = (now() - t) / Double(updates)
print(String(format: "hidden %d: sampling %.2f M tokens/s; %.1f RL updates/s (%.1f ms each: 1024 tokens sampled, 4 mini-batches of loss + backward), one thread",
             hidden, sampling / 1e6, 1 / perUpdate, perUpdate * 1e3))
