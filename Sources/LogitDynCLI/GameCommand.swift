import ArgumentParser
import Foundation
import LogitDynamics
import OutputFormats

/// `logitdyn game`: logit QRE, their branch, the limit equilibrium, learning dynamics.
struct GameCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "game",
    abstract: "Softmax in two-player games: logit QRE by path following, limit equilibria, learning dynamics.",
    discussion: """
      GAME is a library name (\(GameLibrary.names.joined(separator: ", "))), random-MxN or \
      random-MxN-seedS (independent N(0,1) payoffs), or a file: .json (the project's schema: \
      {"payoffs": {"player1": [[…]], "player2": [[…]]}}) or Gambit's .nfg.

      Limits: a game file of at most \(GameFiles.maximumFileBytes >> 20) MiB declaring at most \
      \(GameFiles.maximumProfiles) pure profiles m·n; the logit tracer (qre, trace, nash, fit) \
      takes games of m + n ≤ \(LogitQRESolver.maximumStrategies) strategies and stops after \
      --time-limit seconds; learn plans at most --max-memory.
      """,
    subcommands: [GameQRE.self, GameTrace.self, GameNash.self, GameLearn.self, GameFit.self, GameShow.self])
}

/// The game argument.
struct GameArgument: ParsableArguments {
  @Argument(help: ArgumentHelp("A library name, random-MxN[-seedS], or a .json/.nfg file.", valueName: "game")) var game: String
  @Option(
    name: .customLong("time-limit"), parsing: .unconditional,
    help: ArgumentHelp("Wall-clock budget of the logit tracer, in seconds (qre, trace, nash, fit). qre, trace and fit stop with an error naming the λ reached; nash returns the point it reached, marked approximate, with its NashConv.", valueName: "seconds"))
  var timeLimit: Double = Limits.defaultGameSeconds

  /// A logit-QRE solver for `game` with the time budget.
  func solver(_ game: NormalFormGame) throws -> LogitQRESolver {
    guard timeLimit > 0, timeLimit.isFinite else { throw CLIError("--time-limit must be a positive number of seconds, got \(timeLimit)") }
    var s = LogitQRESolver(game)
    s.timeBudget = timeLimit
    return s
  }

  func load() throws -> NormalFormGame {
    try GameRunConfiguration(game: game).loadGame()
  }
}

/// Formats a probability vector.
func profileText(_ p: [Double]) -> String { "(" + p.map { formatNumber($0, digits: 6) }.joined(separator: ", ") + ")" }

struct GameQRE: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "qre", abstract: "The logit QRE on the principal branch at given λ (traced from λ = 0).")
  @OptionGroup var game: GameArgument
  @Option(parsing: .unconditional, help: ArgumentHelp("Precision values λ ≥ 0.", valueName: "l1,l2,...")) var lambda: String = "1"
  @Flag(help: "Print JSON.") var json = false

  func run() throws {
    let g = try game.load()
    let lambdas = try lambda.split(separator: ",").map { field -> Double in
      guard let v = Double(field.trimmingCharacters(in: .whitespaces)), v.isFinite else { throw CLIError("--lambda: '\(field)' is not a number") }
      guard v >= 0 else { throw CLIError("λ must be ≥ 0, got \(formatNumber(v))") }
      return v
    }
    let points: [QREPoint], events: [BranchEvent]
    let branch = try game.solver(g).trace(to: lambdas.max() ?? 0, requested: lambdas)
    points = branch.requested
    events = branch.events
    if json {
      let items: [JSONValue] = points.map { p in
        let gaps = g.gaps(p.x, p.y, lambda: p.lambda)
        return .object([("lambda", .number(p.lambda)), ("player1", .array(p.x.map { .number($0) })), ("player2", .array(p.y.map { .number($0) })),
                        ("nash_conv", .number(gaps.nashConv)), ("exploitability", .number(gaps.exploitability)),
                        ("qre_gap", gaps.qreGap.map { .number($0) } ?? .null)])
      }
      print(JSONValue.object([("game", .string(g.name)), ("qre", .array(items)),
                              ("events", .array(events.map { .object([("kind", .string($0.kind.rawValue)), ("lambda", .number($0.lambda))]) }))]).rendered())
      return
    }
    var table = TextTable(["λ", "player 1", "player 2", "NashConv"])
    for p in points { table.append([formatNumber(p.lambda), profileText(p.x), profileText(p.y), formatNumber(g.gaps(p.x, p.y).nashConv, digits: 4)]) }
    print("\(g.name): logit QRE on the principal branch")
    print(table.rendered())
    for e in events { print("note: \(e.kind.rawValue) of the branch at λ = \(formatNumber(e.lambda, digits: 8)); QRE beyond it follow the same branch") }
  }
}

