// Matrix products of the shapes the networks use, against the core's fused multiply-add peak
// (measured here by a loop of independent FMAs) and numpy's `matmul` in the same run, one
// thread. Usage: swift run -c release matmul-bench [--rounds 7]
import BenchSupport
import Foundation
import LogitDynamics

var rounds = 7
var args = CommandLine.arguments.dropFirst().makeIterator()
while let a = args.next() {
  switch a {
  case "--rounds": rounds = Int(args.next() ?? "") ?? rounds
  default: print("unknown argument \(a)"); exit(2)
  }
}

/// FLOP/s of 12 independent FMA chains of `Lanes` lanes (the multiply-add pipes' peak when the
/// chains fit the registers: 16 lanes with AVX-512, 8 with AVX2, where 12 16-lane chains would
/// spill).
@inline(never)
func fmaPeak<V: SIMD>(_: V.Type) -> Double where V.Scalar == Float {
  var best = 0.0
  let x = V(repeating: 0.999_999), y = V(repeating: 1e-7)
  var sink: Float = 0
  for _ in 0..<5 {
    let n = 2_000_000
    let t = now()
    var a0 = V(repeating: 1), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0
    for _ in 0..<n {
      a0 = a0.addingProduct(x, y); a1 = a1.addingProduct(x, y); a2 = a2.addingProduct(x, y); a3 = a3.addingProduct(x, y)
      a4 = a4.addingProduct(x, y); a5 = a5.addingProduct(x, y); a6 = a6.addingProduct(x, y); a7 = a7.addingProduct(x, y)
      a8 = a8.addingProduct(x, y); a9 = a9.addingProduct(x, y); a10 = a10.addingProduct(x, y); a11 = a11.addingProduct(x, y)
    }
    sink += (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11)[0]
    best = max(best, Double(n) * 12 * Double(V.scalarCount) * 2 / (now() - t))
  }
  if sink.isNaN { print("") }
  return best
}

/// The peak of this build: the better of 16- and 8-lane chains.
func fmaPeak() -> Double { max(fmaPeak(SIMD16<Float>.self), fmaPeak(SIMD8<Float>.self)) }

enum Op: String, CaseIterable { case ab = "A·B", atb = "Aᵀ·B", abt = "A·Bᵀ" }
/// (m, n, k) of the product C[m×n]; the first is the issue's target shape.
let shapes = [(256, 128, 128), (256, 10, 128), (128, 128, 256), (256, 64, 32), (256, 16, 64), (64, 128, 256), (32, 128, 256)]

func time(_ op: Op, _ m: Int, _ n: Int, _ k: Int, rounds: Int) -> Double {
  var rng = Xoshiro256StarStar(seed: 1)
  let (ar, ac) = op == .atb ? (k, m) : (m, k)
  let (br, bc) = op == .abt ? (n, k) : (k, n)
  let a = Matrix(rows: ar, columns: ac), b = Matrix(rows: br, columns: bc), c = Matrix(rows: m, columns: n)
  for i in 0..<(ar * ac) { a.base[i] = Float(rng.nextGaussian()) }
  for i in 0..<(br * bc) { b.base[i] = Float(rng.nextGaussian()) }
  let scratch = ProductScratch(k: max(k, n), n: max(k, n))
  let reps = max(10, Int(2e8 / Double(2 * m * n * k)))
  var best = Double.infinity
  for _ in 0..<rounds {
    let t = now()
    for _ in 0..<reps {
      switch op {
      case .ab: MatrixProduct.multiply(a.view, b.view, into: c.mutableView, scratch: scratch)
      case .atb: MatrixProduct.multiplyTransposingA(a.view, b.view, into: c.mutableView, scratch: scratch)
      case .abt: MatrixProduct.multiplyTransposingB(a.view, b.view, into: c.mutableView, scratch: scratch)
      }
    }
    best = min(best, (now() - t) / Double(reps))
  }
  return 2 * Double(m * n * k) / best
}

let numpyScript = """
import json, sys, time, os
import numpy as np
shapes = json.loads(sys.argv[1]); rounds = int(sys.argv[2])
out = {}
for m, n, k in shapes:
    for op in ("ab", "atb", "abt"):
        rng = np.random.default_rng(1)
        A = rng.standard_normal((k, m) if op == "atb" else (m, k)).astype(np.float32)
        B = rng.standard_normal((n, k) if op == "abt" else (k, n)).astype(np.float32)
        f = {"ab": lambda: A @ B, "atb": lambda: A.T @ B, "abt": lambda: A @ B.T}[op]
        reps = max(10, int(2e8 / (2 * m * n * k)))
        best = 1e9
        for _ in range(rounds):
            t = time.perf_counter()
            for _ in range(reps): f()
            best = min(best, (time.perf_counter() - t) / reps)
        out[f"{m},{n},{k},{op}"] = 2 * m * n * k / best
print(json.dumps(out))
"""
let peak = fmaPeak()
let shapeJSON = "[" + shapes.map { "[\($0.0),\($0.1),\($0.2)]" }.joined(separator: ",") + "]"
// numpy with one BLAS thread (the products here are one core's work).
let numpyOut = shell("OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python3 -c '\(numpyScript)' '\(shapeJSON)' \(rounds)")
let numpy = (try? JSONSerialization.jsonObject(with: Data(numpyOut.utf8))) as? [String: Double] ?? [:]
print(String(format: "FMA peak, one core: %.1f GFLOP/s (12 independent fused multiply-add chains of 16 or 8 lanes, the better)", peak / 1e9))
print("shape (m×n×k)     op     GFLOP/s  of peak  numpy GFLOP/s  ratio vs numpy")
for (m, n, k) in shapes {
  for op in Op.allCases {
    let g = time(op, m, n, k, rounds: rounds)
    let key = "\(m),\(n),\(k),\(op == .ab ? "ab" : op == .atb ? "atb" : "abt")"
    let np = numpy[key]
    print(String(format: "%-17@ %-6@ %7.1f  %6.1f%%  %13@  %@", "\(m)×\(n)×\(k)" as NSString, op.rawValue as NSString, g / 1e9, 100 * g / peak,
                 (np.map { String(format: "%.1f", $0 / 1e9) } ?? "n/a") as NSString, (np.map { String(format: "%.2f×", g / $0) } ?? "n/a") as NSString))
    print("{\"bench\":\"matmul\",\"m\":\(m),\"n\":\(n),\"k\":\(k),\"op\":\"\(op.rawValue)\",\"gflops\":\(g / 1e9),\"peak_gflops\":\(peak / 1e9),\"numpy_gflops\":\(np.map { "\($0 / 1e9)" } ?? "null")}")
  }
}
