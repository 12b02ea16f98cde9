import RealModule
import SeededRandom
import SoftmaxCore

/// The base surrogate of a policy loss, per token (`ℓ`, `ℓ_old` current and old log-probs,
/// `A` the advantage, `Δ = ℓ − ℓ_old`, `r = e^Δ`; the loss is minimised):
///
/// - `reinforce`: `λ = −A ℓ` (verl's `compute_policy_loss_reinforce`);
/// - `vanilla` (PPO-clip, verl's `compute_policy_loss_vanilla`): `Δ` clamped to `±logRatioClamp`
///   (verl: 20), `L1 = −A r`, `L2 = −A clip(r, 1 − ε_low, 1 + ε_high)`, `C1 = max(L1, L2)`;
///   for `A < 0` with dual-clip `c > 1`: `λ = min(C1, −A c)`, else `λ = C1`. `ε_high > ε_low`
///   is DAPO's clip-higher;
/// - `clipCov` (Cui et al. eqs. 11–12, verl's `compute_policy_loss_clip_cov`): no clamp, no
///   dual-clip; `λ = max(L1, L2)` except for a random subset of the tokens with
///   `lb < cov < ub` not already clipped by PPO, whose loss and gradient are 0 (they still count
///   in the denominator); see ``ClipCovDraw``;
/// - `klCov` (eqs. 13–14, verl's `compute_policy_loss_kl_cov`): no clipping; `λ = −A r`, plus
///   `β|Δ|` on the top `max(1, ⌊k·N⌋)` tokens by covariance.
///
/// The token covariance is `cov_i = (A_i − mean A)(ℓ_i − mean ℓ)` over the valid tokens.
/// Gradients follow torch's conventions: zero where a clamp or clip is active (bounds
/// inclusive), half to each side of an exact tie of `max`/`min`, `d|x|/dx = 0` at 0.
public enum SurrogateLoss: Sendable, Equatable {
  case reinforce
  case vanilla(clipLow: Double, clipHigh: Double, dualClip: Double?, logRatioClamp: Double?)
  case clipCov(clipLow: Double, clipHigh: Double, ratio: Double, lowerBound: Double, upperBound: Double, draw: ClipCovDraw)
  case klCov(ratio: Double, coefficient: Double)

  /// verl's defaults: `ε = 0.2`, dual-clip `c = 3`, log-ratio clamp 20.
  public static let ppoDefault = SurrogateLoss.vanilla(clipLow: 0.2, clipHigh: 0.2, dualClip: 3, logRatioClamp: 20)
}

/// How Clip-Cov picks `count` of its `M` eligible tokens (uniformly without replacement).
///
/// - `seeded(s)`: a partial Fisher–Yates shuffle on `Xoshiro256StarStar(seed: s)` (the
///   project's generator; ``CovarianceSelection/clipCovDraw(eligible:count:seed:)``);
/// - `torch(s)`: the first `count` entries of `torch.randperm(M)` on torch's CPU generator after
///   `torch.manual_seed(s)`, eligible tokens in row-major order — the very tokens a verl trainer
///   seeded so picked.
public enum ClipCovDraw: Sendable, Equatable {
  case seeded(UInt64)
  case torch(UInt64)
}

/// A KL penalty to a reference policy: `+ coefficient · agg(k(ℓ, ℓ_ref))`.
public struct KLPenalty: Sendable, Equatable {
  public var estimator: KLEstimator
  public var coefficient: Double
  public init(_ estimator: KLEstimator, coefficient: Double) {
    self.estimator = estimator
    self.coefficient = coefficient
  }
}

