/// A table of a report section: a title, a header and rows of already formatted cells.
public struct ReportTable: Sendable, Equatable {
  public var title: String
  public var header: [String]
  public var rows: [[String]]

  public init(_ title: String, header: [String], rows: [[String]] = []) {
    self.title = title
    self.header = header
    self.rows = rows
  }

  /// The table in GitHub Markdown (`|`-separated, the header rule, one line per row; `|` in a
  /// cell escaped), preceded by its title in bold.
  public var markdown: String {
    func cell(_ t: String) -> String { t.replacingOccurrences(of: "|", with: "\\|") }
    var md = "**\(title)**\n\n| " + header.map(cell).joined(separator: " | ") + " |\n|" + header.map { _ in "---|" }.joined() + "\n"
    for r in rows { md += "| " + r.map(cell).joined(separator: " | ") + " |\n" }
    return md
  }
}
