// libFuzzer target: TOML text through `TOMLText` (our check in front of TOMLKit's toml++, whose
// assertions abort the process) and `SweepConfig` (fields, types, grid size), then the grid
// (expanded only when small: a grid of up to 10⁶ points is valid and takes its time).
import FuzzSupport
import Sweeps

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTOML(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  guard let text = String(validating: UnsafeBufferPointer(start: data, count: size), as: UTF8.self) else { return 0 }
  guard let config = try? SweepConfig(text: text, path: "fuzz.toml") else {
    blackHole(try? TOMLText.parse(text, path: "fuzz.toml"))
    return 0
  }
  let points = config.sweep.reduce(1.0) { $0 * Double($1.1.count) }
  precondition(points <= Double(SweepConfig.maximumGridPoints), "a grid of \(points) points was accepted")
  if points <= 10_000 { precondition(config.expand().count == Int(points), "the grid does not have the points its lists make") }
  return 0
}
