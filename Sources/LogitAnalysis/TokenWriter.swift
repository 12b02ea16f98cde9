import Foundation
import OutputFormats

/// Output formats of the per-token table.
public enum TokenTableFormat: String, Sendable, CaseIterable {
  /// CSV with a header line, JSON Lines (one object per row), or a structured `.npy` array.
  case csv, jsonl, npy
}

extension BatchAnalysis {
  /// The per-token columns, in output order.
  public var columnNames: [String] {
    ["row", "batch", "position", "valid", "nonfinite", "token", "log_sum_exp", "entropy", "collision", "log_prob",
     "prob", "norm_factor", "advantage", "old_log_prob", "cov", "dH_per_lr", "update_norm_per_lr", "clip_cov", "kl_cov"]
  }

  func intColumns() -> [(String, [Int])] {
    let n = batch.rows
    let flagged = Set(flaggedRows)
    return [
      ("row", Array(0..<n)),
      ("batch", (0..<n).map { $0 / batch.length }),
      ("position", (0..<n).map { $0 % batch.length }),
      ("valid", table.valid.map { $0 ? 1 : 0 }),
      ("nonfinite", (0..<n).map { flagged.contains($0) ? 1 : 0 }),
      ("token", batch.tokens ?? [Int](repeating: -1, count: n)),
    ]
  }

  func doubleColumns() -> [(String, [Double])] {
    let n = batch.rows
    let r = table.rows
    let nan = [Double](repeating: .nan, count: n)
    return [
      ("log_sum_exp", r.map(\.logSumExp)), ("entropy", r.map(\.entropy)), ("collision", r.map(\.collision)),
      ("log_prob", r.map(\.chosenLogProb)), ("prob", r.map(\.chosenProb)), ("norm_factor", r.map(\.normFactor)),
      ("advantage", batch.advantages ?? nan), ("old_log_prob", batch.oldLogProbs ?? nan), ("cov", table.covariance),
      ("dH_per_lr", table.entropyChangePerLR), ("update_norm_per_lr", table.updateNormPerLR),
    ]
  }

  /// Writes the per-token table to `path` atomically. A non-finite value is written as an empty CSV
  /// field or `null` in JSON Lines, and as itself (NaN, ±∞) in `.npy`.
  public func writeTokens(to path: String, format: TokenTableFormat) throws {
    let ints = intColumns()
    let doubles = doubleColumns()
    let flags: [(String, [Int])] = [
      ("clip_cov", table.clipCovSelected.map { $0 ? 1 : 0 }), ("kl_cov", table.klCovSelected.map { $0 ? 1 : 0 }),
    ]
    switch format {
    case .npy:
      let columns: [NPYWriter.Column] = ints.map { .int64($0.0, $0.1) } + doubles.map { .float64($0.0, $0.1) }
        + flags.map { .int64($0.0, $0.1) }
      try NPYWriter.write(columns: columns, to: path)
    case .csv, .jsonl:
      var writer = try AtomicFileWriter(path: path)
      do {
        let names = ints.map(\.0) + doubles.map(\.0) + flags.map(\.0)
        if format == .csv { try writer.write(names.joined(separator: ",") + "\n") }
        var line = ""
        for i in 0..<batch.rows {
          var cells: [String] = ints.map { "\($0.1[i])" }
          cells += doubles.map { $0.1[i].isFinite ? "\($0.1[i])" : (format == .csv ? "" : "null") }
          cells += flags.map { "\($0.1[i])" }
          if format == .csv {
            line += cells.joined(separator: ",") + "\n"
          } else {
            line += "{" + zip(names, cells).map { "\"\($0)\":\($1)" }.joined(separator: ",") + "}\n"
          }
          if line.utf8.count > 1 << 20 {
            try writer.write(line)
            line = ""
          }
        }
        try writer.write(line)
        try writer.commit()
      } catch {
        writer.abandon()
        throw error
      }
    }
  }
}
