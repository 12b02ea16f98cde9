import Foundation
import Games
import Testing

/// Agreement with Gambit's logit-QRE tracer on the games of `Fixtures/games` (a copy of
/// `shared/fixtures/games`): every QRE to 1e-8, the refined ones to 1e-10, the limit
/// equilibrium, the gaps, and the pitchfork of the symmetric battle of the sexes.
@Suite struct QREFixtureTests {
  struct Fixture {
    let game: NormalFormGame
    let object: [String: Any]
    var qre: [[String: Any]] { object["qre"] as? [[String: Any]] ?? [] }
  }

  static let names = ["matching_pennies", "rock_paper_scissors", "prisoners_dilemma", "battle_of_sexes", "stag_hunt", "random_3x4"]

  static func fixture(_ name: String) throws -> Fixture {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/games/\(name)", withExtension: "json"))
    let data = try Data(contentsOf: url)
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    return Fixture(game: try GameFiles.parseJSON(data, source: name), object: object)
  }

  static func doubles(_ x: Any?) -> [Double] { (x as? [Any] ?? []).map { ($0 as? NSNumber)?.doubleValue ?? .nan } }

  static func distance(_ p: QREPoint, _ x: [Double], _ y: [Double]) -> Double {
    zip(p.x + p.y, x + y).map { abs($0 - $1) }.max() ?? .infinity
  }

  /// Every fixture QRE on the principal branch (all of them, except the battle of the sexes
  /// past its pitchfork, where Gambit's tracer left the symmetric branch).
  @Test(arguments: names)
  func principalBranchMatchesGambit(name: String) throws {
    let f = try Self.fixture(name)
    let lambdas = f.qre.map { ($0["lambda"] as? NSNumber)!.doubleValue }
    let branch = try LogitQRESolver(f.game).trace(to: lambdas.max()!, requested: lambdas)
    for (entry, point) in zip(f.qre, branch.requested) {
      let lambda = (entry["lambda"] as? NSNumber)!.doubleValue
      if name == "battle_of_sexes", lambda > 1.3722 { continue }
      let gambit = Self.distance(point, Self.doubles(entry["player1"]), Self.doubles(entry["player2"]))
      #expect(gambit < 1e-8, "\(name) λ = \(lambda): \(gambit) from Gambit's QRE")
      let refined = try #require(entry["refined"] as? [String: Any])
      let tight = Self.distance(point, Self.doubles(refined["player1"]), Self.doubles(refined["player2"]))
      #expect(tight < 1e-10, "\(name) λ = \(lambda): \(tight) from the refined QRE")
      // The gaps of the profile, as the fixture computes them.
      let gaps = try #require(entry["gaps"] as? [String: Any])
      let ours = f.game.gaps(point.x, point.y, lambda: lambda)
      #expect(abs(ours.nashConv - (gaps["nash_conv"] as! NSNumber).doubleValue) < 1e-8)
      #expect(abs(ours.exploitability - (gaps["exploitability"] as! NSNumber).doubleValue) < 1e-8)
      #expect(ours.qreGap! < 1e-12, "\(name) λ = \(lambda): entropy-regularised gap \(ours.qreGap!)")
    }
    if name != "battle_of_sexes" { #expect(branch.events.isEmpty, "\(name): \(branch.events)") }
  }

  /// The symmetric battle of the sexes: the pitchfork near λ ≈ 1.3722 is detected and reported;
  /// staying on the symmetric branch gives QRE that the fixture lists among the other solutions
  /// and the mixed equilibrium (2/3, 1/3), (1/3, 2/3); switching branches one way follows
  /// Gambit's branch (all its QRE to 1e-8) to (Opera, Opera), the other way to (Football, Football).
  @Test func battleOfTheSexesPitchfork() throws {
    let f = try Self.fixture("battle_of_sexes")
    let lambdas = f.qre.map { ($0["lambda"] as? NSNumber)!.doubleValue }
    var solver = LogitQRESolver(f.game)
    let stay = try solver.trace(to: 50, requested: lambdas)
    let event = try #require(stay.events.first)
    #expect(event.kind == .bifurcation)
    #expect(abs(event.lambda - 1.372184) < 1e-5, "bifurcation at λ = \(event.lambda)")
    for (entry, point) in zip(f.qre, stay.requested) where point.lambda > 1.3722 {
      let others = (entry["multistart"] as? [String: Any])?["other_qre"] as? [[String: Any]] ?? []
      let best = others.map { Self.distance(point, Self.doubles($0["player1"]), Self.doubles($0["player2"])) }.min() ?? .infinity
      #expect(best < 1e-8, "λ = \(point.lambda): symmetric-branch QRE \(point.x), \(point.y) not among the fixture's others")
    }
    // The symmetric branch tends to the mixed equilibrium, slowly (the distance falls like 1/λ).
    #expect(abs(stay.end.x[0] - 2.0 / 3) < 0.05 && abs(stay.end.y[0] - 1.0 / 3) < 0.05, "\(stay.end.x), \(stay.end.y)")
    var ends: [[Double]] = []
    for sign in [1.0, -1.0] {
      solver.bifurcationPolicy = .switchBranch(sign: sign)
      let switched = try solver.trace(to: 50, requested: lambdas)
      #expect(switched.events.count == 1)
      ends.append(switched.end.x + switched.end.y)
      let matches = zip(f.qre, switched.requested).allSatisfy { entry, point in
        Self.distance(point, Self.doubles(entry["player1"]), Self.doubles(entry["player2"])) < 1e-8
      }
      if switched.end.x[0] > 0.5 { #expect(matches, "the branch to (Opera, Opera) is Gambit's") }
    }
    let rounded = ends.map { $0.map { $0.rounded() } }
    #expect(Set(rounded) == Set([[1, 0, 1, 0], [0, 1, 0, 1]]), "branch ends \(ends)")
  }

  /// The Nash equilibrium at the end of the principal branch, made exact on its support.
  @Test(arguments: ["matching_pennies", "rock_paper_scissors", "prisoners_dilemma", "stag_hunt", "random_3x4"])
  func limitEquilibrium(name: String) throws {
    let f = try Self.fixture(name)
    let limit = try LogitQRESolver(f.game).limitEquilibrium()
    let exact = try #require((f.object["logit_limit"] as? [String: Any])?["matched_nash_exact"] as? [String: Any])
    func rational(_ s: Any) -> Double {
      let parts = (s as! String).split(separator: "/").map { Double($0)! }
      return parts.count == 2 ? parts[0] / parts[1] : parts[0]
    }
    let x = (exact["player1"] as! [Any]).map(rational), y = (exact["player2"] as! [Any]).map(rational)
    let d = zip(limit.x + limit.y, x + y).map { abs($0 - $1) }.max()!
    #expect(d < 1e-9, "\(name): limit \(limit.x), \(limit.y) vs \(x), \(y)")
    #expect(limit.exact)
  }
}
