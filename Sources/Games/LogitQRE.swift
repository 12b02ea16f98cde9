import RealModule

/// A point of the logit-QRE correspondence: `x = softmax(λ A y)`, `y = softmax(λ Bᵀ x)`.
public struct QREPoint: Sendable, Equatable {
  /// Precision parameter `λ ≥ 0` (raw payoff units: `p_i ∝ exp(λ u_i)`).
  public var lambda: Double
  /// Mixed strategies of player 1 and 2.
  public var x: [Double], y: [Double]
  /// Their logarithms (the tracer's unknowns; finite even when a probability underflows).
  public var logX: [Double], logY: [Double]
}

/// A point where the principal branch is singular: `det ∂H/∂w` changes sign between two
/// traced points. A `fold` is a turning point (λ reverses); a `bifurcation` is a branch point
/// where λ keeps increasing (e.g. the pitchfork of the symmetric battle of the sexes).
public struct BranchEvent: Sendable, Equatable {
  /// `fold`: λ reverses along the arc; `bifurcation`: λ keeps increasing through the branch point.
  public enum Kind: String, Sendable { case fold, bifurcation }
  /// A fold or a bifurcation.
  public var kind: Kind
  /// `λ` at the singular point (located by bisection along the arc).
  public var lambda: Double
  /// The profile there.
  public var point: QREPoint
}

/// What the tracer does at a bifurcation it detects.
public enum BifurcationPolicy: Sendable, Equatable {
  /// Report it and stay on the branch it is following (through the branch point).
  case continueOnBranch
  /// Report it and leave along the other branch through the point, in the direction
  /// `sign · φ` with `φ` the null vector of `∂H/∂w` (first nonzero entry positive).
  case switchBranch(sign: Double)
}

/// The traced principal branch.
public struct QREBranch: Sendable {
  /// The accepted points, from `λ = 0`.
  public var points: [QREPoint]
  /// The QRE at each requested `λ` (in the order asked; on the branch followed).
  public var requested: [QREPoint]
  /// Folds and bifurcations met, in order.
  public var events: [BranchEvent]
  /// The last point (at the target `λ`).
  public var end: QREPoint { points.last! }
}

/// The logit quantal response equilibria of a two-player game (McKelvey & Palfrey 1995) by
/// path following from `λ = 0` (Turocy 2005's formulation): unknowns the log-probabilities
/// `w = (log x, log y)`, equations
///
/// `w₁[j] − w₁[0] − λ(u₁[j] − u₁[0]) = 0` (`j ≥ 1`), `Σ e^{w₁} = 1`, and the same for player 2,
///
/// with `u₁ = A e^{w₂}`, `u₂ = Bᵀ e^{w₁}`. The branch `H(w, λ) = 0` is followed by
/// pseudo-arc-length continuation (Euler predictor along the unit tangent, Newton corrector on
/// `[H; tᵀ(p − p̂)] = 0`, step doubling and halving, tangent orientation by continuity), so it
/// passes turning points; QRE at given `λ` are solved exactly (Newton at fixed `λ`) from the
/// bracketing points. Sign changes of `det ∂H/∂w` are located and reported as ``BranchEvent``s.
public struct LogitQRESolver: Sendable {
  /// The game.
  public let game: NormalFormGame
  /// Residual tolerance `‖H‖∞` of the corrector on the path and of the final solves.
  public var tolerance = 1e-12
  /// Initial and largest arc-length step.
  public var initialStep = 0.03, maximumStep = 1.0
  /// Largest number of accepted points.
  public var maximumPoints = 100_000
  /// At a bifurcation.
  public var bifurcationPolicy = BifurcationPolicy.continueOnBranch
  /// Wall-clock budget of one call (`trace`, `solve`, `limitEquilibrium`, `fitLambda`), in
  /// seconds; nil for none. A trace that runs out of it throws a ``GameError`` naming the λ
  /// it reached; ``limitEquilibrium(regretTolerance:lambdaMax:)`` instead returns the last
  /// point it reached, marked approximate.
  public var timeBudget: Double? = nil

  /// The largest game the tracer accepts: `m + n` unknowns, each Newton step a dense
  /// `(m + n + 1)²` factorisation (`(m+n)³/3` flops), thousands of steps per branch.
  public static let maximumStrategies = 400

