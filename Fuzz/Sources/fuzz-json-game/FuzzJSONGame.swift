// libFuzzer target: JSON games through `GameFiles.parseJSON` (strict JSON, payoff matrices,
// labels); an accepted game must survive its own JSON unchanged.
import FuzzSupport
import Games

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONGame(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  guard let game = try? GameFiles.parseJSON(bytes, source: "fuzz.json") else { return 0 }
  roundTrip(game)
  return 0
}
