import PGLab
import Reports

/// Helpers that run lab experiments and turn their per-step aggregates into plot series.
enum LabSeries {
  /// All steps of a vectorised bandit run.
  static func run(_ e: BanditExperiment, threads: Int) throws -> [StepAggregate] {
    var out: [StepAggregate] = []
    try e.run(threads: threads) { out.append($0); return true }
    return out
  }

  /// All steps of a general lab run.
  static func run(_ e: LabExperiment, threads: Int) throws -> [StepAggregate] {
    var out: [StepAggregate] = []
    try e.run(threads: threads) { out.append($0); return true }
    return out
  }

  /// The mean of a probe per step.
  static func mean(_ s: [StepAggregate], _ p: Probe) -> [Double] { s.map { $0.mean[p.rawValue] } }

  /// A plot series of a probe's mean with its 10–90% band when recorded (steps from 1).
  static func series(_ name: String, _ s: [StepAggregate], _ p: Probe, band: Bool = true) -> PlotSeries {
    let x = s.map { Double($0.step + 1) }
    let lo = s.map { $0.q10[p.rawValue] }, hi = s.map { $0.q90[p.rawValue] }
    let hasBand = band && !lo.contains(where: \.isNaN)
    return PlotSeries(name, x: x, y: mean(s, p), lower: hasBand ? lo : nil, upper: hasBand ? hi : nil)
  }

  /// Mean of the values over a fraction of the steps: `[from, to)` as fractions of the run.
  static func window(_ v: [Double], from: Double, to: Double) -> Double {
    let a = Int(Double(v.count) * from), b = max(a + 1, Int(Double(v.count) * to))
    return Stats.mean(Array(v[a..<min(b, v.count)]))
  }

  /// The seeds of `count` independent repetitions of an experiment: `base + 1000·(i + 1)`.
  static func seeds(_ count: Int, base: UInt64) -> [UInt64] { (0..<count).map { base &+ 1000 &* UInt64($0 + 1) } }

  /// The mean over repetitions of equally long series, step by step.
  static func meanSeries(_ runs: [[Double]]) -> [Double] {
    guard let n = runs.map(\.count).min(), !runs.isEmpty else { return [] }
    return (0..<n).map { i in Stats.mean(runs.map { $0[i] }) }
  }

  /// A plot series of the mean over repetitions of a probe's per-step mean (steps from 1).
  static func meanCurve(_ name: String, _ repetitions: [[StepAggregate]], _ p: Probe) -> PlotSeries {
    let y = meanSeries(repetitions.map { mean($0, p) })
    return thin(PlotSeries(name, x: y.indices.map { Double($0 + 1) }, y: y))
  }

  /// `Σ|v_t − v_{t−1}| / (n − 1)` over the fraction `[from, to)` of a series: how much it moves
  /// from step to step.
  static func meanAbsoluteChange(_ v: [Double], from: Double, to: Double) -> Double {
    let a = Int(Double(v.count) * from), b = min(v.count, max(a + 2, Int(Double(v.count) * to)))
    let w = Array(v[a..<b])
    return Stats.mean(zip(w, w.dropFirst()).map { abs($1 - $0) })
  }

  /// Thins a long series to at most `count` points (for plots).
  static func thin(_ s: PlotSeries, to count: Int = 400) -> PlotSeries {
    guard s.x.count > count else { return s }
    let stride = Double(s.x.count) / Double(count)
    let idx = (0..<count).map { Int(Double($0) * stride) }
    return PlotSeries(s.name, x: idx.map { s.x[$0] }, y: idx.map { s.y[$0] }, lower: s.lower.map { l in idx.map { l[$0] } },
                      upper: s.upper.map { u in idx.map { u[$0] } }, markers: s.markers)
  }
}
