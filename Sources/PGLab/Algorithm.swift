import PolicyLosses

/// How a run estimates the gradient of expected reward with respect to its logits.
///
/// - `sampled`: from sampled actions and rewards, `v = A (e_a − p)` per sample (score function);
/// - `expected`: the exact expected gradient with the known mean rewards of the context,
///   `v = p ⊙ (μ − p·μ)` (no action is sampled; the reward probe is `p·μ`);
/// - `natural`: the natural gradient with known means; for a tabular softmax
///   `F⁺∇ = μ − p·μ` in logit space (tabular policies with SGD only).
public enum GradientEstimator: String, Sendable, Equatable, CaseIterable {
  /// `sampled`: `v = A (e_a − p)` per sampled action; `expected`: the exact `v = p ⊙ (μ − p·μ)`;
  /// `natural`: `F⁺∇ = μ − p·μ` (tabular policies with SGD).
  case sampled, expected, natural
}

/// The advantage `A` attached to a sampled action.
///
/// - `reward`: `A = r` (plain REINFORCE);
/// - `runningMean(rate)`: `A = r − b`, then `b ← b + rate (r̄ − b)` with `r̄` the batch mean
///   (for a batch of 1, the running mean of `shared/bench/bandit_pg.py`);
/// - `learned(rate)`: `A = r − V(x)` with a linear value `V(x) = wᵀ(x, 1)` trained by one SGD
///   step per batch on `½ mean (r − V)²`: `w ← w + rate · mean((r − V)(x, 1))`;
/// - `leaveOneOut`: RLOO, per group of samples of one context, `A = r − mean of the others`;
/// - `groupNormalized(scaleByStd, epsilon)`: GRPO, per group of samples of one context,
///   `A = (r − mean_g r) / (std_g r + ε)` with the unbiased std (as verl, `ε = 1e-6`), or
///   `A = r − mean_g r` without the scaling (Dr. GRPO).
public enum AdvantageEstimator: Sendable, Equatable {
  /// `A = r` (plain REINFORCE).
  case reward
  /// `A = r − b`, then `b ← b + rate (r̄ − b)` with `r̄` the batch mean.
  case runningMean(rate: Double)
  /// `A = r − V(x)` with `V(x) = wᵀ(x, 1)`, then `w ← w + rate · mean((r − V)(x, 1))`.
  case learned(rate: Double)
  /// GRPO: `A = (r − mean_g r)/(std_g r + ε)` (unbiased std), or `A = r − mean_g r` without `scaleByStd`
  /// (Dr. GRPO).
  case groupNormalized(scaleByStd: Bool, epsilon: Double)
  /// RLOO: `A_i = r_i − (Σ_{j≠i} r_j)/(G − 1)` within each group of `G` samples.
  case leaveOneOut

  /// GRPO's advantages of one group: `(r − mean r) / (std r + ε)` with the unbiased std
  /// (`√(Σ(r − mean)²/(G − 1))`), or `r − mean r` without the scaling. A group whose rewards
  /// are all equal gets zeros.
  public static func groupAdvantages(_ rewards: [Double], scaleByStd: Bool, epsilon: Double) -> [Double] {
    OutcomeAdvantages.grpoGroup(rewards, epsilon: epsilon, normalizeByStd: scaleByStd)
  }
}

/// The surrogate objective whose gradient a step follows.
///
/// - `policyGradient`: `J = mean_b A_b log π(a_b)`, one step per batch;
/// - `ppoClip(epochs, clipLow, clipHigh)`: `epochs` steps on the same batch, each on
///   `mean_b min(ρ_b A_b, clip(ρ_b, 1 − ε_low, 1 + ε_high) A_b)` with
///   `ρ = π(a)/π_old(a)`; its logit gradient is `ρA(e_a − p)` where the minimum is the
///   unclipped term and 0 where the clip is active (`A > 0, ρ > 1 + ε_high` or
///   `A < 0, ρ < 1 − ε_low`). `ε_high > ε_low` is DAPO's clip-higher.
/// - `tokenLoss(loss, epochs)`: any loss of the `PolicyLosses` module (PPO with dual-clip and
///   clamp, Clip-Cov, KL-Cov, entropy bonus, KL to the initial policy, top-entropy mask, STEER,
///   normalised step, `(1 − p_c)` clamp …), `epochs` optimiser steps per batch; each sample is
///   a one-token response (rows = samples, columns = 1) whose logits are its context's, so the
///   loss's logit gradient drives the step. The reference policy of a KL penalty is the run's
///   initial policy.
public enum Surrogate: Sendable, Equatable {
  /// `J = mean_b A_b log π(a_b)`, one optimiser step per batch.
  case policyGradient
  /// PPO-clip: `epochs` steps on `mean_b min(ρA, clip(ρ, 1 − ε_low, 1 + ε_high) A)`, `ρ = π(a)/π_old(a)`.
  case ppoClip(epochs: Int, clipLow: Double, clipHigh: Double)
  /// A ``PolicyLoss`` on one-token responses, `epochs` optimiser steps per batch.
  case tokenLoss(PolicyLoss, epochs: Int)

  /// Number of optimiser steps per batch.
  public var epochs: Int {
    switch self {
    case .policyGradient: return 1
    case .ppoClip(let e, _, _), .tokenLoss(_, let e): return e
    }
  }
}
