/// One curve of a figure: `y` against `x`, with an optional band `[lower, upper]` (e.g. the
/// 10–90% quantiles over seeds or runs).
public struct PlotSeries: Sendable, Equatable {
  public var name: String
  public var x: [Double], y: [Double]
  public var lower: [Double]?, upper: [Double]?
  /// Points only (no connecting line).
  public var markers: Bool

  public init(_ name: String, x: [Double], y: [Double], lower: [Double]? = nil, upper: [Double]? = nil, markers: Bool = false) {
    self.name = name
    self.x = x
    self.y = y
    self.lower = lower
    self.upper = upper
    self.markers = markers
  }
}

/// A line chart: labelled axes (linear or logarithmic), curves with bands, a legend.
public struct Figure: Sendable, Equatable {
  public var title: String
  public var xLabel: String, yLabel: String
  public var logX: Bool, logY: Bool
  public var series: [PlotSeries]

  public init(_ title: String, x xLabel: String, y yLabel: String, logX: Bool = false, logY: Bool = false, series: [PlotSeries]) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.logX = logX
    self.logY = logY
    self.series = series
  }
}
