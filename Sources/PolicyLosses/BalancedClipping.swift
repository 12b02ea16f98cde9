import RealModule

/// BAPO's adaptive clip bounds (Xi et al., arXiv 2510.18927), as the official code computes
/// them (`WooooDyy/BAPO`, `recipe/bapo/policy_loss.py`), once per evaluation (a micro-batch),
/// from the start values each time:
///
/// - with `r = e^{clamp(ℓ − ℓ_old, ±20)}` and absolute ratio bounds `c_low`, `c_high`, the
///   statistic is `pos/neg`, `pos = Σ_{A ≥ 0} m·A·min(r, c_high)`,
///   `neg = Σ_{A < 0} m·|A|·max(r, c_low)`, `+∞` when `neg = 0`, else `pos/(neg + 10⁻⁸)`;
/// - while it is below the target: raise `c_low` by `δ⁻` up to `b⁻` (recomputing it after each
///   step); then raise `c_high` by `δ⁺` up to `b⁺`;
/// - the loss is PPO-clip with `clip(r, c_low, c_high)` and the surrogate's dual-clip and clamp.
///
/// Raising `c_low` raises `neg`, so the value statistic can only fall as `c_low` rises: the
/// first loop always runs `c_low` to `b⁻`. The `gradient` statistic instead sums
/// `m·|A|·r` over the tokens whose gradient the bounds leave on (`A > 0`: `r ≤ c_high`;
/// `A < 0`: `c_low ≤ r ≤ c`), which moves the intended way (METHODS.md §18's caveat).
///
/// Defaults are the repository's yaml (target 1 as pos/neg ≡ ρ₀ = 0.5; `c_low` 0.6 → 0.8 by
/// 0.05; `c_high` 1.2 → 2.0 by 0.05). The sources disagree: the example script uses target 0.5,
/// `c_low` 0.8 → 0.95, `δ⁺` 0.1; the paper ρ₀ = 0.4 (pos/total), `c_low` 0.6 → 0.9 by 0.02,
/// `c_high` 1.2 → 3.0, and its Algorithm 1 raises `c_high` first.
public struct BalancedClipping: Sendable, Equatable {
  /// Which statistic the search reads.
  public enum Statistic: String, Sendable { case value, gradient }
  /// The target of `pos/neg` (`adv_ratio_target`).
  public var target: Double
  /// `c_low`: start, maximum, step (`ratio_lower_start`, `ratio_lower_max`, `ratio_lower_step`).
  public var lowerStart: Double, lowerMax: Double, lowerStep: Double
  /// `c_high`: start, maximum, step.
  public var upperStart: Double, upperMax: Double, upperStep: Double
  /// The statistic of the search: `pos/neg` of the clipped values, or of the gradient-carrying tokens.
  public var statistic: Statistic

  /// BAPO with the yaml's values unless given.
  public init(target: Double = 1, lowerStart: Double = 0.6, lowerMax: Double = 0.8, lowerStep: Double = 0.05,
              upperStart: Double = 1.2, upperMax: Double = 2.0, upperStep: Double = 0.05, statistic: Statistic = .value) {
    self.target = target
    self.lowerStart = lowerStart
    self.lowerMax = lowerMax
    self.lowerStep = lowerStep
    self.upperStart = upperStart
    self.upperMax = upperMax
    self.upperStep = upperStep
    self.statistic = statistic
  }

  /// Checks the parameters.
  func validate() throws(LossError) {
    let all = [target, lowerStart, lowerMax, lowerStep, upperStart, upperMax, upperStep]
    guard all.allSatisfy({ $0.isFinite }) else { throw LossError("BAPO's parameters must be finite") }
    guard lowerStart > 0, lowerStart <= lowerMax, lowerMax <= 1 else {
      throw LossError("BAPO needs 0 < ratio_lower_start ≤ ratio_lower_max ≤ 1, got \(lowerStart), \(lowerMax)")
    }
    guard upperStart >= 1, upperStart <= upperMax else {
      throw LossError("BAPO needs 1 ≤ ratio_upper_start ≤ ratio_upper_max, got \(upperStart), \(upperMax)")
    }
    guard lowerStep >= 0, upperStep >= 0 else { throw LossError("BAPO's steps must be ≥ 0") }
  }

  /// The search's result: the final bounds, the statistic there, and the steps taken.
  public struct Bounds: Sendable, Equatable {
    /// The final `c_low` and `c_high`, the statistic there, and the number of search steps taken.
    public var low: Double, high: Double, statistic: Double, steps: Int
  }

  /// The bounds for `batch`, with the surrogate's dual-clip `c` and log-ratio clamp.
  ///
  /// - Complexity: O((S + 1)·N) for `N = B·L` positions and `S` search steps (at most
  ///   `⌈(b⁻ − c_low)/δ⁻⌉ + ⌈(b⁺ − c_high)/δ⁺⌉`).
  public func bounds(_ batch: TokenBatch, dualClip: Double?, logRatioClamp: Double?) -> Bounds {
    let n = batch.count, adv = batch.advantages, mask = batch.mask
    let r = (0..<n).map { i -> Double in
      let d = batch.logProb[i] - batch.oldLogProb[i]
      return Double.exp(logRatioClamp.map { Swift.min(Swift.max(d, -$0), $0) } ?? d)
    }
    func value(_ low: Double, _ high: Double) -> Double {
      var pos = 0.0, neg = 0.0
      for i in 0..<n where mask[i] != 0 {
        let a = adv[i]
        switch statistic {
        case .value:
          if a >= 0 { pos += a * Swift.min(r[i], high) } else { neg += -a * Swift.max(r[i], low) }
        case .gradient:
          if a > 0, r[i] <= high { pos += a * r[i] }
          if a < 0, r[i] >= low, r[i] <= (dualClip ?? .infinity) { neg += -a * r[i] }
        }
      }
      return neg <= 0 ? .infinity : pos / (neg + 1e-8)
    }
    var low = lowerStart, high = upperStart, steps = 0
    var s = value(low, high)
    while s < target, low < lowerMax, lowerStep > 0 {
      low = Swift.min(low + lowerStep, lowerMax)
      s = value(low, high)
      steps += 1
    }
    while s < target, high < upperMax, upperStep > 0 {
      high = Swift.min(high + upperStep, upperMax)
      s = value(low, high)
      steps += 1
    }
    return Bounds(low: low, high: high, statistic: s, steps: steps)
  }
}
