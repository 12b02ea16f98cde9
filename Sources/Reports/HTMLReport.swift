import Foundation

/// One experiment's part of the report.
public struct ReportSection: Sendable {
  /// The experiment's name (the section's heading and anchor), its source (the paper or code
  /// whose claim it tests, under the heading) and the claim (in italics).
  public var name: String, source: String, claim: String
  /// `holds`, `fails` or `inconclusive`.
  public var verdict: String
  /// The paragraph under the claim.
  public var summary: String
  /// The numbers behind the verdict, `(name, value)`: a two-column table (whole numbers below
  /// 10⁹ printed as integers, others to 6 significant digits, NaN as `nan`).
  public var evidence: [(String, Double)]
  /// The section's plots, inline SVG side by side (``SVGPlot/render(_:id:width:height:)``).
  public var figures: [Figure]
  /// Remarks after the plots, one paragraph `Note: …` each.
  public var notes: [String]
  /// Seconds the experiment took.
  public var seconds: Double
  /// What in our setup differs from the paper's.
  public var setup: String
  /// The constants the verdict rests on: name, value, meaning.
  public var constants: [(String, Double, String)]
  /// Tables of the measured numbers (comparisons over seeds, sweeps).
  public var tables: [ReportTable] = []

  /// A section; `setup` and `constants` are shown only when not empty, and ``tables`` starts empty.
  public init(name: String, source: String, claim: String, verdict: String, summary: String, evidence: [(String, Double)],
              figures: [Figure], notes: [String], seconds: Double, setup: String = "", constants: [(String, Double, String)] = []) {
    self.name = name
    self.source = source
    self.claim = claim
    self.verdict = verdict
    self.summary = summary
    self.evidence = evidence
    self.figures = figures
    self.notes = notes
    self.seconds = seconds
    self.setup = setup
    self.constants = constants
  }
}

/// A self-contained HTML page (inline CSS and SVG, no scripts, no external resources): a
/// verdict table linking to one section per experiment with its claim, verdict, the numbers
/// behind it, and its plots.
public enum HTMLReport {
  /// The page: `title`, `subtitle`, then a verdict table (experiment linked to its section,
  /// verdict in green for `holds` (and run-log's `ok`), red for `fails` (`warning`), amber otherwise, claim, seconds to 2
  /// decimals), then one section each: heading with the verdict, source, claim, summary, setup,
  /// constants (`name = value (meaning)`), evidence, tables, figures (640 × 380 SVG, ids
  /// `f<section>-<figure>`), notes. Every text is HTML-escaped.
  ///
  /// - Complexity: O(C + Σ S·N) for `C` characters of text and table cells and, per figure, `S`
  ///   series of `N` points.
  /// `kind` names the sections in the table's first column (`experiment`; run-log's `analysis`);
  /// `timed` shows the seconds column.
  public static func render(title: String, subtitle: String, sections: [ReportSection], kind: String = "experiment", timed: Bool = true) -> String {
    func e(_ s: String) -> String { SVGPlot.escape(s) }
    func color(_ verdict: String) -> String {
      switch verdict {
      case "holds", "ok": return "#1a7f37"
      case "fails", "warning": return "#cf222e"
      default: return "#9a6700"
      }
    }
    var html = """
      <!DOCTYPE html>
      <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
      <title>\(e(title))</title>
      <style>
      body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #1f2328; line-height: 1.45; }
      h1 { font-size: 1.7em; margin-bottom: 0.2em; } h2 { font-size: 1.25em; margin-top: 2.2em; border-bottom: 1px solid #d0d7de; padding-bottom: 0.2em; }
      .subtitle { color: #57606a; } table { border-collapse: collapse; margin: 1em 0; } td, th { padding: 4px 10px; border-bottom: 1px solid #eaeef2; text-align: left; vertical-align: top; }
      th { background: #f6f8fa; } .verdict { font-weight: bold; text-transform: uppercase; font-size: 0.85em; letter-spacing: 0.04em; }
      .claim { font-style: italic; } .source { color: #57606a; font-size: 0.9em; } .figures { display: flex; flex-wrap: wrap; gap: 12px; }
      .figures svg { border: 1px solid #eaeef2; max-width: 100%; height: auto; } .num { font-variant-numeric: tabular-nums; text-align: right; }
      .notes { color: #57606a; font-size: 0.9em; }
      </style></head><body>
      <h1>\(e(title))</h1>
      <p class="subtitle">\(e(subtitle))</p>
      <table><tr><th>\(e(kind))</th><th>verdict</th><th>claim</th>\(timed ? "<th class=\"num\">seconds</th>" : "")</tr>

      """
    for s in sections {
      html += "<tr><td><a href=\"#\(e(s.name))\">\(e(s.name))</a></td><td class=\"verdict\" style=\"color: \(color(s.verdict))\">\(e(s.verdict))</td><td>\(e(s.claim))</td>" + (timed ? "<td class=\"num\">\(String(format: "%.2f", s.seconds))</td>" : "") + "</tr>\n"
    }
    html += "</table>\n"
    for (k, s) in sections.enumerated() {
      html += """
        <h2 id="\(e(s.name))">\(e(s.name)) — <span class="verdict" style="color: \(color(s.verdict))">\(e(s.verdict))</span></h2>
        <p class="source">\(e(s.source))</p>
        <p class="claim">\(e(s.claim))</p>
        <p>\(e(s.summary))</p>

        """
      if !s.setup.isEmpty { html += "<p class=\"setup\"><b>Our setup against the paper's:</b> \(e(s.setup))</p>\n" }
      if !s.constants.isEmpty {
        html += "<p class=\"constants\"><b>Judged against:</b> " + s.constants.map { "\(e($0.0)) = \(e(format($0.1))) (\(e($0.2)))" }.joined(separator: "; ") + "</p>\n"
      }
      if !s.evidence.isEmpty {
        html += "<table>" + s.evidence.map { "<tr><td>\(e($0.0))</td><td class=\"num\">\(e(format($0.1)))</td></tr>" }.joined() + "</table>\n"
      }
      for t in s.tables {
        html += "<p><b>\(e(t.title))</b></p>\n<table><tr>" + t.header.map { "<th>\(e($0))</th>" }.joined() + "</tr>"
          + t.rows.map { "<tr>" + $0.map { "<td>\(e($0))</td>" }.joined() + "</tr>" }.joined() + "</table>\n"
      }
      if !s.figures.isEmpty {
        html += "<div class=\"figures\">\n"
        for (j, figure) in s.figures.enumerated() { html += SVGPlot.render(figure, id: "f\(k)-\(j)") + "\n" }
        html += "</div>\n"
      }
      for note in s.notes { html += "<p class=\"notes\">Note: \(e(note))</p>\n" }
    }
    html += "</body></html>\n"
    return html
  }

  static func format(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x == x.rounded(), abs(x) < 1e9 { return String(Int64(x)) }
    return String(format: "%.6g", x)
  }
}