struct GameTrace: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "trace",
    abstract: "Trace the principal branch of logit QRE from λ = 0, reporting folds and bifurcations.")
  @OptionGroup var game: GameArgument
  @Option(name: .customLong("to"), parsing: .unconditional, help: "Last λ of the trace.") var to: Double = 50
  @Option(name: .customLong("switch-branch"), parsing: .unconditional, help: ArgumentHelp("At a bifurcation, leave along +φ (1) or −φ (-1) instead of staying on the branch.", valueName: "sign"))
  var switchBranch: Double?
  @Option(help: ArgumentHelp("Write the branch as CSV (lambda, x…, y…).", valueName: "file.csv")) var csv: String?
  @Flag(help: "Print JSON.") var json = false

  func run() throws {
    let g = try game.load()
    guard to >= 0, to.isFinite else { throw CLIError("--to must be a finite number ≥ 0, got \(to)") }
    var solver = try game.solver(g)
    if let s = switchBranch {
      guard s == 1 || s == -1 else { throw CLIError("--switch-branch must be 1 or -1, got \(formatNumber(s))") }
      solver.bifurcationPolicy = .switchBranch(sign: s)
    }
    let branch: QREBranch = try solver.trace(to: to)
    if let csv {
      let (m, n) = g.shape
      var text = (["lambda"] + (0..<m).map { "x\($0)" } + (0..<n).map { "y\($0)" }).joined(separator: ",") + "\n"
      for p in branch.points { text += ([p.lambda] + p.x + p.y).map { "\($0)" }.joined(separator: ",") + "\n" }
      try AtomicFileWriter.write(Data(text.utf8), to: csv)
    }
    let end = branch.end
    if json {
      print(JSONValue.object([
        ("game", .string(g.name)), ("points", .integer(branch.points.count)), ("lambda_end", .number(end.lambda)),
        ("player1", .array(end.x.map { .number($0) })), ("player2", .array(end.y.map { .number($0) })),
        ("events", .array(branch.events.map { .object([("kind", .string($0.kind.rawValue)), ("lambda", .number($0.lambda)),
                                                        ("player1", .array($0.point.x.map { .number($0) })), ("player2", .array($0.point.y.map { .number($0) }))]) })),
      ]).rendered())
      return
    }
    print("\(g.name): principal branch from λ = 0 to \(formatNumber(end.lambda)), \(branch.points.count) points")
    print("end        \(profileText(end.x)), \(profileText(end.y)), NashConv \(formatNumber(g.gaps(end.x, end.y).nashConv, digits: 4))")
    for e in branch.events { print("\(e.kind.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0))at λ = \(formatNumber(e.lambda, digits: 8)): \(profileText(e.point.x)), \(profileText(e.point.y))") }
    if branch.events.isEmpty { print("no fold or bifurcation on the way") }
    if let csv { print("wrote      \(csv)") }
  }
}

