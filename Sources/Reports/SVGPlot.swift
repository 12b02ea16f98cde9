import Foundation

/// Renders a ``Figure`` as a self-contained SVG line chart: axes with ticks (1-2-5 steps, or
/// decades on log axes), labelled axes, a title, bands as translucent areas, curves, markers,
/// and a legend. Non-finite points (and non-positive ones on a log axis) are skipped.
public enum SVGPlot {
  static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

  /// The SVG text of `figure`, `width × height` pixels: the plot area inside margins of 72 px
  /// (left), 16 (right), 34 (top) and 52 (bottom); the x axis spans the data, the y axis with 5%
  /// padding (a factor 1.3 on a log axis), both widened where the data is one value. `id` names
  /// the clip path, so it must be unique within a page. With no drawable point the plot reads
  /// "no data".
  ///
  /// - Complexity: O(S·N) for `S` series of `N` points (about 6 ticks per linear axis, one per
  ///   decade on a log one).
  public static func render(_ figure: Figure, id: String = "plot", width: Double = 640, height: Double = 380) -> String {
    let left = 72.0, right = 16.0, top = 34.0, bottom = 52.0
    let plotW = width - left - right, plotH = height - top - bottom
    func usable(_ v: Double, log: Bool) -> Bool { v.isFinite && (!log || v > 0) }
    var xs: [Double] = [], ys: [Double] = []
    for s in figure.series {
      for (i, x) in s.x.enumerated() where i < s.y.count && usable(x, log: figure.logX) {
        if usable(s.y[i], log: figure.logY) { xs.append(x); ys.append(s.y[i]) }
        // A band shorter than the curve is drawn where it has values (never read past its end).
        if let lower = s.lower, i < lower.count, usable(lower[i], log: figure.logY) { ys.append(lower[i]) }
        if let upper = s.upper, i < upper.count, usable(upper[i], log: figure.logY) { ys.append(upper[i]) }
      }
    }
    var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
    out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    out += "<text x=\"\(Int(width / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">\(escape(figure.title))</text>\n"
    guard let xMin0 = xs.min(), let xMax0 = xs.max(), let yMin0 = ys.min(), let yMax0 = ys.max() else {
      return out + "<text x=\"\(Int(width / 2))\" y=\"\(Int(height / 2))\" text-anchor=\"middle\">no data</text>\n</svg>"
    }
    let (x0, x1) = padded(xMin0, xMax0, log: figure.logX, pad: false)
    let (y0, y1) = padded(yMin0, yMax0, log: figure.logY, pad: true)
    func tx(_ v: Double) -> Double {
      let f = figure.logX ? (log10(v) - log10(x0)) / (log10(x1) - log10(x0)) : (v - x0) / (x1 - x0)
      return left + f * plotW
    }
    func ty(_ v: Double) -> Double {
      let f = figure.logY ? (log10(v) - log10(y0)) / (log10(y1) - log10(y0)) : (v - y0) / (y1 - y0)
      return top + (1 - f) * plotH
    }
    // Grid and ticks.
    out += "<g stroke=\"#ddd\" stroke-width=\"1\">\n"
    let xt = ticks(x0, x1, log: figure.logX), yt = ticks(y0, y1, log: figure.logY)
    for t in xt { out += "<line x1=\"\(f(tx(t)))\" y1=\"\(f(top))\" x2=\"\(f(tx(t)))\" y2=\"\(f(top + plotH))\"/>\n" }
    for t in yt { out += "<line x1=\"\(f(left))\" y1=\"\(f(ty(t)))\" x2=\"\(f(left + plotW))\" y2=\"\(f(ty(t)))\"/>\n" }
    out += "</g>\n<g fill=\"#333\">\n"
    for t in xt { out += "<text x=\"\(f(tx(t)))\" y=\"\(f(top + plotH + 16))\" text-anchor=\"middle\">\(label(t))</text>\n" }
    for t in yt { out += "<text x=\"\(f(left - 6))\" y=\"\(f(ty(t) + 4))\" text-anchor=\"end\">\(label(t))</text>\n" }
    out += "</g>\n"
    out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#555\"/>\n"
    out += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\">\(escape(figure.xLabel))\(figure.logX ? " (log)" : "")</text>\n"
    out += "<text transform=\"translate(16 \(f(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(figure.yLabel))\(figure.logY ? " (log)" : "")</text>\n"
    // Clip to the plot area.
    out += "<clipPath id=\"\(id)-clip\"><rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\"/></clipPath>\n<g clip-path=\"url(#\(id)-clip)\">\n"
    for (k, s) in figure.series.enumerated() {
      let color = palette[k % palette.count]
      if let lo = s.lower, let hi = s.upper {
        var upperPath: [String] = [], lowerPath: [String] = []
        for i in s.x.indices where i < lo.count && i < hi.count && usable(s.x[i], log: figure.logX) && usable(lo[i], log: figure.logY) && usable(hi[i], log: figure.logY) {
          upperPath.append("\(f(tx(s.x[i]))),\(f(ty(hi[i])))")
          lowerPath.append("\(f(tx(s.x[i]))),\(f(ty(lo[i])))")
        }
        if !upperPath.isEmpty {
          out += "<polygon points=\"\((upperPath + lowerPath.reversed()).joined(separator: " "))\" fill=\"\(color)\" fill-opacity=\"0.15\" stroke=\"none\"/>\n"
        }
      }
      let points = s.x.indices.filter { $0 < s.y.count && usable(s.x[$0], log: figure.logX) && usable(s.y[$0], log: figure.logY) }
      if s.markers {
        for i in points { out += "<circle cx=\"\(f(tx(s.x[i])))\" cy=\"\(f(ty(s.y[i])))\" r=\"2\" fill=\"\(color)\" fill-opacity=\"0.6\"/>\n" }
      } else if !points.isEmpty {
        out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\" points=\"\(points.map { "\(f(tx(s.x[$0]))),\(f(ty(s.y[$0])))" }.joined(separator: " "))\"/>\n"
      }
    }
    out += "</g>\n"
    // Legend (top right, inside the plot).
    let legendWidth = 14 + 7 * Double(figure.series.map(\.name.count).max() ?? 0) + 30
    out += "<g font-size=\"11\">\n<rect x=\"\(f(left + plotW - legendWidth - 6))\" y=\"\(f(top + 6))\" width=\"\(f(legendWidth))\" height=\"\(f(Double(figure.series.count) * 16 + 6))\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>\n"
    for (k, s) in figure.series.enumerated() {
      let y = top + 18 + Double(k) * 16, x = left + plotW - legendWidth
      let color = palette[k % palette.count]
      out += s.markers
        ? "<circle cx=\"\(f(x + 8))\" cy=\"\(f(y - 4))\" r=\"3\" fill=\"\(color)\"/>\n"
        : "<line x1=\"\(f(x))\" y1=\"\(f(y - 4))\" x2=\"\(f(x + 18))\" y2=\"\(f(y - 4))\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
      out += "<text x=\"\(f(x + 24))\" y=\"\(f(y))\">\(escape(s.name))</text>\n"
    }
    out += "</g>\n</svg>"
    return out
  }

