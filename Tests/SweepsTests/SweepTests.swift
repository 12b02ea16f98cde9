import Foundation
import PGLab
import Sweeps
import TOMLKit
import Testing

@Suite struct SweepConfigTests {
  static let text = """
    [run]
    env = "gaussian-bandit"
    arms = 10
    runs = 64
    steps = 100

    [loss]
    name = "kl_cov"
    kl_cov_ratio = 0.2

    [sweep]
    lr = [0.01, 0.1, 1]
    seed = [1, 2]
    "loss.ppo_kl_coef" = [0.1, 1.0]
    """

  @Test func gridExpansionAndIdentities() throws {
    let config = try SweepConfig(text: Self.text, path: "s.toml")
    let runs = config.expand()
    #expect(runs.count == 12)
    // The first swept field varies slowest.
    #expect(runs[0].varied.map(\.1.description) == ["0.01", "1", "0.1"] && runs[11].varied.map(\.1.description) == ["1", "2", "1.0"])
    #expect(Set(runs.map(\.id)).count == 12)
    // Each run is a typed configuration built through the one schema.
    guard case .lab(let c) = try runs[3].job() else { Issue.record("not a lab run"); return }
    #expect(c.learningRate == 0.01 && c.seed == 2 && c.runs == 64 && c.arms == 10)
    #expect(c.loss == "kl_cov" && c.lossParameters == ["kl_cov_ratio": "0.2", "ppo_kl_coef": "1.0"])
    #expect(try c.makeRunner().isVectorised == false)
    // Identities depend on the configuration only.
    #expect(try SweepConfig(text: Self.text, path: "other.toml").expand().map(\.id) == runs.map(\.id))
  }

  /// A table header followed by a comment keeps its keys' lines (messages) and file order (the
  /// grid's nesting order).
  @Test func headersWithCommentsKeepLinesAndOrder() throws {
    let text = "[run]  # the lab run\narms = 4\n[sweep]   # the grid\nseed = [1, 2]\nlr = [0.1, 0.2, 0.3]\n"
    let config = try SweepConfig(text: text, path: "s.toml")
    #expect(config.sweep.map(\.0) == ["seed", "lr"])
    do {
      _ = try SweepConfig(text: "[run]  # c\narms = 4\n[sweep]  # c\nseed = 3\n", path: "s.toml")
      Issue.record("accepted")
    } catch {
      #expect(error.description.hasPrefix("s.toml:4: field 'sweep.seed' must be a non-empty list"), "\(error.description)")
    }
  }

  /// Identities are JSON that parses, whatever the strings hold.
  @Test func configurationJSONEscapesControlCharacters() throws {
    let spec = try SweepConfig(text: "[run]\nenv = \"a\\nb\\tc\\u0001\\\"\"\n", path: "s.toml").expand()[0]
    let parsed = try JSONSerialization.jsonObject(with: Data(spec.configJSON.utf8)) as? [String: Any]
    #expect((parsed?["run"] as? [String: Any])?["env"] as? String == "a\nb\tc\u{1}\"")
  }

  @Test(arguments: [1, 2, 3, 5, 12, 13])
  func shardsCoverTheSweepExactlyOnce(n: Int) throws {
    let runs = try SweepConfig(text: Self.text, path: "s.toml").expand()
    var seen: [Int] = []
    for i in 1...n { seen += try SweepConfig.shard(runs, index: i, of: n).map(\.index) }
    #expect(seen.sorted() == Array(0..<runs.count))
  }