  /// A solver for `game`.
  public init(_ game: NormalFormGame) { self.game = game }

  var m: Int { game.shape.0 }
  var n: Int { game.shape.1 }

  func profile(_ w: [Double]) -> (x: [Double], y: [Double]) {
    (w[0..<m].map { Double.exp($0) }, w[m...].map { Double.exp($0) })
  }

  func point(_ w: [Double], _ lambda: Double) -> QREPoint {
    let (x, y) = profile(w)
    return QREPoint(lambda: lambda, x: x, y: y, logX: Array(w[0..<m]), logY: Array(w[m...]))
  }

  /// `H(w, λ)`.
  func residual(_ w: [Double], _ lambda: Double) -> [Double] {
    let (x, y) = profile(w)
    let u1 = game.payoffVector1(y), u2 = game.payoffVector2(x)
    var h = [Double](repeating: 0, count: m + n)
    for j in 1..<max(1, m) { h[j - 1] = w[j] - w[0] - lambda * (u1[j] - u1[0]) }
    h[m - 1] = x.reduce(0, +) - 1
    for k in 1..<max(1, n) { h[m + k - 1] = w[m + k] - w[m] - lambda * (u2[k] - u2[0]) }
    h[m + n - 1] = y.reduce(0, +) - 1
    return h
  }

  /// `∂H/∂w` (row-major, `(m+n)²`) and `∂H/∂λ`.
  func jacobian(_ w: [Double], _ lambda: Double) -> (jw: [Double], jl: [Double]) {
    let (x, y) = profile(w)
    let u1 = game.payoffVector1(y), u2 = game.payoffVector2(x)
    let size = m + n
    var jw = [Double](repeating: 0, count: size * size), jl = [Double](repeating: 0, count: size)
    let a = game.payoff1, b = game.payoff2
    for j in 1..<max(1, m) {
      let r = j - 1
      jw[r * size + j] += 1
      jw[r * size + 0] -= 1
      for k in 0..<n { jw[r * size + m + k] = -lambda * (a[j][k] - a[0][k]) * y[k] }
      jl[r] = -(u1[j] - u1[0])
    }
    for i in 0..<m { jw[(m - 1) * size + i] = x[i] }
    for k in 1..<max(1, n) {
      let r = m + k - 1
      jw[r * size + m + k] += 1
      jw[r * size + m] -= 1
      for i in 0..<m { jw[r * size + i] = -lambda * (b[i][k] - b[i][0]) * x[i] }
      jl[r] = -(u2[k] - u2[0])
    }
    for k in 0..<n { jw[(m + n - 1) * size + m + k] = y[k] }
    return (jw, jl)
  }

  /// The sign of `det ∂H/∂w`.
  func determinantSign(_ w: [Double], _ lambda: Double) -> Double {
    Dense.LU(jacobian(w, lambda).jw, n: m + n).logDeterminant.sign
  }

  /// Newton at fixed `λ` from `w`, to `tolerance`; nil if it does not converge.
  func newton(_ start: [Double], lambda: Double, iterations: Int = 60) -> [Double]? {
    var w = start
    var h = residual(w, lambda)
    for _ in 0..<iterations {
      if Dense.maxAbs(h) <= tolerance { return w }
      let lu = Dense.LU(jacobian(w, lambda).jw, n: m + n)
      guard !lu.isSingular else { return nil }
      let step = lu.solve(h)
      // Damped: halve until the residual decreases.
      var t = 1.0, accepted = false
      let before = Dense.maxAbs(h)
      for _ in 0..<30 {
        let trial = zip(w, step).map { $0 - t * $1 }
        let r = residual(trial, lambda)
        if Dense.maxAbs(r) < before || Dense.maxAbs(r) <= tolerance {
          w = trial
          h = r
          accepted = true
          break
        }
        t /= 2
      }
      if !accepted { return nil }
    }
    return Dense.maxAbs(h) <= tolerance * 10 ? w : nil
  }

