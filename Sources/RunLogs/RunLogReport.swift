import Foundation
import OutputFormats
import Reports
import SampleStatistics

/// Everything `logitdyn run-log` found in a run: the per-step summaries, the curve analysis,
/// and the notes and skipped analyses, with the files it writes.
public struct RunLogResult: Sendable {
  /// The format read and the files it came from.
  public var format: String, files: [String]
  /// One summary per step of the sample logs (empty for scalar-only logs).
  public var steps: [StepSummary]
  /// The scalar curves' analysis, when there are entropy and performance curves.
  public var curves: CurveAnalysis?
  /// What the readers noticed.
  public var notes: [String]
  /// The settings used.
  public var settings: RunLogSettings
  /// Analyses of the whole run that were skipped, with the reason.
  public var extraSkipped: [String] = []

  /// A result of these parts.
  public init(format: String, files: [String], steps: [StepSummary], curves: CurveAnalysis?, notes: [String], settings: RunLogSettings) {
    self.format = format
    self.files = files
    self.steps = steps
    self.curves = curves
    self.notes = notes
    self.settings = settings
  }

  /// The analyses skipped at every step, with their reasons (those skipped only at some steps
  /// are listed with the count).
  public var skipped: [String] {
    var counts: [String: Int] = [:], order: [String] = []
    for s in steps {
      for reason in s.skipped {
        if counts[reason] == nil { order.append(reason) }
        counts[reason, default: 0] += 1
      }
    }
    return order.map { counts[$0]! == steps.count ? $0 : "\($0) (\(counts[$0]!) of \(steps.count) steps)" } + (curves?.skipped ?? []) + extraSkipped
  }

  /// The columns of the per-step table.
  public var columnNames: [String] { steps.first?.columns(passK: settings.passK).map(\.name) ?? [] }

  /// `steps.csv`: one line per step, `step` then ``columnNames``; a skipped analysis is an
  /// empty cell, a non-finite value `nan`/`inf`.
  public var stepsCSV: String {
    var out = (["step"] + columnNames).joined(separator: ",") + "\n"
    for s in steps {
      out += ([String(s.step)] + s.columns(passK: settings.passK).map { $0.value.map(Self.cell) ?? "" }).joined(separator: ",") + "\n"
    }
    return out
  }

  /// `steps.jsonl`: one object per step (skipped analyses are `null`).
  public var stepsJSONL: String {
    steps.map { s in
      JSONValue.object([("step", .integer(s.step))] + s.columns(passK: settings.passK).map { ($0.name, $0.value.map(JSONValue.number) ?? .null) }).rendered(indent: 0)
    }.joined(separator: "\n") + (steps.isEmpty ? "" : "\n")
  }

  static func cell(_ x: Double) -> String { x.isNaN ? "nan" : x.isInfinite ? (x > 0 ? "inf" : "-inf") : "\(x)" }

  /// `summary.json`: the format, files, notes, skipped analyses, the last step's summary, the
  /// covariance top-fraction table over the run, and the curve analysis.
  public var summaryJSON: JSONValue {
    var fields: [(String, JSONValue)] = [("format", .string(format)), ("files", .array(files.map(JSONValue.string))), ("steps", .integer(steps.count))]
    if let first = steps.first, let last = steps.last {
      fields.append(("first_step", .integer(first.step)))
      fields.append(("last_step", .integer(last.step)))
      fields.append(("last", .object(last.columns(passK: settings.passK).map { ($0.name, $0.value.map(JSONValue.number) ?? .null) })))
    }
    if let c = curves { fields.append(("curves", Self.curvesJSON(c))) }
    fields.append(("skipped", .array(skipped.map(JSONValue.string))))
    fields.append(("notes", .array(notes.map(JSONValue.string))))
    fields.append(("settings", .object([
      ("forking_entropy", .number(settings.forkingEntropy)), ("ratio_epsilon", .number(settings.ratioEpsilon)),
      ("clip_cov_ratio", .number(settings.clipCovRatio)), ("clip_cov_bounds", .numbers([settings.clipCovBounds.0, settings.clipCovBounds.1])),
      ("kl_cov_ratio", .number(settings.klCovRatio)), ("correct_above", .number(settings.correctAbove)), ("seed", .integer(Int(truncatingIfNeeded: settings.seed))),
    ])))
    return .object(fields)
  }

