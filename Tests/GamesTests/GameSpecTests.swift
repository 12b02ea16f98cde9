import Games
import Testing

@Suite struct GameSpecTests {
  @Test func libraryAndRandomNames() throws {
    #expect(try GameLibrary.game(spec: "battle-of-the-sexes").payoff1 == [[2, 0], [0, 1]])
    let a = try GameLibrary.game(spec: "random-3x4-seed7"), b = try GameLibrary.random(rows: 3, columns: 4, seed: 7)
    #expect(a.payoff1 == b.payoff1 && a.payoff2 == b.payoff2)
    #expect(try GameLibrary.game(spec: "random-2x2").payoff1 == (try GameLibrary.random(rows: 2, columns: 2, seed: 0)).payoff1)
    for bad in ["random-3", "random-3x4-7", "random-3x4-seedx", "random-3x4-seed1-extra", "no-such-game"] {
      #expect(throws: GameError.self, "\(bad)") { try GameLibrary.game(spec: bad) }
    }
  }
}
