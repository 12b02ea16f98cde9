import Foundation

/// A right-aligned text table for terminal output.
struct TextTable {
  var header: [String]
  var rows: [[String]] = []

  init(_ header: [String]) { self.header = header }

  mutating func append(_ row: [String]) { rows.append(row) }

  func rendered() -> String {
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
func formatNumber(_ x: Double, digits: Int = 6) -> String {
  if !x.isFinite { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
  if x == 0 { return "0" }
  let magnitude = abs(x)
  if magnitude >= 1e-4 && magnitude < 1e7 {
    var s = String(format: "%.\(digits)g", x)
    if s.contains("e") { s = String(format: "%.\(digits)e", x) }
    return s
  }
  return String(format: "%.\(digits - 1)e", x)
}