/// STEER's token weights (Hao et al., arXiv 2510.10150, official code): with
/// `π = clamp(e^ℓ, 1e-8, 1 − 1e-8)`, `Ω = (A/π_old)·π(1 − π)·(log π + H)` per token, and over the
/// valid tokens
///
/// - linear: `w = w_max − (|Ω| − min|Ω|)(w_max − w_min)/(max|Ω| − min|Ω|)`, clamped to
///   `[w_min, w_max]` (all `w_max` when every `|Ω|` is equal);
/// - exponential: `w = clamp(e^{−κ|Ω|}, w_min, 1)`, `κ = −ln(w_min)/max(max|Ω|, 0.02)`.
///
/// The weights multiply the per-token loss and carry no gradient. Script defaults: `w_min`
/// 0.8, `w_max` 1.2 (linear) or 1.0 (exponential).
public struct SteerWeighting: Sendable, Equatable {
  public enum Shape: String, Sendable { case linear, exponential }
  public var shape: Shape
  public var minimum: Double, maximum: Double
  public init(_ shape: Shape, minimum: Double = 0.8, maximum: Double? = nil) {
    self.shape = shape
    self.minimum = minimum
    self.maximum = maximum ?? (shape == .linear ? 1.2 : 1.0)
  }

  /// The weights of the valid tokens (1 elsewhere).
  public func weights(_ batch: TokenBatch, entropy: [Double]) -> [Double] {
    var omega = [Double](repeating: 0, count: batch.count)
    var lo = Double.infinity, hi = -Double.infinity
    for i in 0..<batch.count where batch.mask[i] != 0 {
      let p = Swift.min(Swift.max(Double.exp(batch.logProb[i]), 1e-8), 1 - 1e-8)
      let old = Double.exp(batch.oldLogProb[i])
      omega[i] = Swift.abs(batch.advantages[i] / old * p * (1 - p) * (Double.log(p) + entropy[i]))
      lo = Swift.min(lo, omega[i])
      hi = Swift.max(hi, omega[i])
    }
    return (0..<batch.count).map { i in
      guard batch.mask[i] != 0 else { return 1 }
      switch shape {
      case .linear:
        guard hi - lo > 0 else { return maximum }
        let w = maximum - (omega[i] - lo) * (maximum - minimum) / (hi - lo)
        return Swift.min(Swift.max(w, minimum), maximum)
      case .exponential:
        let kappa = -Double.log(minimum) / Swift.max(hi, 0.02)
        return Swift.min(Swift.max(Double.exp(-kappa * omega[i]), minimum), 1)
      }
    }
  }
}

/// What a loss evaluation returns: the scalar, its gradients, the tokens an intervention
/// selected, and the statistics the frameworks log (verl's key names).
public struct LossResult: Sendable {
  /// The total loss.
  public var loss: Double
  /// The policy-gradient part (before entropy and KL terms).
  public var policyLoss: Double
  /// `∂loss/∂ℓ_i` for every position (0 at masked positions).
  public var gradLogProb: [Double]
  /// `∂loss/∂z` (`[B][L][V]`) when the batch has logits.
  public var gradLogits: [Double]?
  /// Tokens the intervention selected (Clip-Cov, KL-Cov, top-entropy mask), 0/1 per position.
  public var selectedMask: [Double]
  /// Logged statistics, in order (`pg_clipfrac`, `ppo_kl`, `pg_clipfrac_lower`, …).
  public var metrics: [(String, Double)]
  /// Clip-Cov's draw: the eligible tokens in row-major order and the permutation used.
  public var eligible: [Int] = [], permutation: [Int] = []
  /// Clip-Cov's counts: valid tokens, `clip_num`, eligible tokens, whether every eligible
  /// token was taken (the draw did not matter).
  public var validCount = 0, clipNumber = 0, eligibleCount = 0, selectionForced = false
  /// KL-Cov's chosen flat positions in order of decreasing covariance, and `k`.
  public var topPositions: [Int] = [], topCount = 0

  /// The metric named `name`, if logged.
  public func metric(_ name: String) -> Double? { metrics.first { $0.0 == name }?.1 }
}

