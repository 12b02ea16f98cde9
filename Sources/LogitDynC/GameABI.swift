import Games
import OutputFormats
import SoftmaxCore

/// `ld_qre_trace`: the principal branch of logit quantal-response equilibria
/// `x = softmax(λAy)`, `y = softmax(λBᵀx)` of an `m × n` game, traced from `λ = 0` to
/// `lambda_max` by pseudo-arc-length continuation (as `logitdyn game trace`).
///
/// The game is `name` (the library's names, `random-MxN[-seedS]`) when not NULL, otherwise
/// the row-major payoffs `payoff1[m·n]` (player 1, `A`) and `payoff2[m·n]` (player 2, `B`).
/// `requested[n_requested]` are λ values at which the branch is solved exactly.
/// `switch_branch` ±1 leaves a bifurcation along ±φ (0 stays on the branch); `time_limit`
/// seconds bounds the trace (an error names the λ reached). `*json_out` receives the game,
/// the branch's points (λ, x, y), the requested points, the folds and bifurcations, and the
/// end point's NashConv and QRE residual `max |x − softmax(λAy)|, |y − softmax(λBᵀx)|`.
@_cdecl("ld_qre_trace")
public func ld_qre_trace(
  _ name: UnsafePointer<CChar>?, _ rows: Int64, _ cols: Int64, _ payoff1: UnsafePointer<Double>?, _ payoff2: UnsafePointer<Double>?,
  _ lambdaMax: Double, _ requestedCount: Int64, _ requested: UnsafePointer<Double>?, _ switchBranch: Double, _ timeLimit: Double,
  _ jsonOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ error: UnsafeMutablePointer<CChar>?, _ errorCapacity: Int64
) -> Int32 {
  guarded(error, errorCapacity) {
    guard jsonOut != nil else { throw ABIError("json_out is NULL") }
    let game: NormalFormGame
    if let name = string(name) {
      game = try GameLibrary.game(spec: name)
    } else {
      let (m, n, count) = try checkedShape(rows, cols, "the payoff matrices")
      guard m <= LogitQRESolver.maximumStrategies, n <= LogitQRESolver.maximumStrategies else {
        throw ABIError("at most \(LogitQRESolver.maximumStrategies) strategies per player, got \(m)×\(n)")
      }
      let a = try requiredDoubles(payoff1, count, "payoff1"), b = try requiredDoubles(payoff2, count, "payoff2")
      game = try NormalFormGame(payoff1: (0..<m).map { Array(a[($0 * n)..<($0 * n + n)]) },
                                payoff2: (0..<m).map { Array(b[($0 * n)..<($0 * n + n)]) })
    }
    guard lambdaMax >= 0, lambdaMax.isFinite else { throw ABIError("lambda_max must be a finite number ≥ 0, got \(lambdaMax)") }
    guard requestedCount >= 0, requestedCount <= 100_000 else { throw ABIError("between 0 and 100000 requested λ, got \(requestedCount)") }
    let lambdas = doubles(requested, Int(requestedCount)) ?? []
    guard requestedCount == 0 || requested != nil else { throw ABIError("requested is NULL") }
    for x in lambdas where !(x >= 0 && x <= lambdaMax) { throw ABIError("requested λ = \(x) is outside [0, lambda_max = \(lambdaMax)]") }
    guard timeLimit > 0, timeLimit.isFinite else { throw ABIError("time_limit must be a positive number of seconds, got \(timeLimit)") }
    var solver = LogitQRESolver(game)
    solver.timeBudget = timeLimit
    if switchBranch != 0 {
      guard switchBranch == 1 || switchBranch == -1 else { throw ABIError("switch_branch must be 1, -1 or 0, got \(switchBranch)") }
      solver.bifurcationPolicy = .switchBranch(sign: switchBranch)
    }
    let branch = try solver.trace(to: lambdaMax, requested: lambdas)
    func point(_ p: QREPoint) -> JSONValue {
      .object([("lambda", .number(p.lambda)), ("x", .numbers(p.x)), ("y", .numbers(p.y))])
    }
    let end = branch.end
    let gaps = game.gaps(end.x, end.y)
    try emit(.object([
      ("game", .string(game.name)),
      ("shape", .array([.integer(game.shape.0), .integer(game.shape.1)])),
      ("points", .array(branch.points.map(point))),
      ("requested", .array(branch.requested.map(point))),
      ("events", .array(branch.events.map { .object([("kind", .string($0.kind.rawValue)), ("lambda", .number($0.lambda)), ("point", point($0.point))]) })),
      ("nash_conv_end", .number(gaps.nashConv)),
      ("qre_residual_end", .number(qreResidual(game, end))),
    ]), to: jsonOut)
  }
}

/// `max(max_i |x_i − softmax(λAy)_i|, max_j |y_j − softmax(λBᵀx)_j|)` at a branch point.
func qreResidual(_ game: NormalFormGame, _ p: QREPoint) -> Double {
  let (m, n) = game.shape
  let u1 = (0..<m).map { i in p.lambda * (0..<n).reduce(0.0) { $0 + game.payoff1[i][$1] * p.y[$1] } }
  let u2 = (0..<n).map { j in p.lambda * (0..<m).reduce(0.0) { $0 + game.payoff2[$1][j] * p.x[$1] } }
  let bx = softmax(u1), by = softmax(u2)
  return max(zip(p.x, bx).map { abs($0 - $1) }.max() ?? 0, zip(p.y, by).map { abs($0 - $1) }.max() ?? 0)
}