  /// LU factors of `[∂H/∂w ∂H/∂λ; lastRowᵀ]` (the path system bordered by a direction), or nil
  /// when singular.
  func augmentedFactors(_ w: [Double], _ lambda: Double, lastRow: [Double]) -> Dense.LU? {
    let size = m + n
    let (jw, jl) = jacobian(w, lambda)
    var augmented = [Double](repeating: 0, count: (size + 1) * (size + 1))
    for r in 0..<size {
      for c in 0..<size { augmented[r * (size + 1) + c] = jw[r * size + c] }
      augmented[r * (size + 1) + size] = jl[r]
    }
    for c in 0...size { augmented[size * (size + 1) + c] = lastRow[c] }
    let lu = Dense.LU(augmented, n: size + 1)
    return lu.isSingular ? nil : lu
  }

  /// The unit tangent of the branch at `p = (w, λ)`, oriented along `previous` (or with λ
  /// increasing): the solution of `[∂H/∂w ∂H/∂λ; previousᵀ] t = [0; 1]`, normalised.
  func tangent(_ w: [Double], _ lambda: Double, previous: [Double]?) -> [Double]? {
    let size = m + n
    let reference = previous ?? ([Double](repeating: 0, count: size) + [1])
    guard let lu = augmentedFactors(w, lambda, lastRow: reference) else { return nil }
    var t = lu.solve([Double](repeating: 0, count: size) + [1])
    let norm = Dense.norm(t)
    t = t.map { $0 / norm }
    if Dense.dot(t, reference) < 0 { t = t.map { -$0 } }
    return t
  }

  /// Corrector: Newton on `[H(p); dᵀ(p − p̂)] = 0` from the predicted point `p̂`.
  func correct(_ predicted: [Double], direction d: [Double]) -> (p: [Double], iterations: Int)? {
    let size = m + n
    var p = predicted
    for iteration in 0..<12 {
      let w = Array(p[0..<size]), lambda = p[size]
      let h = residual(w, lambda)
      let arc = Dense.dot(d, zip(p, predicted).map { $0 - $1 })
      if Dense.maxAbs(h) <= tolerance && abs(arc) <= 1e-12 { return (p, iteration) }
      guard let lu = augmentedFactors(w, lambda, lastRow: d) else { return nil }
      let step = lu.solve(h + [arc])
      guard step.allSatisfy(\.isFinite), Dense.maxAbs(step) < 10 else { return nil }
      p = zip(p, step).map { $0 - $1 }
    }
    return nil
  }

  /// Null vector of `∂H/∂w` at `w, λ` by inverse iteration (first nonzero entry positive).
  func nullVector(_ w: [Double], _ lambda: Double) -> [Double] {
    let size = m + n
    var jw = jacobian(w, lambda).jw
    // A tiny shift keeps the factorisation usable at an exactly singular point.
    for i in 0..<size { jw[i * size + i] += 1e-10 }
    let lu = Dense.LU(jw, n: size)
    var v = (0..<size).map { 1.0 + 0.1 * Double($0) }
    for _ in 0..<30 {
      v = lu.solve(v)
      let norm = Dense.norm(v)
      v = v.map { $0 / norm }
    }
    if let first = v.first(where: { abs($0) > 1e-8 }), first < 0 { v = v.map { -$0 } }
    return v
  }