  static func curvesJSON(_ c: CurveAnalysis) -> JSONValue {
    func law(_ f: EntropyPerformanceLaw?, _ band: (Double, Double)?) -> JSONValue {
      guard let f else { return .null }
      return .object([("a", .number(f.a)), ("b", .number(f.b)), ("r2", .number(f.r2)), ("ceiling", .number(f.ceiling)),
                      ("ceiling_band", band.map { .numbers([$0.0, $0.1]) } ?? .null)])
    }
    func optional(_ x: Double?) -> JSONValue { x.map(JSONValue.number) ?? .null }
    func optional(_ x: Int?) -> JSONValue { x.map(JSONValue.integer) ?? .null }
    var fields: [(String, JSONValue)] = []
    fields.append(("entropy_tag", .string(c.entropyTag)))
    fields.append(("performance_tag", .string(c.performanceTag)))
    fields.append(("points", .integer(c.points.count)))
    fields.append(("fit", law(c.fit, c.ceilingBand)))
    fields.append(("early_fraction", .number(c.earlyFraction)))
    fields.append(("early_fit", law(c.earlyFit, c.earlyCeilingBand)))
    fields.append(("best_performance", optional(c.bestPerformance)))
    fields.append(("initial_entropy", optional(c.initialEntropy)))
    fields.append(("halving_step", optional(c.halvingStep)))
    fields.append(("fastest_halving_steps", optional(c.fastestHalving)))
    fields.append(("warnings", .array(c.warnings.map(JSONValue.string))))
    return .object(fields)
  }

