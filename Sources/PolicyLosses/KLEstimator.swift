import RealModule

/// Per-token estimators of `KL(π‖π_ref)` from the sampled token's log-probs, `δ = ℓ − ℓ_ref`
/// (Schulman, "Approximating KL divergence", 2020; verl's `kl_penalty`, names included):
///
/// - `k1` (`kl`): `δ`;
/// - `abs`: `|δ|`;
/// - `k2` (`mse`): `δ²/2`;
/// - `k3` (`low_var_kl`): `e^{−δ'} − 1 + δ'` with `δ' = clamp(δ, −20, 20)` (computed as
///   `e^{κ} − κ − 1`, `κ = clamp(ℓ_ref − ℓ, −20, 20)`), the result clamped to `[−10, 10]`.
///
/// With `straightThrough` (verl's `k1+`, `k3+`), the value is the estimator's and the gradient
/// is k2's, `δ`. Gradients are with respect to `ℓ` (zero where a clamp is active; `d|δ|/dδ = 0`
/// at 0, as in torch).
public struct KLEstimator: Sendable, Equatable {
  /// The estimator family.
  public enum Kind: String, Sendable, CaseIterable {
    /// `k1`: `δ`; `abs`: `|δ|`; `k2`: `δ²/2`; `k3`: `e^{−δ} − 1 + δ`, clamped (see the type).
    case k1, abs, k2, k3
  }

  /// Family.
  public var kind: Kind
  /// k2's gradient under this estimator's value.
  public var straightThrough = false

  /// An estimator.
  public init(_ kind: Kind, straightThrough: Bool = false) {
    self.kind = kind
    self.straightThrough = straightThrough
  }

  /// Parses verl's names: `kl`, `k1`, `abs`, `mse`, `k2`, `low_var_kl`, `k3`, and `k1+`, `k3+`.
  public init?(name: String) {
    let plus = name.hasSuffix("+")
    let base = plus ? String(name.dropLast()) : name
    switch base {
    case "kl", "k1": self.init(.k1, straightThrough: plus)
    case "abs": self.init(.abs, straightThrough: plus)
    case "mse", "k2": self.init(.k2)
    case "low_var_kl", "k3": self.init(.k3, straightThrough: plus)
    default: return nil
    }
  }

  /// The estimate and its derivative with respect to `ℓ`.
  public func evaluate(logProb l: Double, refLogProb r: Double) -> (value: Double, derivative: Double) {
    let delta = l - r
    var value: Double, derivative: Double
    switch kind {
    case .k1:
      value = delta
      derivative = 1
    case .abs:
      value = Swift.abs(delta)
      derivative = delta > 0 ? 1 : (delta < 0 ? -1 : 0)
    case .k2:
      value = 0.5 * delta * delta
      derivative = delta
    case .k3:
      let raw = r - l
      let kappa = Swift.min(Swift.max(raw, -20), 20)
      let kappaActive = raw >= -20 && raw <= 20
      let e = Double.exp(kappa)
      let kld = e - kappa - 1
      value = Swift.min(Swift.max(kld, -10), 10)
      let clampActive = kld >= -10 && kld <= 10
      // d/dℓ (e^κ − κ − 1) = (e^κ − 1)·dκ/dℓ with dκ/dℓ = −1 inside the clamp.
      derivative = (kappaActive && clampActive) ? -(e - 1) : 0
    }
    if straightThrough { derivative = delta }
    return (value, derivative)
  }
}
