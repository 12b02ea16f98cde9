/// A table of a report section: a title, a header and rows of already formatted cells.
public struct ReportTable: Sendable, Equatable {
  /// The table's title, shown in bold above it.
  public var title: String
  /// The column names.
  public var header: [String]
  /// The rows, one formatted cell per column.
  public var rows: [[String]]

  /// A table titled `title` with the columns `header`; rows can be appended later.
  public init(_ title: String, header: [String], rows: [[String]] = []) {
    self.title = title
    self.header = header
    self.rows = rows
  }

  /// The table in GitHub Markdown (`|`-separated, the header rule, one line per row; `|` in a
  /// cell escaped), preceded by its title in bold.
  ///
  /// - Complexity: O(C) for `C` characters in the cells.
  public var markdown: String {
    func cell(_ t: String) -> String { t.replacingOccurrences(of: "|", with: "\\|") }
    var md = "**\(title)**\n\n| " + header.map(cell).joined(separator: " | ") + " |\n|" + header.map { _ in "---|" }.joined() + "\n"
    for r in rows { md += "| " + r.map(cell).joined(separator: " | ") + " |\n" }
    return md
  }
}
