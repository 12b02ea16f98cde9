// Run-steps per second of the lab's tabular bandit runner in the configuration of
// ../shared/bench/bandit_pg.py (N = 1024 Gaussian-bandit runs, K = 10 and 100, 1000 steps,
// REINFORCE with a running-mean baseline (rate 0.01), lr 0.1, arm means and noise N(0, 1),
// per-step means of reward, entropy, collision probability and update norm), on 1 and 2
// threads, next to the numpy and JAX anchors measured in the same run (JAX when installed).
// Our runner computes the same four probes as the anchor; a last line per K shows the cost of
// all its probes (closed-form norm, zero sum, entropy change predicted and actual, regret, p_c);
// with --quantiles also the 10/50/90% quantiles over runs (a sort per probe per step).
// Usage: swift run -c release bandit-bench [--arms 10,100] [--runs 1024] [--steps 1000]
//        [--repeats 5] [--quantiles] [--no-anchors]
import Foundation
import BenchSupport
import LogitDynamics

var armsList = [10, 100], runs = 1024, steps = 1000, repeats = 5, quantiles = false, anchors = true
var args = CommandLine.arguments.dropFirst().makeIterator()
while let a = args.next() {
  switch a {
  case "--arms": armsList = (args.next() ?? "").split(separator: ",").compactMap { Int($0) }
  case "--runs": runs = Int(args.next() ?? "") ?? runs
  case "--steps": steps = Int(args.next() ?? "") ?? steps
  case "--repeats": repeats = Int(args.next() ?? "") ?? repeats
  case "--quantiles": quantiles = true
  case "--no-anchors": anchors = false
  default: print("unknown argument \(a)"); exit(2)
  }
}

print("bandit PG, N = \(runs) runs × \(steps) steps, REINFORCE + running-mean baseline, lr 0.1\(quantiles ? ", with quantiles" : "")")
for k in armsList {
  var experiment = BanditExperiment(
    bandit: BanditSpec(kind: .gaussian, arms: k), rule: .reinforceBaseline(rate: 0.01),
    learningRate: 0.1, runs: runs, steps: steps, seed: 0)
  experiment.quantiles = quantiles
  var mine: [Int: Double] = [:]
  for (threads, allProbes) in [(1, false), (2, false), (2, true)] {
    experiment.probes = allProbes ? Set(Probe.allCases) : [.reward, .entropy, .collision, .updateNorm]
    var times: [Double] = []
    var finalReward = 0.0, finalEntropy = 0.0
    for _ in 0..<repeats {
      var rewards: [Double] = [], entropy = 0.0
      let t = now()
      _ = try experiment.run(threads: threads) { agg in
        rewards.append(agg.mean[Probe.reward.rawValue])
        entropy = agg.mean[Probe.entropy.rawValue]
        return true
      }
      times.append(now() - t)
      finalReward = rewards.suffix(50).reduce(0, +) / Double(min(50, rewards.count))
      finalEntropy = entropy
    }
    let median = times.sorted()[times.count / 2]
    let rate = Double(runs * steps) / median
    if !allProbes { mine[threads] = rate }
    let label = allProbes ? "all probes" : "4 probes"
    print(String(format: "K = %-4d ours, %d thr, %@   %8.2f M run-steps/s   (median of %d: %.4f s; final reward %.3f, entropy %.3f)",
                 k, threads, label as NSString, rate / 1e6, repeats, median, finalReward, finalEntropy))
    print(#"{"impl":"logitdyn","K":\#(k),"threads":\#(threads),"probes":"\#(allProbes ? "all" : "anchor")","run_steps_per_s":\#(Int(rate))}"#)
  }
  guard anchors else { continue }
  let lines = jsonLines(shell("python3 \(sharedBench)/bandit_pg.py --impl numpy,jax --runs \(runs) --arms \(k) --steps \(steps) --repeats 3"))
  if lines.isEmpty { print("  anchors: python3 with numpy not found") }
  var fastest = 0.0
  for line in lines {
    let impl = line["impl"] as? String ?? "?"
    if let rate = line["run_steps_per_s"] as? Double {
      fastest = max(fastest, rate)
      print(String(format: "  anchor %-6@ %8.2f M run-steps/s   ours(2 thr, 4 probes)/anchor %.1fx   (final reward %@, entropy %@)",
                   impl as NSString, rate / 1e6, mine[2]! / rate,
                   "\(line["final_mean_reward"] ?? "?")" as NSString, "\(line["final_entropy"] ?? "?")" as NSString))
    } else {
      print("  anchor \(impl): skipped (\(line["skipped"] as? String ?? "not installed"))")
    }
  }
  if fastest > 0 {
    print(String(format: "  K = %d: ours on 2 threads is %.1fx the faster anchor (target 10x)", k, mine[2]! / fastest))
  }
}
