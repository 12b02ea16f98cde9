// One full mini-RLVR update against ../shared/bench/rlvr_update.py (numpy float32 with a
// hand-written batched backward pass, eager torch with autograd), in the same run. The unit is
// the anchor's: 32 prompts × 8 samples generated together (4 positions, 1024 tokens, features,
// pre-update logits and log-probs kept), GRPO advantages, one PPO-clip epoch of 4 shuffled
// mini-batches of 64 sequences (forward, loss, backward, global-norm clip 1.0, Adam at 1e-3 with
// fresh state every update), then the diagnostics (entropy of the rollout, logits of the updated
// policy on the same 1024 states, predicted and measured entropy change). Policy as the anchor's:
// MLP 78 → 128 → 128 → 10, ReLU, He init, output N(0, (0.5/√128)²). Our task is hidden-ops
// (the anchor's "skill" task has the same prompt shape and answer length; the cost of an update
// does not depend on the rules). Each round starts from fresh parameters after 10 untimed
// warm-up updates, as the anchor does.
// Usage: swift run -c release rlvr-bench [--updates 200] [--rounds 3] [--hidden 128] [--no-anchor] [--no-sharing]
// (--no-sharing: run every row, not only the distinct states of a batch; see DistinctRows)
import BenchSupport
import Dispatch
import Foundation
import LogitDynamics

var hidden = 128, updates = 200, rounds = 3, anchor = true
nonisolated(unsafe) var sharing = true
var args = CommandLine.arguments.dropFirst().makeIterator()
while let a = args.next() {
  switch a {
  case "--hidden": hidden = Int(args.next() ?? "") ?? hidden
  case "--updates": updates = Int(args.next() ?? "") ?? updates
  case "--rounds": rounds = Int(args.next() ?? "") ?? rounds
  case "--no-anchor": anchor = false
  case "--no-sharing": sharing = false
  default: print("unknown argument \(a)"); exit(2)
  }
}

func settings(seed: UInt64, updates: Int, hidden: Int) -> RLVRSettings {
  var s = RLVRSettings()
  s.hidden = hidden
  s.activation = .relu
  s.initialization = .he
  s.gradientClip = 1
  s.freshOptimizerEachUpdate = true
  s.sftSteps = 0
  s.updates = updates
  s.evalEvery = 1_000_000
  s.evalPrompts = 1
  s.evalSamples = 1
  s.seed = seed
  s.shareIdenticalStates = sharing
  return s
}

/// Seconds per update of `updates` updates from fresh parameters (after 10 warm-up updates).
func secondsPerUpdate(seed: UInt64, updates: Int, hidden: Int) throws -> Double {
  let warm = try RLVRTrainer(settings(seed: seed, updates: 10, hidden: hidden))
  _ = try warm.train(from: warm.initialPolicy(), loss: PolicyLoss(.ppoDefault)) { _, _ in true }
  let trainer = try RLVRTrainer(settings(seed: seed, updates: updates, hidden: hidden))
  let policy = trainer.initialPolicy()
  let t = now()
  _ = try trainer.train(from: policy, loss: PolicyLoss(.ppoDefault)) { _, _ in true }
  return (now() - t) / Double(updates)
}

// The anchor first (numpy, torch; one JSON line per implementation and round).
var anchorRates: [String: [Double]] = [:]
if anchor {
  let text = shell("python3 \(sharedBench)/rlvr_update.py --impl all --updates \(updates) --rounds \(rounds)")
  for line in jsonLines(text) {
    if let impl = line["impl"] as? String, let r = line["updates_per_s"] as? Double { anchorRates[impl, default: []].append(r) }
  }
  if anchorRates.isEmpty { print("anchor did not run (pip install numpy torch)") }
}

// One stream (one thread), then two independent streams on two threads (throughput).
var single: [Double] = []
for r in 0..<rounds { single.append(1 / (try secondsPerUpdate(seed: UInt64(r + 1), updates: updates, hidden: hidden))) }
let oneThread = single.reduce(0, +) / Double(single.count)
final class Box: @unchecked Sendable { var rates = [Double](repeating: 0, count: 2) }
let box = Box()
let (u, h) = (updates, hidden)
let t = now()
DispatchQueue.concurrentPerform(iterations: 2) { i in box.rates[i] = (try? secondsPerUpdate(seed: UInt64(100 + i), updates: u, hidden: h)).map { 1 / $0 } ?? 0 }
let twoThreads = box.rates.reduce(0, +)
_ = t
print(String(format: "logitdyn: %.0f updates/s on one thread (mean of %d rounds of %d); %.0f updates/s from two streams on two threads",
             oneThread, rounds, updates, twoThreads))
print(String(format: "{\"bench\":\"rlvr_update\",\"impl\":\"logitdyn\",\"updates_per_s\":%.1f,\"two_streams_updates_per_s\":%.1f}", oneThread, twoThreads))
for impl in ["numpy", "torch"] {
  guard let rates = anchorRates[impl], !rates.isEmpty else { continue }
  let mean = rates.reduce(0, +) / Double(rates.count)
  print(String(format: "%-6@ %7.1f updates/s   logitdyn / %@ = %.2f× (one thread), %.2f× (two streams)", impl as NSString, mean, impl as NSString, oneThread / mean, twoThreads / mean))
  print(String(format: "{\"bench\":\"rlvr_update\",\"anchor\":\"%@\",\"anchor_updates_per_s\":%.1f,\"ratio_one_thread\":%.3f,\"ratio_two_streams\":%.3f}", impl as NSString, mean, oneThread / mean, twoThreads / mean))
}