  /// The terminal summary: what was read, the last step's numbers, the curves' reading, and
  /// what was skipped and why.
  public var text: String {
    var lines = ["\(format): \(files.count) file\(files.count == 1 ? "" : "s")" + (steps.isEmpty ? "" : ", \(steps.count) step\(steps.count == 1 ? "" : "s"), steps \(steps.first!.step)–\(steps.last!.step)")]
    func f(_ x: Double?, _ d: Int = 4) -> String { x.map { formatNumber($0, digits: d) } ?? "–" }
    if let first = steps.first, let last = steps.last {
      lines.append("last step \(last.step): \(last.samples) samples in \(last.groups) groups, \(last.tokens) tokens" + (last.rewardMean.map { ", reward \(formatNumber($0, digits: 4))" } ?? ""))
      if let e = last.entropy {
        lines.append("entropy      mean \(f(first.entropy?.mean)) → \(f(e.mean)) nats; p10/50/90/99 \(f(e.p10, 3))/\(f(e.p50, 3))/\(f(e.p90, 3))/\(f(e.p99, 3)); forking (> \(formatNumber(settings.forkingEntropy, digits: 3))) \(f(100 * e.forkingFraction, 3))%")
      }
      if let c = last.covariance {
        lines.append("covariance   mean \(f(c.mean)), positive \(f(100 * c.positiveFraction, 3))%; top " + c.top.prefix(4).map { "\(formatNumber(100 * $0.fraction, digits: 2))%: \(formatNumber($0.mean, digits: 3))" }.joined(separator: ", "))
      }
      if let sel = last.selection {
        lines.append(sel.microBatches > 0
          ? "selection    Clip-Cov \(sel.clipCov) global / \(sel.clipCovPerMicroBatch) per micro-batch, KL-Cov \(sel.klCov) / \(sel.klCovPerMicroBatch) over \(sel.microBatches) micro-batches (overlap \(f(sel.klCovOverlap, 3)))"
          : "selection    Clip-Cov \(sel.clipCov), KL-Cov \(sel.klCov) tokens (the log has no micro-batches)")
      }
      if let m = last.mismatch {
        lines.append("mismatch     k1 \(f(m.k1)), k3 \(f(m.k3)); ratio p1/50/99 \(f(m.ratioP1, 4))/\(f(m.ratioP50, 4))/\(f(m.ratioP99, 4)), outside [1 ± \(formatNumber(settings.ratioEpsilon, digits: 3))] \(f(100 * m.outside, 3))%; corr(p) \(f(m.correlation, 5))" + (last.trustRegionMaskedFraction.map { "; trust-region masked \(formatNumber(100 * $0, digits: 3))%" } ?? ""))
      }
      if let g = last.groupStatistics {
        lines.append("groups       " + (g.passAtK.map { "pass@\($0.k) \(formatNumber($0.value, digits: 3))" } + [g.distinctAnswers.map { "distinct answers \(formatNumber($0, digits: 3))" }, g.zeroAdvantageFraction.map { "zero-advantage groups \(formatNumber(100 * $0, digits: 3))%" }].compactMap { $0 }).joined(separator: ", "))
      }
    }
    if let c = curves {
      if !c.points.isEmpty { lines.append("curves       \(c.entropyTag) and \(c.performanceTag), \(c.points.count) points") }
      if let fit = c.fit {
        lines.append("law          R = −\(formatNumber(fit.a, digits: 4))·e^H + \(formatNumber(fit.b, digits: 4)) (R² \(formatNumber(fit.r2, digits: 3))); ceiling b − a = \(formatNumber(fit.ceiling, digits: 4))" + (c.ceilingBand.map { " [\(formatNumber($0.0, digits: 3)), \(formatNumber($0.1, digits: 3))]" } ?? ""))
      }
      if let early = c.earlyFit {
        lines.append("early \(Int(c.earlyFraction * 100))%    predicted ceiling \(formatNumber(early.ceiling, digits: 4))" + (c.earlyCeilingBand.map { " [\(formatNumber($0.0, digits: 3)), \(formatNumber($0.1, digits: 3))]" } ?? "") + (c.bestPerformance.map { "; best logged \(formatNumber($0, digits: 4))" } ?? ""))
      }
      if let h0 = c.initialEntropy {
        lines.append("entropy      \(formatNumber(h0, digits: 4)) at the start; " + (c.halvingStep.map { "halved at step \($0)" } ?? "never halved"))
      }
      lines += c.warnings.map { "warning      " + $0 }
    }
    lines += skipped.map { "skipped      " + $0 }
    lines += notes.map { "note         " + $0 }
    return lines.joined(separator: "\n")
  }

