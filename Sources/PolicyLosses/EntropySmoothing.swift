import RealModule

/// EPO's entropy smoothing (arXiv 2509.22576), as the official code computes it
/// (`WujiangXu/EPO`, `dp_actor.py` L744–843, `generate_entropy_penalty`): with the entropy
/// bonus `c_H` (``PolicyLoss/entropyCoefficient``) the loss is
/// `L_pg − c_H·[agg(H) − c_s·agg(P)]`, where per token (token mode)
/// `P_t = 0` if `κ_lo·H̄_hist < H_t < κ_hi·H̄_hist` and `p_out` otherwise, times the phase
/// weight `w`; in sequence mode the band test is on the row's mean `H` over all its positions
/// (padding counted as 0) and `P` is broadcast to the row. `H̄_hist` is the historical mean
/// entropy of the sample's turn (the caller's: the cumulative mean over the run's steps, the
/// current one included).
///
/// `P` is built from a comparison and constants, so **as released the smoothing carries no
/// gradient**: it shifts the loss's value only, and EPO's update is the entropy bonus `c_H`.
/// The code's per-micro-batch gate (any sample at turn ≥ 25, from a misspelt config key) is
/// the caller's choice of `history`.
///
/// Defaults: `c_s` (`entropy_smooth_coeff`) 1, `κ` 0.5/1.5 (the script; the config file
/// 0.8/1.2), `p_out` 0.1, token mode, `c_H` 0.001.
public struct EntropySmoothing: Sendable, Equatable {
  /// The band test per token or per sequence.
  public enum Mode: String, Sendable { case token, seq }
  /// `c_s`, `κ_lo`, `κ_hi`, `p_out`, the phase weight `w`.
  public var coefficient: Double, lowerRatio: Double, upperRatio: Double, penalty: Double, weight: Double
  /// The band test per token (`token`) or on each row's mean entropy (`seq`).
  public var mode: Mode
  /// `H̄_hist` of each row (response) of the batch, or one value for all rows.
  public var history: [Double]

  /// Smoothing with the script's defaults unless given.
  public init(history: [Double], coefficient: Double = 1, lowerRatio: Double = 0.5, upperRatio: Double = 1.5, penalty: Double = 0.1,
              weight: Double = 1, mode: Mode = .token) {
    self.history = history
    self.coefficient = coefficient
    self.lowerRatio = lowerRatio
    self.upperRatio = upperRatio
    self.penalty = penalty
    self.weight = weight
    self.mode = mode
  }

  /// The phase weight of epoch `e` (`enable_smooth_weights`, horizon 150 hard-coded):
  /// `1 − 0.2(1 − e^{−2e/75})` for `e ≤ 75`, `0.8·e^{−3(e − 75)/75}` beyond, `e` clamped to
  /// `[0, 150]` (0.827 at 75, then a step down to 0.769).
  public static func phaseWeight(epoch: Int) -> Double {
    let e = Double(Swift.min(Swift.max(epoch, 0), 150))
    return e <= 75 ? 1 - 0.2 * (1 - Double.exp(-2 * e / 75)) : 0.8 * Double.exp(-3 * (e - 75) / 75)
  }

  /// Checks the parameters against a batch of `rows` rows.
  func validate(rows: Int) throws(LossError) {
    guard !history.isEmpty else { throw LossError("EPO's smoothing needs the historical entropy of the samples' turn (entropy_history)") }
    guard history.count == rows || history.count == 1 else { throw LossError("EPO's entropy history has \(history.count) values for \(rows) rows") }
    guard history.allSatisfy(\.isFinite), coefficient.isFinite, lowerRatio.isFinite, upperRatio.isFinite, penalty.isFinite, weight.isFinite else {
      throw LossError("EPO's smoothing parameters and history must be finite")
    }
    guard lowerRatio <= upperRatio else { throw LossError("entropy_smooth_min_ratio (\(lowerRatio)) must not exceed entropy_smooth_max_ratio (\(upperRatio))") }
  }

  /// `P` per position from the entropies `h` (`rows × columns`, 0 at padding as the code's
  /// padded tensors hold it).
  public func penalties(entropy h: [Double], mask: [Double], rows: Int, columns: Int) -> [Double] {
    var out = [Double](repeating: 0, count: rows * columns)
    for b in 0..<rows {
      let past = history.count == 1 ? history[0] : history[b]
      let lo = lowerRatio * past, hi = upperRatio * past
      func outside(_ x: Double) -> Bool { !(x > lo && x < hi) }
      switch mode {
      case .token:
        for t in 0..<columns {
          let i = b * columns + t
          out[i] = outside(mask[i] != 0 ? h[i] : 0) ? penalty * weight : 0
        }
      case .seq:
        let mean = (0..<columns).reduce(0.0) { $0 + (mask[b * columns + $1] != 0 ? h[b * columns + $1] : 0) } / Double(columns)
        for t in 0..<columns { out[b * columns + t] = outside(mean) ? penalty * weight : 0 }
      }
    }
    return out
  }
}
