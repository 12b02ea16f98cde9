/// Neumaier's compensated summation ("Rundungsfehleranalyse einiger Verfahren zur Summation
/// endlicher Summen", ZAMM 1974): a running sum `s` and a correction `c` that holds the
/// low-order bits lost by each `s + x`.
///
/// The error of the final `s + c` is at most `2ε|Σx| + O(nε²)Σ|x|`, independent of the
/// number of terms to first order; plain summation has `O(nε)Σ|x|`. This is what lets the
/// analysis functions keep 1e-12 relative accuracy on vocabularies of 10⁶.
///
/// - Complexity: O(1) per term, about 4 flops.
@frozen
public struct CompensatedSum<T: FloatingPoint>: Sendable where T: Sendable {
  @usableFromInline internal var sum: T = 0
  @usableFromInline internal var correction: T = 0

  /// An empty sum.
  @inlinable public init() {}

  /// Adds `x` to the sum: `t = s + x`; `c += (s − t) + x` if `|s| ≥ |x|`, else `(x − t) + s`.
  @inlinable
  public mutating func add(_ x: T) {
    let t = sum + x
    if abs(sum) >= abs(x) {
      correction += (sum - t) + x
    } else {
      correction += (x - t) + sum
    }
    sum = t
  }

  /// The compensated total `s + c`.
  @inlinable public var value: T { sum + correction }
}

extension Sequence where Element: FloatingPoint & Sendable {
  /// The sum of the elements by Neumaier's compensated summation (see ``CompensatedSum``).
  @inlinable
  public func compensatedSum() -> Element {
    var acc = CompensatedSum<Element>()
    for x in self { acc.add(x) }
    return acc.value
  }
}