  /// Traces the principal branch from `λ = 0` to `lambdaMax`, solving the QRE at each of
  /// `requested` on the way.
  ///
  /// - Complexity: O(P·(m + n)³) for `P` traced points of an `m × n` game: each point costs a few dense
  ///   LU factorisations of size `m + n + 1` (at most 12 corrector steps, the tangent, the sign of
  ///   `det ∂H/∂w`), and each event up to 60 more corrections; memory O(P·(m + n)).
  public func trace(to lambdaMax: Double, requested: [Double] = []) throws(GameError) -> QREBranch {
    guard lambdaMax >= 0, lambdaMax.isFinite else { throw GameError("λ must be a finite number ≥ 0, got \(lambdaMax)") }
    for l in requested where !(l >= 0 && l.isFinite) { throw GameError("λ must be a finite number ≥ 0, got \(l)") }
    guard requested.allSatisfy({ $0 <= lambdaMax }) else { throw GameError("requested λ beyond the end of the trace (\(lambdaMax))") }
    guard m + n <= Self.maximumStrategies else {
      throw GameError("the game is \(m)×\(n): the logit tracer handles at most \(Self.maximumStrategies) strategies in all (m + n), a dense Newton system of that size per step")
    }
    let deadline = startDeadline()
    let size = m + n
    var w = [Double](repeating: -Double.log(Double(m)), count: m) + [Double](repeating: -Double.log(Double(n)), count: n)
    var lambda = 0.0
    var points = [point(w, 0)]
    var answers = [QREPoint?](repeating: nil, count: requested.count)
    for (i, l) in requested.enumerated() where l == 0 { answers[i] = points[0] }
    var events: [BranchEvent] = []
    guard var t = tangent(w, lambda, previous: nil) else { throw GameError("the tracer could not start: singular Jacobian at λ = 0") }
    var h = initialStep
    var sign = determinantSign(w, lambda)
    while lambda < lambdaMax {
      guard points.count < maximumPoints else {
        throw GameError("the trace stopped after \(maximumPoints) points at λ = \(lambda) without reaching \(lambdaMax)")
      }
      if let deadline, ContinuousClock.now > deadline {
        throw GameError("time budget of \(timeBudget!) s spent: the trace reached λ = \(lambda) of \(lambdaMax) after \(points.count) points", reached: point(w, lambda))
      }
      let p = w + [lambda]
      let predicted = zip(p, t).map { $0 + h * $1 }
      guard let (q, iterations) = correct(predicted, direction: t),
        let newTangent = tangent(Array(q[0..<size]), q[size], previous: t),
        Dense.dot(newTangent, t) > 0.9
      else {
        h /= 2
        guard h > 1e-14 else { throw GameError("the trace could not continue at λ = \(lambda) (step size underflow)") }
        continue
      }
      let wNew = Array(q[0..<size]), lambdaNew = q[size]
      // Requested λ crossed on the way: solve there exactly from the interpolation.
      for (i, l) in requested.enumerated() where answers[i] == nil && l > lambda && l <= lambdaNew {
        let f = (l - lambda) / (lambdaNew - lambda)
        let guess = zip(w, wNew).map { $0 + f * ($1 - $0) }
        guard let exact = newton(guess, lambda: l) else { throw GameError("Newton failed at λ = \(l)") }
        answers[i] = point(exact, l)
      }
      let newSign = determinantSign(wNew, lambdaNew)
      if newSign != sign, newSign != 0, sign != 0 {
        let kind: BranchEvent.Kind = (newTangent[size] > 0) == (t[size] > 0) ? .bifurcation : .fold
        let located = locateSingularity(from: p, direction: t, step: h, sign: sign)
        events.append(BranchEvent(kind: kind, lambda: located.lambda, point: located))
        if kind == .bifurcation, case .switchBranch(let s) = bifurcationPolicy {
          // Leave along ±φ from the singular point, then continue from there.
          let phi = nullVector(located.logX + located.logY, located.lambda)
          let d = phi.map { s * $0 } + [0]
          let start = located.logX + located.logY + [located.lambda]
          var switched = false
          for stepSize in [1e-3, 3e-3, 1e-2, 3e-2] {
            let guess = zip(start, d).map { $0 + stepSize * $1 }
            if let (r, _) = correct(guess, direction: d), let tt = tangent(Array(r[0..<size]), r[size], previous: d) {
              w = Array(r[0..<size])
              lambda = r[size]
              t = tt
              if t[size] < 0 { t = t.map { -$0 } }
              sign = determinantSign(w, lambda)
              points.append(point(w, lambda))
              switched = true
              break
            }
          }
          guard switched else { throw GameError("could not switch branches at the bifurcation at λ = \(located.lambda)") }
          h = initialStep
          continue
        }
      }
      sign = newSign == 0 ? sign : newSign
      w = wNew
      lambda = lambdaNew
      t = newTangent
      points.append(point(w, lambda))
      if iterations <= 3 { h = min(h * 1.5, maximumStep) } else if iterations > 6 { h /= 2 }
    }
    // End exactly at λ_max.
    if lambda != lambdaMax, points.count >= 2 {
      let previous = points[points.count - 2]
      let a = previous.logX + previous.logY, b = w
      let f = (lambdaMax - previous.lambda) / (lambda - previous.lambda)
      let guess = zip(a, b).map { $0 + f * ($1 - $0) }
      if let exact = newton(guess, lambda: lambdaMax) ?? newton(b, lambda: lambdaMax) {
        points[points.count - 1] = point(exact, lambdaMax)
      }
    }
    return QREBranch(points: points, requested: answers.map { $0 ?? points.last! }, events: events)
  }

