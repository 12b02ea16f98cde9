/// One curve of a figure: `y` against `x`, with an optional band `[lower, upper]` (e.g. the
/// 10–90% quantiles over seeds or runs).
public struct PlotSeries: Sendable, Equatable {
  /// The curve's label in the legend.
  public var name: String
  /// The points `(x_i, y_i)`, in the axes' units, paired up to the shorter of the two arrays.
  public var x: [Double], y: [Double]
  /// The band's bounds, one per `x_i`; drawn (as a translucent area) only when both are given.
  public var lower: [Double]?, upper: [Double]?
  /// Points only (no connecting line).
  public var markers: Bool

  /// A series named `name`: a line through the points unless `markers`, with an optional band.
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
  /// The title above the plot.
  public var title: String
  /// The axes' labels, with their units (e.g. `update`, `entropy (nats)`); ` (log)` is appended
  /// to the label of a logarithmic axis.
  public var xLabel: String, yLabel: String
  /// Logarithmic axes: decade ticks, and points `≤ 0` skipped on that axis.
  public var logX: Bool, logY: Bool
  /// The curves, in legend order, each coloured from an 8-colour palette in turn.
  public var series: [PlotSeries]

  /// A figure titled `title` with axis labels `x` and `y`, linear axes unless `logX` / `logY`.
  public init(_ title: String, x xLabel: String, y yLabel: String, logX: Bool = false, logY: Bool = false, series: [PlotSeries]) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.logX = logX
    self.logY = logY
    self.series = series
  }
}
