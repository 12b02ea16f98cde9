// The lab's MLP policy gradient against ../shared/bench/mlp_pg.py (JAX under one jit(lax.scan),
// eager torch), in the same run. The Swift side is timed as the issue states it: the release
// `logitdyn run --env contextual-bandit --dim 32 --arms 16 --policy mlp --hidden 64 --optimizer
// adam --batch 256 --runs 1 --steps 2000` with the default probes, wall time of the whole
// process (median of --rounds), so start-up and writing the series count against us.
// Usage: swift run -c release mlp-pg-bench [--rounds 5] [--steps 2000] [--impls jax_scan,torch]
//        [--logitdyn PATH]   (default ../.build/release/logitdyn: build it first with
//        `swift build -c release` in the project folder)
import BenchSupport
import Foundation

var rounds = 5, steps = 2000, impls = "jax_scan,torch,torch_1thread"
var binary = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../.build/release/logitdyn").standardized.path
var args = CommandLine.arguments.dropFirst().makeIterator()
while let a = args.next() {
  switch a {
  case "--rounds": rounds = Int(args.next() ?? "") ?? rounds
  case "--steps": steps = Int(args.next() ?? "") ?? steps
  case "--impls": impls = args.next() ?? impls
  case "--logitdyn": binary = args.next() ?? binary
  default: print("unknown argument \(a)"); exit(2)
  }
}
guard FileManager.default.isExecutableFile(atPath: binary) else {
  print("no logitdyn at \(binary): run `swift build -c release` in the project folder (or pass --logitdyn PATH)")
  exit(2)
}

/// Median wall seconds of the CLI run over `rounds` (after one warm-up).
@MainActor func swiftSeconds() -> (median: Double, all: [Double]) {
  let out = NSTemporaryDirectory() + "mlp-pg-bench-\(getpid())"
  defer { try? FileManager.default.removeItem(atPath: out) }
  let command = "\(binary) run --env contextual-bandit --dim 32 --arms 16 --policy mlp --hidden 64 --optimizer adam --batch 256 --runs 1 --steps \(steps) --quiet --out \(out)"
  _ = shell(command)
  var times: [Double] = []
  for _ in 0..<rounds {
    let t = now()
    _ = shell(command)
    times.append(now() - t)
  }
  return (times.sorted()[times.count / 2], times)
}

// Interleaved: anchor, Swift, anchor, so that a noisy machine hurts both alike.
let script = "\(sharedBench)/mlp_pg.py"
// The anchor script stops at the first implementation whose package is missing: run only the
// ones that import (torch is several GB; jax alone is a quick install).
let available = impls.split(separator: ",").map(String.init).filter { impl in
  let module = impl.hasPrefix("jax") ? "jax, optax" : "torch"
  return shell("python3 -c 'import \(module); print(1)' 2>/dev/null").hasPrefix("1")
}
if available.count < impls.split(separator: ",").count {
  print("note: anchors without their package skipped: " + impls.split(separator: ",").map(String.init).filter { !available.contains($0) }.joined(separator: ", "))
}
let anchorArgs = "--steps \(steps) --rounds \(max(3, rounds)) --impls \(available.joined(separator: ","))"
let first = jsonLines(shell("python3 \(script) \(anchorArgs)"))
let ours = swiftSeconds()
let second = jsonLines(shell("python3 \(script) \(anchorArgs)"))
let oursPerSecond = Double(steps) / ours.median
print(String(format: "logitdyn run (MLP 32→64→16 tanh, batch 256, Adam, %d steps, probes on): median %.3f s of %d → %.0f steps/s",
             steps, ours.median, rounds, oursPerSecond))
print(String(format: "{\"bench\":\"mlp_pg\",\"impl\":\"logitdyn\",\"steps_per_s\":%.1f,\"median_s\":%.4f}", oursPerSecond, ours.median))
if first.isEmpty && second.isEmpty { print("anchor did not run (pip install numpy \"jax[cpu]\" optax torch)") }
for impl in impls.split(separator: ",").map(String.init) {
  let rates = (first + second).filter { ($0["impl"] as? String) == impl }.compactMap { $0["steps_per_s"] as? Double }
  guard !rates.isEmpty else { print("\(impl): not measured"); continue }
  let mean = rates.reduce(0, +) / Double(rates.count)
  print(String(format: "%-14@ %8.0f steps/s (mean of %d anchor runs)   logitdyn / %@ = %.2f×", impl as NSString, mean, rates.count, impl as NSString, oursPerSecond / mean))
  print(String(format: "{\"bench\":\"mlp_pg\",\"anchor\":\"%@\",\"anchor_steps_per_s\":%.1f,\"logitdyn_steps_per_s\":%.1f,\"ratio\":%.3f}", impl as NSString, mean, oursPerSecond, oursPerSecond / mean))
}