  /// Bisection on the arc between `p` and the corrected point a step `h` along `t` for the
  /// sign change of `det ∂H/∂w`.
  func locateSingularity(from p: [Double], direction t: [Double], step h: Double, sign: Double) -> QREPoint {
    let size = m + n
    var lo = 0.0, hi = h
    var best = point(Array(p[0..<size]), p[size])
    for _ in 0..<60 {
      let mid = (lo + hi) / 2
      let predicted = zip(p, t).map { $0 + mid * $1 }
      guard let (q, _) = correct(predicted, direction: t) else { break }
      best = point(Array(q[0..<size]), q[size])
      if determinantSign(Array(q[0..<size]), q[size]) == sign { lo = mid } else { hi = mid }
      if hi - lo < 1e-13 { break }
    }
    return best
  }

  /// The QRE on the principal branch at each `λ` (traced from 0).
  ///
  /// - Complexity: that of ``trace(to:requested:)`` to the largest `λ`.
  public func solve(lambdas: [Double]) throws(GameError) -> [QREPoint] {
    guard let top = lambdas.max() else { return [] }
    return try trace(to: top, requested: lambdas).requested
  }

  /// The Nash equilibrium the principal branch tends to: traced until the largest regret is
  /// below `regretTolerance × payoff range` (or `λ = lambdaMax`), then made exact on its
  /// support when the indifference equations there have a solution that is an equilibrium.
  ///
  /// - Complexity: at most `1 + ⌊log₄(lambdaMax/10)⌋` traces (``trace(to:requested:)``, each from
  ///   `λ = 0`), then one `O(k³)` solve on a support of `k` strategies.
  public func limitEquilibrium(regretTolerance: Double = 1e-9, lambdaMax: Double = 1e6) throws(GameError) -> (x: [Double], y: [Double], lambda: Double, exact: Bool) {
    let scale = max(game.payoffRange, 1e-300)
    // A player with one strategy: the other's best responses are the equilibria; the mix
    // that is uniform over them is one (exact, no trace needed).
    if m == 1 || n == 1 {
      let x0 = [Double](repeating: 1 / Double(m), count: m), y0 = [Double](repeating: 1 / Double(n), count: n)
      let (b1, b2) = game.bestResponses(x0, y0)
      var x = [Double](repeating: 0, count: m), y = [Double](repeating: 0, count: n)
      if m == 1 { x[0] = 1; for j in b2 { y[j] = 1 / Double(b2.count) } } else { y[0] = 1; for i in b1 { x[i] = 1 / Double(b1.count) } }
      return (x, y, .infinity, true)
    }
    // Traces to λ = 10, 40, 160, …; the budget covers all of them.
    var solver = self
    let deadline = startDeadline()
    var target = 10.0
    var last: QREPoint
    var branch: QREBranch
    do { branch = try solver.trace(to: target) } catch { if let r = error.reached { return (r.x, r.y, r.lambda, false) }; throw error }
    last = branch.end
    while game.gaps(last.x, last.y).maxRegret > regretTolerance * scale && target * 4 <= lambdaMax {
      target *= 4
      if let deadline { solver.timeBudget = max(0, ContinuousClock.now.duration(to: deadline).seconds) }
      do { branch = try solver.trace(to: target) } catch {
        if let r = error.reached { last = r.lambda > last.lambda ? r : last; break }
        throw error
      }
      last = branch.end
    }
    if let exact = supportEquilibrium(near: last), game.gaps(exact.0, exact.1).nashConv <= 1e-12 * scale {
      return (exact.0, exact.1, last.lambda, true)
    }
    return (last.x, last.y, last.lambda, false)
  }

  func startDeadline() -> ContinuousClock.Instant? {
    timeBudget.map { ContinuousClock.now.advanced(by: .milliseconds(Int64(min($0, 1e9) * 1000))) }
  }