  /// The HTML report: one section per analysis, with its curves over the steps.
  public func html(title: String) -> String {
    let x = steps.map { Double($0.step) }
    var sections: [ReportSection] = []
    func series(_ name: String, _ pick: (StepSummary) -> Double?) -> PlotSeries? {
      let pts = steps.compactMap { s in pick(s).map { (Double(s.step), $0) } }.filter { $0.1.isFinite }
      return pts.isEmpty ? nil : PlotSeries(name, x: pts.map(\.0), y: pts.map(\.1), markers: pts.count < 3)
    }
    if steps.contains(where: { $0.entropy != nil }) {
      let band = PlotSeries("mean (10–90%)", x: x, y: steps.map { $0.entropy?.mean ?? .nan }, lower: steps.map { $0.entropy?.p10 ?? .nan }, upper: steps.map { $0.entropy?.p90 ?? .nan })
      let last = steps.last!.entropy
      sections.append(ReportSection(
        name: "entropy", source: "per-token entropy of the counted tokens", claim: "How the policy's entropy moves over training, and the share of high-entropy forking tokens.",
        verdict: curves?.warnings.isEmpty == false ? "warning" : "ok",
        summary: last.map { "Last step: mean \(formatNumber($0.mean, digits: 4)) nats, median \(formatNumber($0.p50, digits: 4)), forking fraction \(formatNumber(100 * $0.forkingFraction, digits: 3))%." } ?? "",
        evidence: [], figures: [Figure("Token entropy per step", x: "step", y: "nats", series: [band]),
                                Figure("Forking tokens (entropy > \(formatNumber(settings.forkingEntropy, digits: 3)))", x: "step", y: "fraction", series: [series("forking", { $0.entropy?.forkingFraction })].compactMap { $0 })],
        notes: curves?.warnings ?? [], seconds: 0))
    }
    if let last = steps.last(where: { $0.covariance != nil }), let c = last.covariance {
      var section = ReportSection(
        name: "covariance", source: "seed 003 (Cui et al.), §3 and Table 1", claim: "The entropy change is driven by the covariance of log π and the advantage; a few tokens carry most of it.",
        verdict: "ok", summary: "Last step: mean covariance \(formatNumber(c.mean, digits: 4)), \(formatNumber(100 * c.positiveFraction, digits: 3))% of tokens positive.",
        evidence: [], figures: [Figure("Token covariance per step", x: "step", y: "mean (log π − mean)(A − mean)", series: [series("mean", { $0.covariance?.mean })].compactMap { $0 })],
        notes: [], seconds: 0)
      section.tables = [ReportTable("Mean covariance of the top tokens (step \(last.step))", header: ["top fraction", "tokens", "mean covariance"],
                                    rows: c.top.map { ["\(formatNumber(100 * $0.fraction, digits: 3))%", String($0.count), formatNumber($0.mean, digits: 5)] })]
      sections.append(section)
    }
    if steps.contains(where: { $0.selection != nil }) {
      sections.append(ReportSection(
        name: "selection", source: "verl core_algos.py (Clip-Cov, KL-Cov); verl #7829", claim: "The tokens Clip-Cov and KL-Cov would touch, over the whole step and within each micro-batch as verl selects them.",
        verdict: "ok", summary: "Ratios: Clip-Cov \(formatNumber(settings.clipCovRatio, digits: 3)) (bounds \(formatNumber(settings.clipCovBounds.0, digits: 3)), \(formatNumber(settings.clipCovBounds.1, digits: 3))), KL-Cov \(formatNumber(settings.klCovRatio, digits: 3)).",
        evidence: [], figures: [Figure("Selected tokens per step", x: "step", y: "tokens", series: [
          series("Clip-Cov global", { $0.selection.map { Double($0.clipCov) } }), series("Clip-Cov per micro-batch", { $0.selection.map { Double($0.clipCovPerMicroBatch) } }),
          series("KL-Cov global", { $0.selection.map { Double($0.klCov) } }), series("KL-Cov per micro-batch", { $0.selection.map { Double($0.klCovPerMicroBatch) } }),
        ].compactMap { $0 })], notes: [], seconds: 0))
    }
    if steps.contains(where: { $0.mismatch != nil }) {
      let outside = steps.last(where: { $0.mismatch != nil })!.mismatch!.outside
      sections.append(ReportSection(
        name: "mismatch", source: "verl #6280, #2088; TRL #6789", claim: "The trainer's and the inference engine's probabilities of the sampled tokens agree (importance ratios near 1).",
        verdict: outside > 0.01 ? "warning" : "ok", summary: "Last step: \(formatNumber(100 * outside, digits: 3))% of the tokens have an importance ratio outside [1 − ε, 1 + ε], ε = \(formatNumber(settings.ratioEpsilon, digits: 3)).",
        evidence: [], figures: [
          Figure("KL(π_inf ‖ π_θ) estimates per step", x: "step", y: "nats", series: [series("k1", { $0.mismatch?.k1 }), series("k3", { $0.mismatch?.k3 })].compactMap { $0 }),
          Figure("Importance ratio π_θ/π_inf (1–99%)", x: "step", y: "ratio", series: [PlotSeries("median", x: x, y: steps.map { $0.mismatch?.ratioP50 ?? .nan }, lower: steps.map { $0.mismatch?.ratioP1 ?? .nan }, upper: steps.map { $0.mismatch?.ratioP99 ?? .nan })]),
        ], notes: [], seconds: 0))
    }
    if steps.contains(where: { $0.groupStatistics != nil }) {
      var curvesK: [PlotSeries] = settings.passK.compactMap { k in series("pass@\(k)", { $0.groupStatistics?.passAtK.first { $0.k == k }?.value }) }
      if let zero = series("zero-advantage groups", { $0.groupStatistics?.zeroAdvantageFraction }) { curvesK.append(zero) }
      sections.append(ReportSection(
        name: "groups", source: "GRPO groups (samples of one prompt)", claim: "Per prompt group: pass@k, distinct answers, and the groups from which GRPO learns nothing (all advantages zero).",
        verdict: "ok", summary: "", evidence: [], figures: [Figure("Per-group statistics per step", x: "step", y: "fraction", series: curvesK),
                                                            Figure("Distinct answers per group", x: "step", y: "answers", series: [series("distinct", { $0.groupStatistics?.distinctAnswers })].compactMap { $0 })],
        notes: [], seconds: 0))
    }
    if let c = curves, !c.points.isEmpty {
      var lawSeries = [PlotSeries("logged", x: c.points.map(\.entropy), y: c.points.map(\.performance), markers: true)]
      let hs = c.points.map(\.entropy)
      let grid = stride(from: 0.0, through: (hs.max() ?? 1) * 1.05, by: max((hs.max() ?? 1) / 60, 1e-6)).map { $0 }
      if let fit = c.fit { lawSeries.append(PlotSeries("fit, all steps", x: grid, y: grid.map(fit.performance(atEntropy:)))) }
      if let early = c.earlyFit { lawSeries.append(PlotSeries("fit, first \(Int(c.earlyFraction * 100))%", x: grid, y: grid.map(early.performance(atEntropy:)))) }
      sections.append(ReportSection(
        name: "law", source: "seed 003 (Cui et al.), eq. 6", claim: "Performance is an exponential function of entropy, R = −a·e^H + b; its ceiling b − a is where the run goes when the entropy is spent.",
        verdict: c.warnings.isEmpty ? "ok" : "warning",
        summary: c.fit.map { "R = −\(formatNumber($0.a, digits: 4))·e^H + \(formatNumber($0.b, digits: 4)), R² \(formatNumber($0.r2, digits: 3)); ceiling \(formatNumber($0.ceiling, digits: 4))" + (c.earlyFit.map { "; from the first \(Int(c.earlyFraction * 100))%: \(formatNumber($0.ceiling, digits: 4))" } ?? "") + "." } ?? "Too few points to fit.",
        evidence: [("initial entropy", c.initialEntropy ?? .nan), ("halving step", c.halvingStep.map(Double.init) ?? .nan), ("best performance", c.bestPerformance ?? .nan)],
        figures: [Figure("\(c.performanceTag) against \(c.entropyTag)", x: "entropy H", y: "performance R", series: lawSeries),
                  Figure("Entropy over the run", x: "step", y: c.entropyTag, series: [PlotSeries(c.entropyTag, x: c.points.map { Double($0.step) }, y: c.points.map(\.entropy))])],
        notes: c.warnings, seconds: 0))
    }
    return HTMLReport.render(title: title, subtitle: "\(format), \(files.count) files, \(steps.count) steps; generated by logitdyn run-log. Skipped: " + (skipped.isEmpty ? "nothing" : skipped.joined(separator: "; ")), sections: sections, kind: "analysis", timed: false)
  }

  /// The per-step columns as TensorBoard scalars (`run-log/<column>`), so the theory's numbers
  /// sit next to the run's own curves.
  public var tensorBoard: Data {
    var writer = TensorBoardWriter()
    for s in steps {
      for (name, value) in s.columns(passK: settings.passK) {
        if let value, value.isFinite { writer.add(tag: "run-log/\(name)", step: s.step, value: value) }
      }
    }
    return writer.bytes
  }
}
