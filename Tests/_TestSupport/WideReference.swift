import RealModule

#if arch(x86_64) || arch(i386)
/// The widest native float: `Float80` (64-bit significand, ε ≈ 5.4e-20) on x86.
public typealias Wide = Float80
/// Whether `Wide` is wider than `Double`; on other architectures tolerances cannot be 1e-12
/// for ill-conditioned quantities, and tests that need it say so.
public let wideIsWider = true
#else
public typealias Wide = Double
public let wideIsWider = false
#endif

/// A straightforward, independent reference for the softmax quantities, computed in `Wide`
/// precision, two passes, textbook formulas, no compensated sums.
///
/// The one concession to conditioning: `log s` is `log1p` of the non-maximal terms, because
/// even in 64-bit precision `log(1 + 1e-13)` has only 7 correct digits.
public struct WideSoftmax {
  public let z: [Wide]
  public let beta: Wide
  public let p: [Wide]
  public let logp: [Wide]
  public let lse: Wide
  public let lseScale: Wide

  public init(_ logits: [Double], temperature: Double = 1) {
    let z = logits.map { Wide($0) }
    let beta = 1 / Wide(temperature)
    self.z = z
    self.beta = beta
    var m = z[0]
    var arg = 0
    for i in z.indices where z[i] > m { m = z[i]; arg = i }
    let u = z.map { beta * ($0 - m) }
    var t: Wide = 0
    for i in u.indices where i != arg { t += Wide.exp(u[i]) }
    let logS = Wide.log(onePlus: t)
    logp = u.map { $0 - logS }
    p = u.map { Wide.exp($0) / (1 + t) }
    lse = beta * m + logS
    lseScale = Swift.max(abs(beta * m), logS)
  }

  /// `−Σ p log p` (terms with `p = 0` skipped).
  public var entropy: Wide {
    var h: Wide = 0
    for i in p.indices where p[i] > 0 { h -= p[i] * logp[i] }
    return h
  }

  /// `Σ p²`.
  public var collision: Wide { p.reduce(0) { $0 + $1 * $1 } }

  /// `1 − p_c` as the probability of the other actions.
  public func complement(_ c: Int) -> Wide {
    var s: Wide = 0
    for i in p.indices where i != c { s += p[i] }
    return s
  }

  /// The sampled update `η A β (e_c − p)` built entry by entry.
  public func sampledUpdate(action c: Int, advantage a: Double, lr: Double) -> [Wide] {
    let scale = Wide(lr) * Wide(a) * beta
    return p.indices.map { i in i == c ? scale * complement(c) : -scale * p[i] }
  }

  /// `‖v‖₂` by the definition.
  public static func norm(_ v: [Wide]) -> Wide { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

  /// `−β (Σ p log p Δz − (Σ p log p)(Σ p Δz))`: the uncentred covariance formula.
  public func entropyChangeFirstOrder(_ dz: [Wide]) -> Wide {
    var a: Wide = 0, b: Wide = 0, c: Wide = 0
    for i in p.indices where p[i] > 0 {
      a += p[i] * logp[i] * dz[i]
      b += p[i] * logp[i]
      c += p[i] * dz[i]
    }
    return -beta * (a - b * c)
  }

  /// `Σ p (log p − log q)`.
  public func kl(from q: WideSoftmax) -> Wide {
    var s: Wide = 0
    for i in p.indices where p[i] > 0 { s += p[i] * (logp[i] - q.logp[i]) }
    return s
  }
}