  /// The equilibrium with the supports of `p` (probabilities above 1e-6): each player's mix
  /// makes the other indifferent on its support (a square linear system), or nil.
  func supportEquilibrium(near p: QREPoint) -> ([Double], [Double])? {
    let s1 = p.x.indices.filter { p.x[$0] > 1e-6 }, s2 = p.y.indices.filter { p.y[$0] > 1e-6 }
    guard s1.count == s2.count else { return nil }
    let k = s1.count
    // y on s2 with A[s1, s2] y = v·1, Σ y = 1: unknowns (y, v).
    func mix(_ payoff: (Int, Int) -> Double, rows: [Int], columns: [Int]) -> [Double]? {
      var a = [Double](repeating: 0, count: (k + 1) * (k + 1))
      for (r, i) in rows.enumerated() {
        for (c, j) in columns.enumerated() { a[r * (k + 1) + c] = payoff(i, j) }
        a[r * (k + 1) + k] = -1
      }
      for c in 0..<k { a[k * (k + 1) + c] = 1 }
      let lu = Dense.LU(a, n: k + 1)
      guard !lu.isSingular else { return nil }
      let solution = lu.solve([Double](repeating: 0, count: k) + [1])
      guard solution[0..<k].allSatisfy({ $0 >= -1e-12 }) else { return nil }
      return solution[0..<k].map { max(0, $0) }
    }
    guard let ys = mix({ game.payoff1[$0][$1] }, rows: s1, columns: s2),
      let xs = mix({ game.payoff2[$1][$0] }, rows: s2, columns: s1)
    else { return nil }
    var x = [Double](repeating: 0, count: m), y = [Double](repeating: 0, count: n)
    for (c, i) in s1.enumerated() { x[i] = xs[c] }
    for (c, j) in s2.enumerated() { y[j] = ys[c] }
    return (x, y)
  }

  /// The maximum-likelihood `λ` for observed action counts `counts1`, `counts2` along the
  /// principal branch: `argmax Σ n₁ log x(λ) + Σ n₂ log y(λ)` over `[0, lambdaMax]`, by a scan of
  /// the traced branch and golden-section refinement with exact solves. Returns `λ̂`, the
  /// log-likelihood there and its profile.
  ///
  /// - Complexity: one trace to `lambdaMax`, then at most 80 golden-section steps of two Newton solves
  ///   (`O((m + n)³)` per Newton iteration).
  public func fitLambda(counts1: [Double], counts2: [Double], lambdaMax: Double = 50) throws(GameError) -> (lambda: Double, logLikelihood: Double, point: QREPoint) {
    guard counts1.count == m, counts2.count == n else { throw GameError("counts must have \(m) and \(n) entries") }
    guard (counts1 + counts2).allSatisfy({ $0 >= 0 && $0.isFinite }), (counts1 + counts2).reduce(0, +) > 0 else {
      throw GameError("counts must be finite, non-negative, and not all zero")
    }
    func likelihood(_ q: QREPoint) -> Double {
      var s = 0.0
      for i in 0..<m where counts1[i] > 0 { s += counts1[i] * q.logX[i] }
      for j in 0..<n where counts2[j] > 0 { s += counts2[j] * q.logY[j] }
      return s
    }
    let branch = try trace(to: lambdaMax)
    guard let bestIndex = branch.points.indices.max(by: { likelihood(branch.points[$0]) < likelihood(branch.points[$1]) }) else {
      throw GameError("empty branch")
    }
    let lo = branch.points[max(0, bestIndex - 1)], hi = branch.points[min(branch.points.count - 1, bestIndex + 1)]
    guard lo.lambda < hi.lambda else { return (branch.points[bestIndex].lambda, likelihood(branch.points[bestIndex]), branch.points[bestIndex]) }
    func at(_ l: Double, near q: QREPoint) -> QREPoint? { newton(q.logX + q.logY, lambda: l).map { point($0, l) } }
    let golden = (5.0.squareRoot() - 1) / 2
    var a = lo.lambda, b = hi.lambda
    var guessPoint = branch.points[bestIndex]
    for _ in 0..<80 where b - a > 1e-12 * max(1, b) {
      let c = b - golden * (b - a), d = a + golden * (b - a)
      guard let pc = at(c, near: guessPoint), let pd = at(d, near: guessPoint) else { break }
      if likelihood(pc) >= likelihood(pd) { b = d; guessPoint = pc } else { a = c; guessPoint = pd }
    }
    let l = (a + b) / 2
    guard let final = at(l, near: guessPoint) else { return (guessPoint.lambda, likelihood(guessPoint), guessPoint) }
    return (l, likelihood(final), final)
  }
}
