import SampleStatistics

/// The quantities recorded for one run at one step.
public enum Probe: Int, CaseIterable, Sendable {
  /// Reward received.
  case reward
  /// Expected instantaneous regret `max μ − p·μ`.
  case regret
  /// Probability of the sampled action `p_c` (NaN for expected/natural rules).
  case chosenProbability
  /// Entropy `H(p)` before the step.
  case entropy
  /// Collision probability `C(p)` before the step.
  case collision
  /// Measured `‖Δz‖₂`.
  case updateNorm
  /// Closed form `η|A|√(1 − 2p_c + C)` (NaN for expected/natural rules).
  case updateNormClosedForm
  /// `|‖Δz‖ − closed form| / closed form` (NaN for expected/natural rules or a zero step).
  case normRelativeError
  /// Zero-sum residual `Σ Δz`.
  case zeroSum
  /// First-order entropy change `−Cov_p(log p, Δz)`.
  case entropyChangePredicted
  /// Exact entropy change `H(z + Δz) − H(z)`.
  case entropyChangeActual
  /// Norm of the logit-space prediction `‖η ∇_z J‖`: the change free logits (a tabular
  /// policy under SGD) would make with the same per-context gradient (NaN for tabular runs,
  /// where it is the measured change).
  case logitSpaceNorm
  /// `‖Δz_real‖ / ‖Δz_pred‖`: how much the parameterisation (`J Jᵀ`, optimiser) scales the step.
  case jacobianRatio
  /// `cos(Δz_real, Δz_pred)`: how much it turns the step.
  case jacobianCosine

  /// Column stem in `series.csv`.
  public var name: String {
    switch self {
    case .reward: return "reward"
    case .regret: return "regret"
    case .chosenProbability: return "p_chosen"
    case .entropy: return "entropy"
    case .collision: return "collision"
    case .updateNorm: return "update_norm"
    case .updateNormClosedForm: return "update_norm_closed_form"
    case .normRelativeError: return "norm_rel_err"
    case .zeroSum: return "zero_sum"
    case .entropyChangePredicted: return "dH_predicted"
    case .entropyChangeActual: return "dH_actual"
    case .logitSpaceNorm: return "logit_space_norm"
    case .jacobianRatio: return "jjt_ratio"
    case .jacobianCosine: return "jjt_cosine"
    }
  }

  /// The probes whose 10/50/90% quantiles over runs are reported.
  public static let quantileProbes: [Probe] = [.reward, .chosenProbability, .entropy, .collision, .updateNorm]

  /// Position in ``quantileProbes``, or nil.
  @inlinable
  public var quantileIndex: Int? {
    switch self {
    case .reward: return 0
    case .chosenProbability: return 1
    case .entropy: return 2
    case .collision: return 3
    case .updateNorm: return 4
    default: return nil
    }
  }
}

/// One step's probes aggregated over runs: mean, the 10/50/90% quantiles and max |·|
/// per probe (NaN values, e.g. closed forms that do not apply, are left out).
public struct StepAggregate: Sendable {
  /// The step (0-based).
  public let step: Int
  /// Per probe: mean, q10, q50, q90, max |x| over runs.
  public let mean: [Double], q10: [Double], q50: [Double], q90: [Double], maxAbs: [Double]

  /// Whether the CSV reports this probe's quantiles (only those are sorted).
  static func hasQuantiles(_ p: Probe) -> Bool { p.quantileIndex != nil }

  /// An aggregate from its parts (each indexed by `Probe.rawValue`).
  public init(step: Int, mean: [Double], q10: [Double], q50: [Double], q90: [Double], maxAbs: [Double]) {
    self.step = step
    self.mean = mean
    self.q10 = q10
    self.q50 = q50
    self.q90 = q90
    self.maxAbs = maxAbs
  }

  /// The 10/50/90% quantiles of `values` (sorted in place; NaN-free), by linear interpolation
  /// between order statistics: `x_(⌊h⌋) + (h − ⌊h⌋)(x_(⌊h⌋+1) − x_(⌊h⌋))`, `h = (n − 1) f`.
  ///
  /// - Complexity: O(n log n) for `n` values.
  public static func quantiles(sorting values: inout [Double]) -> (Double, Double, Double) {
    guard !values.isEmpty else { return (.nan, .nan, .nan) }
    values.sort()
    return (SampleStatistics.quantile(sorted: values, 0.1), SampleStatistics.quantile(sorted: values, 0.5), SampleStatistics.quantile(sorted: values, 0.9))
  }

  /// Aggregates `values[probe][run]`, in a fixed order (results do not depend on threads).
  /// Quantiles (linear interpolation between order statistics) are computed only for the
  /// probes whose quantiles are reported (and only with `quantiles`); the others get NaN there.
  ///
  /// - Complexity: O(Q·N) for `Q` probes of `N` runs, plus O(N log N) for each probe whose quantiles are
  ///   reported.
  public init(step: Int, values: [[Double]], quantiles: Bool = true) {
    self.step = step
    var mean: [Double] = [], q10: [Double] = [], q50: [Double] = [], q90: [Double] = [], maxAbs: [Double] = []
    var scratch: [Double] = []
    for (index, column) in values.enumerated() {
      var s = 0.0, count = 0, largest = 0.0
      for x in column where !x.isNaN {
        s += x
        count += 1
        largest = Swift.max(largest, abs(x))
      }
      guard count > 0 else {
        mean.append(.nan); q10.append(.nan); q50.append(.nan); q90.append(.nan); maxAbs.append(.nan)
        continue
      }
      mean.append(s / Double(count))
      maxAbs.append(largest)
      guard quantiles, Self.hasQuantiles(Probe(rawValue: index)!) else {
        q10.append(.nan); q50.append(.nan); q90.append(.nan)
        continue
      }
      scratch.removeAll(keepingCapacity: true)
      for x in column where !x.isNaN { scratch.append(x) }
      let (a, b, c) = Self.quantiles(sorting: &scratch)
      q10.append(a); q50.append(b); q90.append(c)
    }
    self.mean = mean
    self.q10 = q10
    self.q50 = q50
    self.q90 = q90
    self.maxAbs = maxAbs
  }

  /// The CSV header of ``csvRow``.
  public static var csvHeader: String {
    var cols = ["step"]
    for p in Probe.allCases {
      cols.append("\(p.name)_mean")
      if hasQuantiles(p) { cols += ["\(p.name)_q10", "\(p.name)_q50", "\(p.name)_q90"] }
      switch p {
      case .zeroSum: cols.append("zero_sum_abs_max")
      case .normRelativeError: cols.append("norm_rel_err_max")
      default: break
      }
    }
    return cols.joined(separator: ",")
  }

  /// One CSV line (no newline); NaN as an empty field.
  public var csvRow: String {
    func f(_ x: Double) -> String { x.isNaN ? "" : "\(x)" }
    var cells = ["\(step)"]
    for p in Probe.allCases {
      let i = p.rawValue
      cells.append(f(mean[i]))
      if Self.hasQuantiles(p) { cells += [f(q10[i]), f(q50[i]), f(q90[i])] }
      switch p {
      case .zeroSum, .normRelativeError: cells.append(f(maxAbs[i]))
      default: break
      }
    }
    return cells.joined(separator: ",")
  }
}
