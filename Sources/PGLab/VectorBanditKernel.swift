import VectorMath
import SeededRandom

/// The vectorised tabular-bandit runner: runs are packed eight to a SIMD group (lane `l` of
/// group `g` is run `8g + l`), every quantity of a run lives in its lane, and one group is
/// advanced through a whole chunk of steps while its state stays in the L1 cache.
///
/// Each lane draws from exactly the stream `(seed, run)` that the scalar runner uses and
/// consumes it in the same order (action uniform, then the reward's draws), so the two agree
/// to rounding (see the tests). The softmax of the updated logits is kept for the next step, so
/// a step costs one softmax: `K` exponentials, one logarithm, and one Gaussian per run.
/// Lanes past the last run (when `N` is not a multiple of 8) compute throw-away runs and are
/// masked out of every sum.
final class VectorBanditKernel: @unchecked Sendable {
  let k: Int, runs: Int, groups: Int
  let bandit: BanditSpec, rule: UpdateRule, eta: Double
  /// The probes to compute.
  let probes: Set<Probe>
  /// Per group, `K` vectors each: logits, probabilities, arm means.
  let z: UnsafeMutablePointer<SIMD8<Double>>, p: UnsafeMutablePointer<SIMD8<Double>>, mu: UnsafeMutablePointer<SIMD8<Double>>
  /// Per group: baseline, log s, max z, entropy, collision, best mean, expected reward p·μ.
  let state: UnsafeMutablePointer<SIMD8<Double>>
  static let stateCount = 7
  let rngs: UnsafeMutablePointer<Xoshiro256StarStarX8>

  /// Loads the runs of `experiment`: each run's generator draws its arm means (scalar code,
  /// as the scalar runner does) and then moves into its lane.
  init(_ experiment: BanditExperiment) {
    k = experiment.bandit.arms
    runs = experiment.runs
    groups = (runs + 7) / 8
    bandit = experiment.bandit
    rule = experiment.rule
    eta = experiment.learningRate
    probes = experiment.probes
    z = .allocate(capacity: groups * k)
    p = .allocate(capacity: groups * k)
    mu = .allocate(capacity: groups * k)
    state = .allocate(capacity: groups * Self.stateCount)
    rngs = .allocate(capacity: groups)
    for g in 0..<groups {
      var lanes: [Xoshiro256StarStar] = []
      for l in 0..<8 {
        var rng = Xoshiro256StarStar(seed: experiment.seed, stream: UInt64(8 * g + l))
        let means = bandit.drawMeans(&rng)
        for j in 0..<k { mu[g * k + j][l] = means[j] }
        lanes.append(rng)
      }
      (rngs + g).initialize(to: Xoshiro256StarStarX8(lanes: lanes))
      var best = mu[g * k]
      for j in 0..<k {
        z[g * k + j] = .zero
        best = laneSelect(laneSignMask(best - mu[g * k + j]), mu[g * k + j], best)
      }
      let s = state + g * Self.stateCount
      s[0] = .zero
      s[5] = best
      softmax(group: g)
    }
  }

  deinit {
    z.deallocate(); p.deallocate(); mu.deallocate(); state.deallocate(); rngs.deallocate()
  }

  /// The final logits of every run, `K` per run.
  var logits: [[Double]] {
    (0..<runs).map { i in (0..<k).map { j in z[(i / 8) * k + j][i % 8] } }
  }

  /// `p = softmax(z)` of group `g`, with `log s`, `max z`, `H = log s − Σ p (z − m)`, `C = Σ p²`
  /// and `p·μ` stored in the group's state.
  @inline(__always)
  func softmax(group g: Int) {
    let zg = z + g * k, pg = p + g * k, mg = mu + g * k, s = state + g * Self.stateCount
    var m = zg[0]
    for j in 1..<k { m = laneSelect(laneSignMask(m - zg[j]), zg[j], m) }
    var sum = SIMD8<Double>.zero
    for j in 0..<k {
      let e = vectorExp(zg[j] - m)
      pg[j] = e
      sum += e
    }
    let inverse = 1 / sum
    var cross = SIMD8<Double>.zero, collision = SIMD8<Double>.zero, expected = SIMD8<Double>.zero
    for j in 0..<k {
      let pj = pg[j] * inverse
      pg[j] = pj
      cross = cross.addingProduct(pj, zg[j] - m)
      collision = collision.addingProduct(pj, pj)
      expected = expected.addingProduct(pj, mg[j])
    }
    let logS = vectorLog(sum)
    s[1] = logS
    s[2] = m
    s[3] = logS - cross
    s[4] = collision
    s[6] = expected
  }