  static func f(_ v: Double) -> String { String(format: "%.1f", v) }

  static func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
      .replacingOccurrences(of: "\"", with: "&quot;")
  }

  static func padded(_ a: Double, _ b: Double, log: Bool, pad: Bool) -> (Double, Double) {
    if log {
      let lo = a, hi = b == a ? a * 10 : b
      return pad ? (lo / 1.3, hi * 1.3) : (lo, hi)
    }
    if a == b { return (a - max(1, abs(a)) * 0.5, b + max(1, abs(b)) * 0.5) }
    let m = pad ? (b - a) * 0.05 : 0
    return (a - m, b + m)
  }

  /// Tick positions: decades on a log axis; 1-2-5 steps on a linear one (about 6 ticks).
  static func ticks(_ a: Double, _ b: Double, log: Bool) -> [Double] {
    if log {
      var out: [Double] = []
      var e = floor(log10(a))
      while pow(10, e) <= b * 1.0001 {
        if pow(10, e) >= a / 1.0001 { out.append(pow(10, e)) }
        e += 1
      }
      if out.count < 2 { return [a, b] }
      return out
    }
    let raw = (b - a) / 6
    let magnitude = pow(10, floor(log10(raw)))
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
    var out: [Double] = []
    var t = ceil(a / step) * step
    while t <= b + step * 1e-9 {
      out.append(abs(t) < step * 1e-9 ? 0 : t)
      t += step
    }
    return out
  }

  static func label(_ v: Double) -> String {
    if v == 0 { return "0" }
    let a = abs(v)
    if a >= 1e5 || a < 1e-3 { return String(format: "%.0e", v) }
    var s = String(format: "%.4g", v)
    if s.contains(".") { while s.hasSuffix("0") { s.removeLast() }; if s.hasSuffix(".") { s.removeLast() } }
    return s
  }
}