  @Test(arguments: [
    ("[run]\narms = 10\nbogus = 3\n", "s.toml:3: unknown field 'run.bogus'"),
    ("[run]\narms = \"ten\"\n", "s.toml:2: field 'run.arms' must be an integer, got \"ten\""),
    ("[run]\narms = 10\n[sweep]\nlr = 0.1\n", "s.toml:4: field 'sweep.lr' must be a non-empty list"),
    ("[run]\narms = 10\n[sweep]\nlearning_rate = [0.1]\n", "s.toml:4: unknown field 'sweep.learning_rate'"),
    ("[run]\narms = 10\n[sweep]\nlr = [\"fast\"]\n", "s.toml:4: values of 'sweep.lr' must be numbers"),
    ("[runs]\narms = 10\n", "s.toml:1: unknown field or table 'runs'"),
    ("[run]\narms = \n", "s.toml:2:"),
    ("arms = 10\n", "s.toml:1: unknown field or table 'arms'"),
    ("[run]\narms = 10\n[loss]\nname = \"vanilla\"\nentropy_coef = 0.1\n", "s.toml:5: unknown field 'loss.entropy_coef' (fields: name, "),
    ("[run]\narms = 10\n[loss]\nname = \"vanilla\"\n[sweep]\n\"loss.entropy_coef\" = [0.1]\n", "s.toml:6: unknown field 'sweep.loss.entropy_coef' (loss parameters: "),
    ("[game]\ngame = \"rps\"\narms = 3\n", "s.toml:3: unknown field 'game.arms' (fields: game, lambda, lr, reference_lambda, rule, seed, steps, tau)"),
  ])
  func badFilesNameTheFileLineAndField(text: String, fragment: String) {
    do {
      _ = try SweepConfig(text: text, path: "s.toml")
      Issue.record("accepted: \(text)")
    } catch {
      #expect(error.description.hasPrefix(fragment), "\(error.description)")
    }
  }
}

@Suite struct TOMLTextTests {
  @Test(arguments: [
    ("[,]", 1, 2), ("[=]", 1, 2), ("[.]", 1, 2), ("[{", 1, 2), ("[[.]]", 1, 3), ("  [ ,]", 1, 5),
    ("a = [}", 1, 6), ("a = [1,}", 1, 8), ("a = {b = [}", 1, 11), ("a = [\n}", 2, 1), ("a = [ # c\n  }", 2, 3),
    ("a = [ 1, [ }, ]", 1, 12), ("x = \"[\"\n[run]\na = [[}]]", 3, 7), ("[\rrms = 4", 1, 2), ("[[\r]]", 1, 3), ("\u{FEFF}[\n[\t\tr", 1, 2), ("m =1655-01-01 1\t1-", 1, 4), ("[run]\nd = [2000-12-31 1]", 2, 6),
  ])
  func abortingInputsAreProblems(text: String, line: Int, column: Int) throws {
    let p = try #require(TOMLText.precheck(text))
    #expect(p.line == line && p.column == column, "\(p)")
    #expect(throws: SweepError.self) { try TOMLText.parse(text, path: "f.toml") }
  }

  @Test func validTOMLThatLooksLikeThemParses() throws {
    let text = """
      # a comment with [,] and a = [}
      title = "[=] and [}"
      literal = '[{'
      multi = \"\"\"
      [.]
      a = [1,}
      \"\"\"
      [run]
      arms = [
        1, # one
        2, # two, and a trailing comma
      ]
      nested = [[1, 2], [3], []]
      table = { a = [1, 2], b = { c = "}" } }
      [[series]]
      "quoted key" = 1
      ['lit'.x]
      y = [ ]
      when = 1979-05-27 07:32:00Z
      day = 1979-05-27 # a date, then a comment
      """
    #expect(TOMLText.precheck(text) == nil)
    let table = try TOMLText.parse(text, path: "f.toml")
    #expect(table["title"]?.string == "[=] and [}")
    #expect(table["run"]?.table?["arms"]?.array?.count == 2)
    #expect(table["run"]?.table?["table"]?.table?["b"]?.table?["c"]?.string == "}")
  }

  @Test func tomlkitErrorsKeepTheirPlace() throws {
    #expect(throws: SweepError("f.toml:1:4: Error while parsing key: expected bare key starting character or string delimiter, saw ']'")) {
      try TOMLText.parse("[a.]", path: "f.toml")
    }
  }
}
