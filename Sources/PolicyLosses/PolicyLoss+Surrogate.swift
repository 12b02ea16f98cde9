import RealModule
import SeededRandom

/// Per-token values of a loss under construction: `λ_i`, `dλ_i/dℓ_i` and the tokens an
/// intervention selected.
struct TokenTerms {
  var lambda: [Double], slope: [Double], selected: [Double]
  init(lambda: [Double], slope: [Double], selected: [Double]) {
    self.lambda = lambda
    self.slope = slope
    self.selected = selected
  }
  init(count n: Int) {
    lambda = [Double](repeating: 0, count: n)
    slope = lambda
    selected = lambda
  }
}

extension PolicyLoss {
  /// The base surrogate's `λ`, `dλ/dℓ` and selections (Clip-Cov, KL-Cov) per token, with its
  /// logged statistics; BAPO's bounds, when set, replace the vanilla surrogate's clip first.
  func surrogateTerms(_ batch: TokenBatch, into terms: inout TokenTerms, result: inout LossResult) {
    let n = batch.count, mask = batch.mask
    let l = batch.logProb, old = batch.oldLogProb, adv = batch.advantages
    var lambda = terms.lambda, slope = terms.slope, selected = terms.selected
    var active = surrogate
    if let bapo = balancedClipping, case .vanilla(_, _, let c, let clamp) = surrogate {
      let b = bapo.bounds(batch, dualClip: c, logRatioClamp: clamp)
      active = .vanilla(clipLow: 1 - b.low, clipHigh: b.high - 1, dualClip: c, logRatioClamp: clamp)
      result.metrics = [("bapo_clip_low", b.low), ("bapo_clip_high", b.high), ("bapo_pos_neg_ratio", b.statistic), ("bapo_search_steps", Double(b.steps))]
    }
    let base = result.metrics
    switch active {
    case .reinforce:
      for i in 0..<n {
        lambda[i] = -adv[i] * l[i]
        slope[i] = -adv[i]
      }
      result.metrics = [("ppo_kl", Self.maskedMean((0..<n).map { -(l[$0] - old[$0]) }, mask))]

    case .vanilla(let low, let high, let dualClip, let clamp):
      var clipHit = [Double](repeating: 0, count: n), lowerHit = clipHit, negKL = clipHit
      for i in 0..<n {
        let raw = l[i] - old[i]
        var delta = raw, dDelta = 1.0
        if let clamp {
          delta = Swift.min(Swift.max(raw, -clamp), clamp)
          dDelta = (raw >= -clamp && raw <= clamp) ? 1 : 0
        }
        negKL[i] = -delta
        let ratio = Double.exp(delta), dRatio = ratio * dDelta
        let a = adv[i]
        let clipped = PPOClip.clipped(ratio, low: low, high: high)
        let dClipped = (ratio >= 1 - low && ratio <= 1 + high) ? dRatio : 0
        let l1 = -a * ratio, l2 = -a * clipped
        let (w1, w2) = Self.maxDerivative(l1, l2)
        let c1 = Swift.max(l1, l2)
        let dc1 = w1 * (-a * dRatio) + w2 * (-a * dClipped)
        clipHit[i] = l2 > l1 ? 1 : 0
        if let c = dualClip, a < 0 {
          let l3 = -a * c
          lowerHit[i] = c1 > l3 ? 1 : 0
          lambda[i] = Swift.min(l3, c1)
          slope[i] = l3 < c1 ? 0 : (c1 < l3 ? dc1 : 0.5 * dc1)
        } else {
          lambda[i] = c1
          slope[i] = dc1
        }
      }
      result.metrics = [("pg_clipfrac", Self.maskedMean(clipHit, mask)), ("ppo_kl", Self.maskedMean(negKL, mask))]
      if dualClip != nil { result.metrics.append(("pg_clipfrac_lower", Self.maskedMean(lowerHit, mask))) }

    case .clipCov(let low, let high, let ratioParameter, let lb, let ub, let draw):
      var clipByOrigin = [Bool](repeating: false, count: n)
      for i in 0..<n {
        let delta = l[i] - old[i]
        let ratio = Double.exp(delta)
        let a = adv[i]
        let clipped = PPOClip.clipped(ratio, low: low, high: high)
        let dClipped = (ratio >= 1 - low && ratio <= 1 + high) ? ratio : 0
        let l1 = -a * ratio, l2 = -a * clipped
        let (w1, w2) = Self.maxDerivative(l1, l2)
        lambda[i] = Swift.max(l1, l2)
        slope[i] = w1 * (-a * ratio) + w2 * (-a * dClipped)
        clipByOrigin[i] = l2 > l1 && mask[i] > 0
      }
      // The candidates and their count as the analyzer computes them (one implementation).
      let valid = mask.map { $0 > 0 }
      let cov = CovarianceSelection.tokenCovariance(logProbs: l, advantages: adv, valid: valid, centering: .maskedMean)
      let eligible = CovarianceSelection.clipCovEligible(cov: cov, valid: valid, lowerBound: lb, upperBound: ub, ppoClipped: clipByOrigin)
      let clipNumber = Swift.max(Int((ratioParameter * Double(result.validCount)).rounded(.towardZero)), 1)
      var chosen: [Int] = []
      if !eligible.isEmpty {
        let take = CovarianceSelection.clipCovCount(ratio: ratioParameter, validCount: result.validCount, eligible: eligible.count)
        switch draw {
        case .torch(let seed):
          var mt = MersenneTwister19937(seed: seed)
          let perm = mt.randperm(eligible.count)
          result.permutation = perm
          chosen = perm[0..<take].map { eligible[$0] }
        case .seeded(let seed):
          chosen = CovarianceSelection.clipCovDraw(eligible: eligible, count: take, seed: seed)
        }
      }
      for i in chosen {
        selected[i] = 1
        lambda[i] = 0
        slope[i] = 0
      }
      result.eligible = eligible
      result.clipNumber = clipNumber
      result.eligibleCount = eligible.count
      result.selectionForced = clipNumber >= eligible.count
      result.metrics = [("pg_clipfrac", Self.maskedMean(selected, mask)),
                        ("ppo_kl", Self.maskedMean((0..<n).map { -(l[$0] - old[$0]) }, mask))]

    case .klCov(let ratioParameter, let coef):
      var absKL = [Double](repeating: 0, count: n)
      for i in 0..<n {
        let delta = l[i] - old[i]
        let ratio = Double.exp(delta)
        lambda[i] = -adv[i] * ratio
        slope[i] = -adv[i] * ratio
        absKL[i] = Swift.abs(delta)
      }
      // The top k by covariance (ties keep row order), as the analyzer ranks them.
      let valid = mask.map { $0 > 0 }
      let k = Swift.max(1, Int((Double(result.validCount) * ratioParameter).rounded(.towardZero)))
      let cov = CovarianceSelection.tokenCovariance(logProbs: l, advantages: adv, valid: valid, centering: .exactMean)
      let top = CovarianceSelection.klCovRanking(cov: cov, valid: valid, ratio: ratioParameter)
      for i in top {
        let delta = l[i] - old[i]
        selected[i] = 1
        lambda[i] += coef * Swift.abs(delta)
        slope[i] += coef * (delta > 0 ? 1 : (delta < 0 ? -1 : 0))
      }
      result.topPositions = top
      result.topCount = k
      result.metrics = [("ppo_kl", Self.maskedMean(absKL, mask))]
    }

    result.metrics += base
    terms = TokenTerms(lambda: lambda, slope: slope, selected: selected)
  }
}
