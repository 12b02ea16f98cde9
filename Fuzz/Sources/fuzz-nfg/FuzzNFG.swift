// libFuzzer target: Gambit `.nfg` text through `GameFiles.parseNFG`; an accepted game is within
// the profile limit and survives its own JSON unchanged.
import FuzzSupport
import Games

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNFG(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  guard let text = String(validating: UnsafeBufferPointer(start: data, count: size), as: UTF8.self) else { return 0 }
  guard let game = try? GameFiles.parseNFG(text, source: "fuzz.nfg") else { return 0 }
  precondition(game.payoff1.count * (game.payoff1.first?.count ?? 0) <= GameFiles.maximumProfiles, "a game beyond the profile limit was accepted")
  roundTrip(game)
  return 0
}