struct GameNash: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "nash", abstract: "The Nash equilibrium the principal logit branch tends to (made exact on its support).")
  @OptionGroup var game: GameArgument
  @Flag(help: "Print JSON.") var json = false

  func run() throws {
    let g = try game.load()
    let limit: (x: [Double], y: [Double], lambda: Double, exact: Bool) = try game.solver(g).limitEquilibrium()
    let gaps = g.gaps(limit.x, limit.y)
    if json {
      print(JSONValue.object([("game", .string(g.name)), ("player1", .array(limit.x.map { .number($0) })), ("player2", .array(limit.y.map { .number($0) })),
                              ("lambda_reached", .number(limit.lambda)), ("exact_on_support", .bool(limit.exact)),
                              ("method", .string(limit.exact ? "logit branch, solved exactly on its support" : "logit branch (approximate)")),
                              ("nash_conv", .number(gaps.nashConv)), ("values", .array([.number(gaps.value1), .number(gaps.value2)]))]).rendered())
      return
    }
    print("""
      \(g.name): limit of the principal logit branch (λ = \(formatNumber(limit.lambda)))
      player 1   \(profileText(limit.x))
      player 2   \(profileText(limit.y))
      values     \(formatNumber(gaps.value1, digits: 6)), \(formatNumber(gaps.value2, digits: 6)); NashConv \(formatNumber(gaps.nashConv, digits: 3))\(limit.exact ? " (exact on its support)" : "")
      """ + (limit.exact ? "" : "\napproximate: the last point of the logit branch reached (not solved exactly on a support); its NashConv \(formatNumber(gaps.nashConv, digits: 3)) bounds how far from an equilibrium it is"))
  }
}

struct GameLearn: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "learn", abstract: "Repeated play by two softmax learners, with the lab's probes per step.")
  @OptionGroup var game: GameArgument
  // The defaults and help lines are GameRunConfiguration's (the schema of [game] tables too).
  static let defaults = GameRunConfiguration()
  static func help(_ key: String) -> ArgumentHelp { ArgumentHelp(GameRunConfiguration.field(named: key)?.help ?? key) }
  @Option(help: GameLearn.help("rule")) var rule: String = GameLearn.defaults.rule
  @Option(parsing: .unconditional, help: GameLearn.help("tau")) var tau: Double = GameLearn.defaults.tau
  @Option(parsing: .unconditional, help: GameLearn.help("lambda")) var lambda: Double = GameLearn.defaults.lambda
  @Option(name: .customLong("lr"), parsing: .unconditional, help: GameLearn.help("lr")) var learningRate: Double = GameLearn.defaults.learningRate
  @Option(parsing: .unconditional, help: GameLearn.help("steps")) var steps: Int = GameLearn.defaults.steps
  @Option(help: GameLearn.help("seed")) var seed: UInt64 = GameLearn.defaults.seed
  @Option(name: .customLong("reference-lambda"), parsing: .unconditional, help: GameLearn.help("reference_lambda"))
  var referenceLambda: Double?
  @Option(help: ArgumentHelp("Output directory for series.csv.", valueName: "dir")) var out: String?
  @OptionGroup var memory: MemoryLimitOption

  /// The options as a typed configuration.
  var configuration: GameRunConfiguration {
    var c = GameRunConfiguration(game: game.game)
    c.rule = rule
    c.tau = tau
    c.lambda = lambda
    c.learningRate = learningRate
    c.steps = steps
    c.seed = seed
    c.referenceLambda = referenceLambda
    return c
  }

  /// Runs the learning; returns the series CSV, a summary, and the printed text.
  func execute(stop: () -> Bool = { false }) throws -> (series: String, summary: JSONValue, text: String) {
    try Self.execute(configuration, game: try game.load(), memory: memory, stop: stop)
  }

  /// Runs the learning `c` describes on `g`; returns the series CSV, a summary, and the
  /// printed text.
  static func execute(_ c: GameRunConfiguration, game g: NormalFormGame, memory: MemoryLimitOption, stop: () -> Bool = { false }) throws -> (series: String, summary: JSONValue, text: String) {
    // The configuration's checks (steps ≥ 1, the rule) come before the memory estimate they bound.
    let learning = try c.makeLearning(on: g)
    // The series is kept as text: about 25 bytes per number, 2(m + n) + 15 numbers per step.
    try memory.check(Double(c.steps) * 25 * Double(2 * (g.shape.0 + g.shape.1) + 15), "\(c.steps) steps of a \(g.shape.0)×\(g.shape.1) game")
    let rule = c.rule, learningRate = c.learningRate, steps = c.steps
    var text = "step,x,y,entropy1,entropy2,collision1,collision2,update_norm1,update_norm2,update_norm_closed_form1,update_norm_closed_form2,dH_predicted1,dH_actual1,dH_predicted2,dH_actual2,distance_to_qre,nash_conv\n"
    var first: GameStep?, last: GameStep?
    func f(_ x: Double) -> String { x.isNaN ? "" : "\(x)" }
    try learning.run { s in
      if first == nil { first = s }
      last = s
      text += [String(s.step), s.x.map { "\($0)" }.joined(separator: " "), s.y.map { "\($0)" }.joined(separator: " "),
               f(s.entropy.0), f(s.entropy.1), f(s.collision.0), f(s.collision.1), f(s.updateNorm.0), f(s.updateNorm.1),
               f(s.updateNormClosedForm.0), f(s.updateNormClosedForm.1), f(s.entropyChangePredicted.0), f(s.entropyChangeActual.0),
               f(s.entropyChangePredicted.1), f(s.entropyChangeActual.1), f(s.distanceToQRE), f(s.nashConv)].joined(separator: ",") + "\n"
      return !stop()
    }
    guard let first, let last else { throw CLIError("no steps") }
    let summary: JSONValue = .object([
      ("steps", .integer(last.step + 1)), ("nash_conv_first", .number(first.nashConv)), ("nash_conv_last", .number(last.nashConv)),
      ("distance_to_qre_last", .number(last.distanceToQRE)), ("entropy1_last", .number(last.entropy.0)), ("entropy2_last", .number(last.entropy.1)),
    ])
    let printed = """
      \(g.name), \(rule), η = \(formatNumber(learningRate)), \(steps) steps
      last       \(profileText(last.x)), \(profileText(last.y))
      average    \(profileText(last.averageX)), \(profileText(last.averageY))
      NashConv   \(formatNumber(first.nashConv, digits: 4)) → \(formatNumber(last.nashConv, digits: 4))
      """ + (last.distanceToQRE.isNaN ? "" : "\nto QRE     \(formatNumber(first.distanceToQRE, digits: 4)) → \(formatNumber(last.distanceToQRE, digits: 4)) (max |p − p*|)")
    return (text, summary, printed)
  }

  func run() throws {
    let (text, _, printed) = try execute()
    if let out {
      var directory = try OutputDirectory(out)
      do {
        try directory.create()
        try AtomicFileWriter.write(Data(text.utf8), to: out + "/series.csv")
      } catch {
        directory.removeIfCreated()
        throw CLIError("cannot write \(out)/series.csv: \(error)")
      }
    }
    print(printed + (out.map { "\nwrote      \($0)/series.csv" } ?? ""))
  }
}

