import Foundation

/// A right-aligned text table for terminal output.
public struct TextTable: Sendable {
  /// Column titles.
  public var header: [String]
  /// Rows of cells.
  public var rows: [[String]] = []

  /// An empty table with these column titles.
  public init(_ header: [String]) { self.header = header }

  /// Appends a row (as many cells as columns).
  public mutating func append(_ row: [String]) { rows.append(row) }

  /// The table as lines of right-aligned columns separated by two spaces.
  public func rendered() -> String {
    var widths = header.map(\.count)
    for row in rows {
      for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
    }
    func line(_ cells: [String]) -> String {
      cells.enumerated().map { i, c in String(repeating: " ", count: widths[i] - c.count) + c }
        .joined(separator: "  ")
    }
    return ([line(header)] + rows.map(line)).joined(separator: "\n")
  }
}

/// `x` with `digits` significant digits (scientific notation for very small or large values).
public func formatNumber(_ x: Double, digits: Int = 6) -> String {
  if !x.isFinite { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
  if x == 0 { return "0" }
  let magnitude = abs(x)
  if magnitude >= 1e-4 && magnitude < 1e7 {
    var s = String(format: "%.\(digits)g", x)
    // %g switches to an exponent when it is ≥ digits: keep `digits` significant digits there too.
    if s.contains("e") { s = String(format: "%.\(max(0, digits - 1))e", x) }
    return s
  }
  return String(format: "%.\(max(0, digits - 1))e", x)
}