/// A policy loss: a base surrogate, an aggregation, and any set of the published
/// interventions, each with its parameters as in `shared/METHODS.md`:
///
/// - entropy bonus `− entropyCoefficient · agg(H)` (gradient through the logits);
/// - a KL penalty to a reference policy (``KLPenalty``);
/// - the top-ρ high-entropy token mask of Wang et al. (80/20): only the `⌈ρN⌉` highest-entropy
///   valid tokens keep their policy-gradient loss; with `topEntropyRenormalize` (the official
///   code) the aggregation's mask becomes `m · keep` (token-mean divides by the kept count),
///   without it (TRL, the paper's formula) the loss is multiplied by `keep` and the normaliser
///   stays;
/// - STEER's token reweighting (``SteerWeighting``);
/// - Lp-Reg's k3 pull of the selected low-probability tokens toward the min-p proxy
///   (``LowProbabilityRegularization``; the batch's `proxyLogProb`, or its own logits);
/// - SIREN's `+ α(H̄ − H_anchor)²` on the peak positions' top-p entropy
///   (``SelectiveEntropyRegularization``; needs logits);
/// - EPO's smoothing `+ c_H·c_s·agg(P)` next to the entropy bonus (``EntropySmoothing``);
/// - BAPO's clip bounds searched per evaluation (``BalancedClipping``; a `vanilla` surrogate
///   then clips at `[c_low, c_high]`);
/// - the update-norm–normalised step of seed 002's open question 3: each token's loss weighted
///   by `1/√max(1 − 2p_c + C(p), floor)` (no gradient through the weight), so that every
///   token's logit step has the same norm;
/// - the `(1 − p_c)` clamp ablation of seed 002 (experiment 2): the chosen logit's gradient
///   factor `1 − p_c` replaced by 1 (needs logits).
public struct PolicyLoss: Sendable, Equatable {
  public var surrogate: SurrogateLoss
  public var aggregation: Aggregation
  public var entropyCoefficient = 0.0
  public var klPenalty: KLPenalty?
  public var topEntropyRatio: Double?
  public var topEntropyRenormalize = true
  public var steer: SteerWeighting?
  /// Lp-Reg's pull of selected low-probability tokens toward the min-p proxy.
  public var lowProbability: LowProbabilityRegularization?
  /// SIREN's squared deviation of the peak top-p entropy from its anchor.
  public var siren: SelectiveEntropyRegularization?
  /// EPO's entropy smoothing (a value term; it carries no gradient, as released).
  public var entropySmoothing: EntropySmoothing?
  /// BAPO's adaptive clip bounds (on a `vanilla` surrogate).
  public var balancedClipping: BalancedClipping?
  public var normalizedStep = false
  public var normalizedStepFloor = 1e-6
  public var complementClamp = false

  /// A loss with no intervention.
  public init(_ surrogate: SurrogateLoss, aggregation: Aggregation = Aggregation(.tokenMean)) {
    self.surrogate = surrogate
    self.aggregation = aggregation
  }