struct GameFit: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fit", abstract: "Maximum-likelihood λ of observed play along the principal branch.")
  @OptionGroup var game: GameArgument
  @Option(parsing: .unconditional, help: ArgumentHelp("Player 1's action counts.", valueName: "n1,n2,...")) var counts1: String
  @Option(parsing: .unconditional, help: ArgumentHelp("Player 2's action counts.", valueName: "n1,n2,...")) var counts2: String
  @Option(name: .customLong("max-lambda"), parsing: .unconditional, help: "Largest λ searched.") var maxLambda: Double = 50

  func run() throws {
    let g = try game.load()
    func parse(_ s: String, _ name: String) throws -> [Double] {
      try s.split(separator: ",").map { field in
        guard let v = Double(field.trimmingCharacters(in: .whitespaces)) else { throw CLIError("\(name): '\(field)' is not a number") }
        return v
      }
    }
    let fit = try game.solver(g).fitLambda(counts1: try parse(counts1, "--counts1"), counts2: try parse(counts2, "--counts2"), lambdaMax: maxLambda)
    print("""
      \(g.name): maximum-likelihood λ = \(formatNumber(fit.lambda, digits: 8)) (log-likelihood \(formatNumber(fit.logLikelihood, digits: 8)))
      QRE there  \(profileText(fit.point.x)), \(profileText(fit.point.y))
      """)
  }
}

struct GameShow: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "show", abstract: "Print a game as JSON (the project's schema).")
  @OptionGroup var game: GameArgument
  func run() throws { print(GameFiles.json(try game.load())) }
}
