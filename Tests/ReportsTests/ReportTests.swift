import Foundation
import Reports
import Testing
import _TestSupport

@Suite struct ReportTests {
  /// Two sections with figures (one with a band and a log axis), a table of constants and
  /// notes, built by hand.
  static func sections() -> [ReportSection] {
    let x = (1...20).map(Double.init)
    let curve = Figure("entropy", x: "step", y: "nats", series: [PlotSeries("H", x: x, y: x.map { 2 / $0 })])
    let band = Figure("‖Δz‖ <mean>", x: "step", y: "‖Δz‖", logX: true, logY: true,
                      series: [PlotSeries("mean", x: x, y: x.map { 1 / $0 }, lower: x.map { 0.5 / $0 }, upper: x.map { 2 / $0 })])
    return [
      ReportSection(name: "000-first", source: "seed 000", claim: "a claim", verdict: "holds", summary: "s", evidence: [("x", 1)],
                    figures: [curve, band], notes: ["n"], seconds: 1, constants: [("c", 1, "a constant")]),
      ReportSection(name: "002-second", source: "seed 002", claim: "another & <claim>", verdict: "fails", summary: "t", evidence: [],
                    figures: [curve], notes: [], seconds: 2),
    ]
  }

  /// The page is self-contained: inline SVG, no scripts, nothing fetched from anywhere.
  @Test func htmlIsSelfContained() throws {
    let sections = Self.sections()
    let html = HTMLReport.render(title: "t", subtitle: "s", sections: sections)
    #expect(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</html>\n"))
    #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("@import") && !html.contains("url(http"))
    // The only absolute URL is the SVG namespace (a name, not a resource).
    let urls = html.components(separatedBy: "http").dropFirst().map { String($0.prefix(30)) }
    #expect(urls.allSatisfy { $0.hasPrefix("://www.w3.org/2000/svg") }, "\(urls)")
    let figures = sections.reduce(0) { $0 + $1.figures.count }
    #expect(html.components(separatedBy: "<svg ").count - 1 == figures)
    #expect(sections.allSatisfy { html.contains("id=\"\($0.name)\"") })
    // Unique clip-path ids across the page.
    let ids = html.components(separatedBy: "<clipPath id=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
    #expect(Set(ids).count == ids.count)
    #expect(html.contains("another &amp; &lt;claim&gt;") && !html.contains("<claim>"))
  }

  @Test func svgAxesAndEscaping() {
    let figure = Figure("a < b & c", x: "step", y: "value", logX: true, logY: true,
                        series: [PlotSeries("s", x: [1, 10, 100, 0, -1], y: [1, 0.1, 0.01, 5, .nan], lower: [0.5, 0.05, 0.005, 1, 1], upper: [2, 0.2, 0.02, 9, 9])])
    let svg = SVGPlot.render(figure)
    #expect(svg.contains("a &lt; b &amp; c") && svg.contains("(log)"))
    #expect(svg.contains(">100<") && svg.contains(">10<"))  // decade ticks
    #expect(!svg.contains("nan") && !svg.contains("inf"))
  }

  /// A band shorter than its curve (or a curve shorter than its x) is drawn where it has
  /// values: no read past an array's end.
  @Test func mismatchedLengthsAreDrawnNotCrashed() {
    let figure = Figure("f", x: "x", y: "y", series: [PlotSeries("s", x: [1, 2, 3, 4], y: [1, 2, 3], lower: [0.5], upper: [2, 3])])
    let svg = SVGPlot.render(figure)
    #expect(svg.contains("<polygon") && svg.contains("<polyline"))
  }


  /// TensorBoard's own reader reads the event file back (skipped when the tensorboard package
  /// is not installed; under `CI=true` it runs, and a missing package fails it).
  @Test(.enabled(if: ExternalTools.runs(python: ["tensorboard"]), "needs the tensorboard Python package"))
  func tensorBoardReadsTheEvents() throws {
    var writer = TensorBoardWriter(wallTime: 1_700_000_000)
    for step in 0..<50 { writer.add(tag: "entropy/mean", step: step, value: 2.3 * Foundation.exp(-Double(step) / 10)) }
    writer.add(tag: "verdict/holds", step: 0, value: 1)
    let dir = try temporaryDirectory("tb")
    let path = dir + "/events.out.tfevents.1700000000.test"
    try writer.bytes.write(to: URL(fileURLWithPath: path))
    let script = """
      import sys
      from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
      ea = EventAccumulator(sys.argv[1]); ea.Reload()
      s = ea.Scalars("entropy/mean")
      print(len(s), s[0].step, s[-1].step, round(s[0].value, 6), round(s[10].value, 6), ea.Scalars("verdict/holds")[0].value)
      """
    let (status, output) = ExternalTools.python(script, arguments: [path])
    let out = output.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(status == 0, "python3 with tensorboard (pip install tensorboard) could not read the file: \(out)")
    let expected = "50 0 49 \(Double(Float(2.3)).rounded(toPlaces: 6)) \(Double(Float(2.3 * Foundation.exp(-1.0))).rounded(toPlaces: 6)) 1.0"
    #expect(out == expected, "read back: \(out), expected \(expected)")
  }
}

extension Double {
  func rounded(toPlaces places: Int) -> Double {
    let f = Foundation.pow(10, Double(places))
    return (self * f).rounded() / f
  }
}
