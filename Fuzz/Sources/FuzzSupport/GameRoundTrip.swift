import Games

/// Writes `game` as JSON with `GameFiles.json` and reads it back: the name, labels and
/// payoffs must come back unchanged (payoffs to within the shortest round-trip printing).
public func roundTrip(_ game: NormalFormGame) {
  let text = GameFiles.json(game)
  let back: NormalFormGame
  do { back = try GameFiles.parseJSON(Array(text.utf8), source: "round-trip") } catch {
    preconditionFailure("an accepted game does not survive its own JSON: \(error)\n\(text)")
  }
  precondition(back.name == game.name && back.labels == game.labels, "the name or labels changed in the JSON round trip")
  precondition(back.payoff1 == game.payoff1 && back.payoff2 == game.payoff2, "the payoffs changed in the JSON round trip")
}
