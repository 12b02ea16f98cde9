// libFuzzer target: JSON loss batches through `LossBatchFile.parseJSON` (strict JSON, the named
// arrays, shapes, ranges), then three of the published losses evaluated on an accepted batch
// (PPO with verl's defaults, Clip-Cov, KL-Cov). Their value is not asserted: finite inputs
// such as an advantage of 1e308 legitimately overflow, as they do in verl.
import FuzzSupport
import LogitAnalysis
import PolicyLosses

let losses: [PolicyLoss] = [
  PolicyLoss(.ppoDefault),
  PolicyLoss(.clipCov(clipLow: 0.2, clipHigh: 0.2, ratio: 0.2, lowerBound: 1, upperBound: 5, draw: .seeded(1))),
  PolicyLoss(.klCov(ratio: 0.2, coefficient: 1)),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLossBatch(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  guard let batch = try? LossBatchFile.parseJSON(bytes, source: "fuzz.json", temperature: 1) else { return 0 }
  for loss in losses { blackHole(try? loss.evaluate(batch)) }
  return 0
}
