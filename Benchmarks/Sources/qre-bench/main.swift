// Times tracing the principal logit-QRE branch of random 5×5 games from λ = 0 to 50 (corrector
// tolerance 1e-10, exact solve at λ = 50), next to Gambit's tracer (pygambit's
// logit_solve_lambda) on the same games when pygambit is installed (`pip install pygambit`),
// and checks that both end at the same QRE. Usage:
//   swift run -c release qre-bench [--games 5] [--size 5] [--repeats 5]
import Foundation
import BenchSupport
import LogitDynamics

var games = 5, size = 5, repeats = 5
var args = CommandLine.arguments.dropFirst().makeIterator()
while let a = args.next() {
  switch a {
  case "--games": games = Int(args.next() ?? "") ?? games
  case "--size": size = Int(args.next() ?? "") ?? size
  case "--repeats": repeats = Int(args.next() ?? "") ?? repeats
  default: print("unknown argument \(a)"); exit(2)
  }
}

let hasGambit = python("import pygambit") != nil
print("logit QRE: principal branch of random \(size)×\(size) games, λ = 0 → 50, tolerance 1e-10")
if !hasGambit { print("  (pygambit is not installed: `pip install pygambit` to time Gambit's tracer next to ours)") }
var ratios: [Double] = []
for seed in 0..<games {
  let game = try GameLibrary.random(rows: size, columns: size, seed: UInt64(seed))
  var solver = LogitQRESolver(game)
  solver.tolerance = 1e-10
  var times: [Double] = []
  var end: QREPoint?
  var points = 0, events = 0
  for _ in 0..<repeats {
    let t = now()
    let branch = try solver.trace(to: 50)
    times.append(now() - t)
    end = branch.end
    points = branch.points.count
    events = branch.events.count
  }
  let ours = times.sorted()[times.count / 2]
  var line = String(format: "seed %d: ours %8.3f ms (%d points, %d events)", seed, ours * 1e3, points, events)
  if hasGambit, let end {
    let a = game.payoff1.map { "[" + $0.map { "\($0)" }.joined(separator: ",") + "]" }.joined(separator: ",")
    let b = game.payoff2.map { "[" + $0.map { "\($0)" }.joined(separator: ",") + "]" }.joined(separator: ",")
    let script = """
      import pygambit as gbt, numpy as np, time, json
      A = np.array([\(a)]); B = np.array([\(b)])
      g = gbt.Game.from_arrays(A, B)
      ts = []
      for _ in range(\(repeats)):
          t = time.perf_counter(); r = gbt.qre.logit_solve_lambda(g, lam=50.0); ts.append(time.perf_counter() - t)
      prof = r[0] if isinstance(r, list) else r
      x, y = json.loads(repr(prof).split("profile=")[1][:-1])
      print(json.dumps({"seconds": sorted(ts)[len(ts)//2], "x": x, "y": y}))
      """
    if let out = python(script), let object = try? JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any],
      let seconds = object["seconds"] as? Double, let x = object["x"] as? [Double], let y = object["y"] as? [Double]
    {
      let distance = zip(end.x + end.y, x + y).map { abs($0 - $1) }.max() ?? .nan
      ratios.append(seconds / ours)
      line += String(format: "   Gambit %8.3f ms   ours %.1fx faster   max|Δp| at λ=50: %.1e", seconds * 1e3, seconds / ours, distance)
    } else {
      line += "   Gambit: failed to run"
    }
  }
  print(line)
}
if !ratios.isEmpty {
  print(String(format: "median speed-up over Gambit: %.1fx", ratios.sorted()[ratios.count / 2]))
}