  /// Checks the parameters, naming the bad one.
  public func validate() throws(LossError) {
    try aggregation.validate()
    switch surrogate {
    case .reinforce: break
    case .vanilla(let low, let high, let c, let clamp):
      try checkClip(low, high)
      if let c, !(c > 1) { throw LossError("clip_ratio_c must be > 1 (dual-clip), got \(c)") }
      if let clamp, !(clamp > 0) { throw LossError("the log-ratio clamp must be > 0, got \(clamp)") }
    case .clipCov(let low, let high, let ratio, let lb, let ub, _):
      try checkClip(low, high)
      guard ratio > 0, ratio <= 1 else { throw LossError("clip_cov_ratio must lie in (0, 1], got \(ratio)") }
      guard lb < ub else { throw LossError("clip_cov_lb (\(lb)) must be below clip_cov_ub (\(ub))") }
    case .klCov(let ratio, let coef):
      guard ratio > 0, ratio <= 1 else { throw LossError("kl_cov_ratio must lie in (0, 1], got \(ratio)") }
      guard coef >= 0, coef.isFinite else { throw LossError("ppo_kl_coef must be ≥ 0, got \(coef)") }
    }
    guard entropyCoefficient.isFinite else { throw LossError("entropy_coeff must be finite, got \(entropyCoefficient)") }
    if let r = topEntropyRatio, !(r > 0 && r <= 1) { throw LossError("entropy_top_ratio must lie in (0, 1], got \(r)") }
    if let s = steer, !(s.minimum > 0 && s.minimum <= s.maximum) {
      throw LossError("STEER needs 0 < w_min ≤ w_max, got \(s.minimum), \(s.maximum)")
    }
    guard normalizedStepFloor > 0 else { throw LossError("normalized_step_floor must be > 0") }
    try lowProbability?.validate()
    try siren?.validate()
    if let bapo = balancedClipping {
      try bapo.validate()
      guard case .vanilla = surrogate else { throw LossError("BAPO adapts the clip of the vanilla (PPO-clip) surrogate") }
    }
  }

  func checkClip(_ low: Double, _ high: Double) throws(LossError) {
    guard low >= 0, low.isFinite, high >= 0, high.isFinite else {
      throw LossError("clip ratios must be finite numbers ≥ 0, got low \(low), high \(high)")
    }
  }

  /// `Σ m x / (Σ m + 1e-8)`: verl's `masked_mean` (used for the logged statistics).
  static func maskedMean(_ x: [Double], _ mask: [Double]) -> Double {
    var s = 0.0, n = 0.0
    for i in x.indices where mask[i] != 0 {
      s += x[i] * mask[i]
      n += mask[i]
    }
    return s / (n + 1e-8)
  }

  /// Derivative of `max(a, b)` with respect to `a` (torch: ½ on a tie).
  @inline(__always) static func maxDerivative(_ a: Double, _ b: Double) -> (Double, Double) {
    a > b ? (1, 0) : (b > a ? (0, 1) : (0.5, 0.5))
  }

