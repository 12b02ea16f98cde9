import Diagnostics
import Foundation
import StrictJSON
import TensorBoardEvents

/// Scalar curves of a run: tag → points in step order (TensorBoard event files, CSV and
/// JSONL scalar logs).
public struct ScalarLog: Sendable {
  /// Each tag's points, sorted by step (a step logged twice keeps its last value, as
  /// TensorBoard shows it).
  public private(set) var series: [String: [(step: Int, value: Double)]] = [:]
  /// Each tag's value by step, what ``series`` is sorted from.
  private var byStep: [String: [Int: Double]] = [:]
  /// What the readers noticed (a file still being written, values skipped).
  public var notes: [String] = []

  /// An empty log.
  public init() {}

  /// Adds `points` (a later value of a tag's step replaces the earlier); only the tags they
  /// touch are sorted again.
  public mutating func merge(_ points: [(tag: String, step: Int, value: Double)]) {
    var touched = Set<String>()
    for p in points {
      byStep[p.tag, default: [:]][p.step] = p.value
      touched.insert(p.tag)
    }
    for tag in touched { series[tag] = byStep[tag]!.sorted { $0.key < $1.key }.map { (step: $0.key, value: $0.value) } }
  }

  /// The tags, sorted.
  public var tags: [String] { series.keys.sorted() }

  /// Reads a TensorBoard event file.
  public mutating func addEventFile(_ path: String) throws(MessageError) {
    let file = try EventFile(path: path)
    merge(file.scalars.map { ($0.tag, $0.step, $0.value) })
    if let note = file.truncationNote { notes.append(note) }
    if file.skippedValues > 0 { notes.append("\(path): \(file.skippedValues) values that are not scalars (histograms, text, …) skipped") }
  }

  /// The names a scalar log may give its step column, in order of preference.
  public static let stepColumns = ["step", "global_step", "_step", "trainer/global_step", "train/global_step", "iteration"]

  /// Reads a CSV scalar log: a header row with a step column (``stepColumns``) and one column
  /// per tag; an empty cell is a tag not logged at that step. A cell that is not a number is
  /// an error naming the line and the column.
  public mutating func addCSV(_ path: String) throws(MessageError) {
    let text: String
    do { text = try UntrustedFile.text(path: path, limit: 1 << 30) } catch { throw MessageError("\(error)") }
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
    while lines.last?.isEmpty == true { lines.removeLast() }
    guard let headerLine = lines.first else { throw MessageError("\(path): an empty file, not a CSV scalar log") }
    let header = Self.csvFields(headerLine)
    guard let stepColumn = Self.stepColumns.lazy.compactMap({ header.firstIndex(of: $0) }).first else {
      throw MessageError("\(path):1: no step column (one of \(Self.stepColumns.joined(separator: ", "))) in the header")
    }
    var points: [(tag: String, step: Int, value: Double)] = []
    for (k, line) in lines.enumerated().dropFirst() where !line.isEmpty {
      let fields = Self.csvFields(line)
      // A last line cut short by a writer still at work: skipped with a note.
      if fields.count != header.count {
        if k == lines.count - 1 && !text.hasSuffix("\n") {
          notes.append("\(path):\(k + 1): the last line is incomplete (still being written?); skipped")
          continue
        }
        throw MessageError("\(path):\(k + 1): \(fields.count) fields, the header has \(header.count)")
      }
      guard let stepValue = Double(fields[stepColumn].trimmingCharacters(in: .whitespaces)), stepValue == stepValue.rounded(), abs(stepValue) < 1e15 else {
        throw MessageError("\(path):\(k + 1): the step '\(fields[stepColumn])' is not a whole number")
      }
      for (c, cell) in fields.enumerated() where c != stepColumn && !cell.isEmpty {
        guard let v = Self.number(cell) else {
          throw MessageError("\(path):\(k + 1): column '\(header[c])': '\(JSONNode.printable(cell, limit: 40))' is not a number")
        }
        points.append((header[c], Int(stepValue), v))
      }
    }
    merge(points)
  }

  /// Reads a JSONL scalar log: one object per line with a step field (``stepColumns``) and
  /// numeric fields (other fields are ignored).
  public mutating func addJSONL(_ path: String) throws(MessageError) {
    var points: [(tag: String, step: Int, value: Double)] = []
    let read = try JSONLinesFile.read(path: path) { record, line throws(MessageError) in
      guard let stepKey = Self.stepColumns.first(where: { record[$0] != nil }) else {
        throw MessageError("\(path):\(line): no step field (one of \(Self.stepColumns.joined(separator: ", ")))")
      }
      guard case .number(let s)? = record[stepKey], s == s.rounded(), abs(s) < 1e15 else {
        throw MessageError("\(path):\(line): the field '\(stepKey)' must be a whole number, got \(record[stepKey]!.typeName)")
      }
      for m in record.members where m.key != stepKey {
        switch m.value {
        case .number(let v): points.append((m.key, Int(s), v))
        case .json(let text) where text.hasPrefix("{"):
          // verl's file logger: {"step": N, "data": {"actor/entropy": …}}: the object's numbers are tags.
          guard let members = (try? StrictJSON.parse(text))?.members else { continue }
          for member in members {
            if let v = member.value.number?.finiteDouble { points.append((member.key, Int(s), v)) }
          }
        default: continue
        }
      }
    }
    notes += read
    merge(points)
  }

  /// A CSV cell as a number (`nan`, `inf` and `-inf` in any case included, as pandas writes them).
  static func number(_ cell: String) -> Double? {
    let t = cell.trimmingCharacters(in: .whitespaces)
    if let v = Double(t) { return v }
    switch t.lowercased() {
    case "nan": return .nan
    case "inf", "infinity", "+inf": return .infinity
    case "-inf", "-infinity": return -.infinity
    default: return nil
    }
  }

  /// The fields of a CSV line (RFC 4180 quotes; `""` is a quote inside a quoted field).
  static func csvFields(_ line: Substring) -> [String] {
    var fields: [String] = [], current = "", quoted = false
    var it = line.makeIterator()
    while let c = it.next() {
      if quoted {
        if c == "\"" {
          if let n = it.next() {
            if n == "\"" { current.append("\"") } else { quoted = false; if n == "," { fields.append(current); current = "" } else { current.append(n) } }
          } else { quoted = false }
        } else { current.append(c) }
      } else if c == "\"" {
        quoted = true
      } else if c == "," {
        fields.append(current)
        current = ""
      } else {
        current.append(c)
      }
    }
    fields.append(current)
    return fields
  }
}