  /// Advances group `g` through `count` steps. Step `t` of the chunk writes, for each probe,
  /// the sum over the group's valid lanes to `sums[(t·groups + g)·P + probe]` and, for the
  /// probes with a reported maximum (update norm, zero sum, norm error), the largest `|value|`
  /// to `maxes[...]` (NaN for the others); with `runValues`, the per-run values of the
  /// quantile probes go to `runValues[(t·Q + q)·groups + g]` (lane = run within the group).
  ///
  /// Probes not in ``probes`` are not computed (NaN in the output).
  ///
  /// Lane conditions are bit masks (`laneSignMask`, `laneSelect`): vector comparisons of
  /// doubles compile to per-lane branches here.
  func advance(
    group g: Int, count: Int, sums: UnsafeMutablePointer<Double>, maxes: UnsafeMutablePointer<Double>,
    runValues: UnsafeMutablePointer<SIMD8<Double>>?
  ) {
    let kk = k
    let zg = z + g * kk, pg = p + g * kk, mg = mu + g * kk, s = state + g * Self.stateCount
    let probeCount = Probe.allCases.count
    let validLanes = min(8, runs - 8 * g)
    var valid = SIMD8<Int64>.zero
    for l in 0..<validLanes { valid[l] = -1 }
    let etaV = SIMD8<Double>(repeating: eta)
    let sampled = rule.isSampled
    var baselineRate = 0.0
    if case .reinforceBaseline(let rate) = rule { baselineRate = rate }
    let isNatural = rule == .natural
    let gaussian = bandit.kind == .gaussian
    let noise = SIMD8<Double>(repeating: bandit.noise)
    let drift = bandit.drift, driftV = SIMD8<Double>(repeating: bandit.drift)
    let nan = SIMD8<Double>(repeating: .nan)
    let wanted = Probe.allCases.map { probes.contains($0) }
    let wantClosedForm = wanted[Probe.updateNormClosedForm.rawValue] || wanted[Probe.normRelativeError.rawValue]
    let wantCovariance = wanted[Probe.entropyChangePredicted.rawValue]
    var rng = rngs[g]
    for t in 0..<count {
      var bestAfter = s[5]
      let entropy = s[3], collision = s[4], expected = s[6], maxZ = s[2], logS = s[1]
      var reward = expected, pc = nan, closedForm = nan
      var chosen = SIMD8<Int64>(repeating: -1), scale = SIMD8<Double>.zero  // scale = ηA
      var complement = SIMD8<Double>.zero
      if sampled {
        // Inversion: c = #{j < K − 1 : p₀ + … + p_j ≤ u}, the first j with u < p₀ + … + p_j
        // (the last arm if rounding leaves none).
        let u = rng.nextDouble()
        chosen = .zero
        var cumulative = SIMD8<Double>.zero
        for j in 0..<(kk - 1) {
          cumulative += pg[j]
          chosen &+= 1 &+ laneSignMask(u - cumulative)
        }
        var muC = SIMD8<Double>.zero, otherSquares = SIMD8<Double>.zero
        var pcBits = SIMD8<Int64>.zero, muBits = SIMD8<Int64>.zero
        for j in 0..<kk {
          let notC = laneNotEqualMask(chosen, SIMD8(repeating: Int64(j)))
          let pj = pg[j]
          pcBits |= unsafeBitCast(pj, to: SIMD8<Int64>.self) & ~notC
          muBits |= unsafeBitCast(mg[j], to: SIMD8<Int64>.self) & ~notC
          let other = unsafeBitCast(unsafeBitCast(pj, to: SIMD8<Int64>.self) & notC, to: SIMD8<Double>.self)
          complement += other
          if wantClosedForm { otherSquares = otherSquares.addingProduct(other, other) }
        }
        pc = unsafeBitCast(pcBits, to: SIMD8<Double>.self)
        muC = unsafeBitCast(muBits, to: SIMD8<Double>.self)
        if gaussian {
          reward = muC.addingProduct(noise, rng.nextGaussian(log: vectorLog, cos2pi: vectorCos2Pi))
        } else {
          reward = laneSelect(laneSignMask(rng.nextDouble() - muC), SIMD8(repeating: 1), .zero)
        }
        var advantage = reward
        if baselineRate > 0 {
          advantage = reward - s[0]
          s[0] = s[0].addingProduct(SIMD8(repeating: baselineRate), reward - s[0])
        }
        scale = etaV * advantage
        closedForm = laneAbs(scale) * vectorSqrt(complement * complement + otherSquares)
      }
      // The step, its measured norm and zero-sum residual, and −Cov_p(log p, Δz), in one pass:
      // Cov = Σ p (log p + H) Δz − (Σ p Δz)(Σ p (log p + H)).
      var normSq = SIMD8<Double>.zero, zeroSum = SIMD8<Double>.zero, meanDz = SIMD8<Double>.zero
      var weighted = SIMD8<Double>.zero, centre = SIMD8<Double>.zero
      let chosenStep = scale * complement
      for j in 0..<kk {
        let pj = pg[j]
        var dz: SIMD8<Double>
        if sampled {
          dz = laneSelect(laneNotEqualMask(chosen, SIMD8(repeating: Int64(j))), -scale * pj, chosenStep)
        } else {
          let a = mg[j] - expected
          dz = isNatural ? etaV * a : etaV * pj * a
        }
        normSq = normSq.addingProduct(dz, dz)
        zeroSum += dz
        if wantCovariance {
          meanDz = meanDz.addingProduct(pj, dz)
          let c = pj * ((zg[j] - maxZ) - logS + entropy)
          weighted = weighted.addingProduct(c, dz)
          centre += c
        }
        zg[j] += dz
      }
      let predicted = -(weighted - meanDz * centre)
      if drift > 0 {
        // Non-stationary arms: μ_j ← μ_j + σ_drift·N(0, 1) after the step, before the next one.
        var best = SIMD8<Double>(repeating: -.infinity)
        for j in 0..<kk {
          var m = mg[j].addingProduct(driftV, rng.nextGaussian(log: vectorLog, cos2pi: vectorCos2Pi))
          if !gaussian {
            m = laneSelect(laneSignMask(m), .zero, m)
            m = laneSelect(laneSignMask(1 - m), SIMD8(repeating: 1), m)
          }
          mg[j] = m
          best = laneSelect(laneSignMask(best - m), m, best)
        }
        bestAfter = best
      }
      softmax(group: g)
      let norm = vectorSqrt(normSq)
      // |‖Δz‖ − closed form| relative to the closed form (absolute when both are 0: A = 0).
      let relative = laneAbs(norm - closedForm) / (closedForm + SIMD8(repeating: Double.leastNormalMagnitude))
      let base = (t * groups + g) * probeCount
      @inline(__always) func record(_ probe: Probe, _ v: @autoclosure () -> SIMD8<Double>, max: Bool = false) {
        guard wanted[probe.rawValue] else {
          sums[base + probe.rawValue] = .nan
          maxes[base + probe.rawValue] = .nan
          return
        }
        let v = v()
        let masked = unsafeBitCast(unsafeBitCast(v, to: SIMD8<Int64>.self) & valid, to: SIMD8<Double>.self)
        sums[base + probe.rawValue] = treeSum(masked)
        maxes[base + probe.rawValue] = max ? laneMax(laneAbs(masked)) : .nan
        if let runValues, let q = probe.quantileIndex {
          runValues[(t * Probe.quantileProbes.count + q) * groups + g] = v
        }
      }
      record(.reward, reward)
      record(.regret, s[5] - expected)
      s[5] = bestAfter
      record(.chosenProbability, pc)
      record(.entropy, entropy)
      record(.collision, collision)
      record(.updateNorm, norm, max: true)
      record(.updateNormClosedForm, closedForm)
      record(.normRelativeError, relative, max: true)
      record(.zeroSum, isNatural ? nan : zeroSum, max: true)
      record(.entropyChangePredicted, predicted)
      record(.entropyChangeActual, s[3] - entropy)
      // Tabular logits are the parameters: the logit-space prediction is the step itself.
      record(.logitSpaceNorm, nan)
      record(.jacobianRatio, nan)
      record(.jacobianCosine, nan)
    }
    rngs[g] = rng
  }
}