  /// Evaluates the loss on a batch.
  public func evaluate(_ batch: TokenBatch) throws(LossError) -> LossResult {
    try validate()
    try batch.validate()
    let n = batch.count, mask = batch.mask
    let l = batch.logProb, old = batch.oldLogProb, adv = batch.advantages
    var lambda = [Double](repeating: 0, count: n), slope = lambda  // λ_i and dλ_i/dℓ_i
    var selected = [Double](repeating: 0, count: n)
    var result = LossResult(loss: 0, policyLoss: 0, gradLogProb: [], gradLogits: nil, selectedMask: [], metrics: [])
    result.validCount = batch.validCount

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
      let meanA = Self.maskedMean(adv, mask), meanL = Self.maskedMean(l, mask)
      let eligible = (0..<n).filter { i in
        guard mask[i] > 0, !clipByOrigin[i] else { return false }
        let cov = (adv[i] - meanA) * (l[i] - meanL)
        return cov > lb && cov < ub
      }
      let clipNumber = Swift.max(Int((ratioParameter * Double(result.validCount)).rounded(.towardZero)), 1)
      var chosen: [Int] = []
      if !eligible.isEmpty {
        let take = Swift.min(clipNumber, eligible.count)
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
      let valid = (0..<n).filter { mask[$0] > 0 }
      let meanA = valid.reduce(0.0) { $0 + adv[$1] } / Double(valid.count)
      let meanL = valid.reduce(0.0) { $0 + l[$1] } / Double(valid.count)
      let k = Swift.max(1, Int((Double(valid.count) * ratioParameter).rounded(.towardZero)))
      // Top k by covariance; ties keep row order.
      let ranked = valid.sorted { a, b in
        let ca = (adv[a] - meanA) * (l[a] - meanL), cb = (adv[b] - meanA) * (l[b] - meanL)
        return ca != cb ? ca > cb : a < b
      }
      let top = Array(ranked.prefix(k))
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
    if let lp = lowProbability {
      let proxy: [Double]
      if let given = batch.proxyLogProb { proxy = given } else { proxy = try LowProbabilityRegularization.proxyLogProbs(batch, minP: lp.minP) }
      let count = lp.apply(batch, proxy: proxy, lambda: &lambda, slope: &slope, selected: &selected)
      result.metrics.append(("lp_reg_selected", Double(count)))
    }

    // Token weights of the interventions (no gradient through them).
    var pgMask = mask
    var tokenWeight = [Double](repeating: 1, count: n)
    let entropy = batch.entropy
    if let rho = topEntropyRatio {
      guard let entropy else { throw LossError("the top-entropy mask needs per-token entropies (entropy or logits)") }
      let valid = (0..<n).filter { mask[$0] > 0 }
      let keep = Swift.min(valid.count, Int((rho * Double(valid.count)).rounded(.up)))
      let ranked = valid.sorted { entropy[$0] != entropy[$1] ? entropy[$0] > entropy[$1] : $0 < $1 }
      var kept = [Double](repeating: 0, count: n)
      for i in ranked.prefix(keep) { kept[i] = 1 }
      if topEntropyRenormalize {
        for i in 0..<n { pgMask[i] = mask[i] * kept[i] }
      } else {
        for i in 0..<n { tokenWeight[i] *= kept[i] }
      }
      for i in 0..<n where kept[i] != 0 { selected[i] = 1 }
      result.metrics.append(("entropy_top_kept", Double(keep)))
    }
    if let steer {
      guard let entropy else { throw LossError("STEER needs per-token entropies (entropy or logits)") }
      let w = steer.weights(batch, entropy: entropy)
      for i in 0..<n { tokenWeight[i] *= w[i] }
      let validW = (0..<n).filter { mask[$0] > 0 }.map { w[$0] }
      result.metrics.append(("steer_weight_min", validW.min() ?? .nan))
      result.metrics.append(("steer_weight_max", validW.max() ?? .nan))
    }
    if normalizedStep {
      if let f = batch.updateNormFactor {
        for i in 0..<n where mask[i] > 0 { tokenWeight[i] /= Swift.max(f[i] * f[i], normalizedStepFloor).squareRoot() }
      } else {
        guard let c = batch.sumPiSquared else { throw LossError("the normalised step needs Σπ² per token (sum_pi_squared or logits)") }
        for i in 0..<n where mask[i] > 0 {
          let p = Double.exp(l[i])
          let factor = (1 - p) * (1 - p) + Swift.max(c[i] - p * p, 0)
          tokenWeight[i] /= Swift.max(factor, normalizedStepFloor).squareRoot()
        }
      }
    }
    for i in 0..<n where tokenWeight[i] != 1 {
      lambda[i] *= tokenWeight[i]
      slope[i] *= tokenWeight[i]
    }

    // Aggregate: the policy-gradient loss, then the entropy and KL terms.
    let rows = batch.rows, columns = batch.columns
    let pgWeights = aggregation.weights(mask: pgMask, rows: rows, columns: columns)
    result.policyLoss = aggregation.aggregate(lambda, mask: pgMask, rows: rows, columns: columns)
    var grad = (0..<n).map { pgWeights[$0] != 0 ? pgWeights[$0] * slope[$0] : 0 }
    var total = result.policyLoss
    let weights = aggregation.weights(mask: mask, rows: rows, columns: columns)
    if entropyCoefficient != 0 {
      guard let entropy else { throw LossError("the entropy bonus needs per-token entropies (entropy or logits)") }
      let agg = aggregation.aggregate(entropy, mask: mask, rows: rows, columns: columns)
      total -= entropyCoefficient * agg
      result.metrics.append(("entropy_agg", agg))
    }
    if let smoothing = entropySmoothing {
      guard let entropy else { throw LossError("EPO's smoothing needs per-token entropies (entropy or logits)") }
      try smoothing.validate(rows: rows)
      let agg = aggregation.aggregate(smoothing.penalties(entropy: entropy, mask: mask, rows: rows, columns: columns), mask: mask, rows: rows, columns: columns)
      total += entropyCoefficient * smoothing.coefficient * agg
      result.metrics.append(("entropy_smooth_penalty", agg))
    }
    var sirenGradient: [Double]?
    if let siren {
      let statistic = try siren.statistic(batch)
      let anchor = siren.anchor ?? statistic.mean, deviation = statistic.mean - anchor
      total += siren.coefficient * deviation * deviation
      sirenGradient = statistic.gradient.map { 2 * siren.coefficient * deviation * $0 }
      for i in 0..<n where statistic.peakMask[i] != 0 { selected[i] = 1 }
      result.metrics += [("siren_entropy", statistic.mean), ("siren_anchor", anchor), ("siren_peaks", statistic.peakMask.reduce(0, +))]
    }
    if let kl = klPenalty {
      guard let ref = batch.refLogProb else { throw LossError("a KL penalty needs ref_log_prob") }
      var values = [Double](repeating: 0, count: n)
      for i in 0..<n {
        let (v, d) = kl.estimator.evaluate(logProb: l[i], refLogProb: ref[i])
        values[i] = v
        if weights[i] != 0 { grad[i] += kl.coefficient * weights[i] * d }
      }
      let agg = aggregation.aggregate(values, mask: mask, rows: rows, columns: columns)
      total += kl.coefficient * agg
      result.metrics.append(("kl_loss", agg))
    }
    result.loss = total
    result.gradLogProb = grad
    result.selectedMask = selected
    guard total.isFinite else {
      throw LossError("the loss is \(total): a non-finite value at a valid position, or (seq modes) at a padded one")
    }

    // Through the logits: ∂ℓ/∂z_j = (δ_jc − p_j)/T, ∂H/∂z_j = −p_j(log p_j + H)/T.
    if let logits = batch.logits, let labels = batch.labels {
      if complementClamp, batch.vocabulary < 2 { throw LossError("complement_clamp needs at least 2 actions") }
      let v = batch.vocabulary, t = batch.temperature
      var g = [Double](repeating: 0, count: n * v)
      // The softmax of each position, as the batch computed it from its logits.
      let p = batch.softmaxProbabilities, logP = batch.softmaxLogProbabilities, h = batch.softmaxEntropies
      precondition(p.count == n * v && logP.count == n * v && h.count == n, "a token batch with logits but no softmax")
      for i in 0..<n where weights[i] != 0 || grad[i] != 0 {
        let c = labels[i], row = i * v
        // δ_jc − p_j, with 1 − p_c as the sum of the other probabilities (stable near p_c = 1),
        // compensated as SoftmaxDistribution.complementProbability(of:).
        var others = CompensatedSum<Double>()
        for j in 0..<v where j != c { others.add(p[row + j]) }
        let complement = others.value
        for j in 0..<v {
          var value = grad[i] * (j == c ? complement : -p[row + j]) / t
          if entropyCoefficient != 0, p[row + j] > 0 {
            value += entropyCoefficient * weights[i] * p[row + j] * (logP[row + j] + h[i]) / t
          }
          g[row + j] = value
        }
        if complementClamp {
          // (1 − p_c) → 1 in the chosen logit's factor.
          g[row + c] += grad[i] * p[row + c] / t
        }
      }
      _ = logits
      if let sirenGradient { for j in g.indices { g[j] += sirenGradient[j] } }
      result.gradLogits = g
    } else if complementClamp {
      throw LossError("complement_clamp acts on the logit gradient and needs logits")
    }
    return result
  }
}
