import Diagnostics
import Foundation
import RunLogs
import SeededRandom
import Testing
import _TestSupport

@Suite struct JSONLineParserTests {
  static func parse(_ text: String) throws(JSONLineError) -> JSONLineRecord { try JSONLineParser.parse(text) }

  /// Every number the fast path or `strtod` reads is the correctly rounded double: the same as
  /// Swift's own `Double(String)`, on random decimals as loggers print them and on hard cases.
  @Test func numbersAreCorrectlyRounded() throws {
    var rng = Xoshiro256StarStar(seed: 7)
    var literals = ["0", "-0", "1", "-1", "0.1", "1e-300", "2.2250738585072014e-308", "4.9e-324", "1.7976931348623157e308", "9007199254740993",
                    "123456789012345678901234567890", "0.30000000000000004", "1E+2", "-2.5e-7", "3.141592653589793238462643383279", "1e23", "8.98846567431158e307"]
    for _ in 0..<20_000 {
      let x = (rng.nextDouble() - 0.5) * Foundation.pow(10, Double(rng.nextInt(below: 40)) - 20)
      literals.append(rng.nextInt(below: 2) == 0 ? "\(x)" : String(format: "%.\(rng.nextInt(below: 17) + 1)g", x))
      literals.append("\(Float(x))")
    }
    let line = "{\"v\": [" + literals.joined(separator: ", ") + "]}"
    guard case .numbers(let values, let nulls)? = try Self.parse(line)["v"] else { Issue.record("not numbers"); return }
    #expect(nulls == 0 && values.count == literals.count)
    for (text, v) in zip(literals, values) where Double(text)!.bitPattern != v.bitPattern {
      Issue.record("\(text): parsed \(v), Swift reads \(Double(text)!)")
    }
  }

  @Test func valuesOfEveryKind() throws {
    let r = try Self.parse(#"{"a": 1.5, "b": "x\"y\\z\u00e9\ud83d\ude00\n", "c": true, "d": null, "e": [1, null, NaN, -Infinity], "f": ["p", "q"], "g": [true, false], "h": {"k": [1, [2]]}, "i": [[1], 2], "j": []}"#)
    #expect(r["a"] == .number(1.5))
    #expect(r["b"] == .string("x\"y\\zé😀\n"))
    #expect(r["c"] == .bool(true) && r["d"] == .null)
    guard case .numbers(let e, let nulls)? = r["e"] else { Issue.record("e"); return }
    #expect(e.count == 4 && e[0] == 1 && e[1].isNaN && e[2].isNaN && e[3] == -.infinity && nulls == 1)
    #expect(r["f"] == .strings(["p", "q"]) && r["g"] == .bools([true, false]))
    #expect(r["h"] == .json(#"{"k": [1, [2]]}"#) && r["i"] == .json("[[1], 2]") && r["j"] == .numbers([], nulls: 0))
    #expect(r.members.map(\.key) == ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"])
  }

  /// Bad records are refused with the column and the reason.
  @Test(arguments: [
    (#"{"a": [1, 2"#, "column 12: the line ends inside an array (a record cut short?)"),
    (#"{"a": 1, "a": 2}"#, "column 10: the key \"a\" appears twice"),
    (#"{"a": 01}"#, "column 8: a number with a leading zero"),
    (#"{"a": "x"#, "column 9: the line ends inside a string"),
    ("{\"a\": \"\u{1}\"}", "column 8: a control character"),
    (#"{"a": 1} x"#, "column 10: unexpected 'x' after the record"),
    (#"[1, 2]"#, "column 1: a record is a JSON object; found '['"),
    (#"{"a": tru}"#, "column 7: expected a value, found 't'"),
    (#"{"a": 1.}"#, "column 9: a '.' with no digit after it"),
    (#"{"a": "\ud800"}"#, "column 14: a lone high surrogate"),
    (#"{"a" 1}"#, "column 6: expected ':' after the key"),
  ])
  func badRecordsNameTheColumn(text: String, fragment: String) {
    do {
      _ = try Self.parse(text)
      Issue.record("accepted \(text)")
    } catch {
      #expect(error.description.hasPrefix(fragment), "\(text): \(error.description)")
    }
  }

  /// A deep nesting is an error, not a stack overflow.
  @Test func nestingIsBounded() {
    let deep = "{\"a\": " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
    #expect(throws: JSONLineError.self) { try Self.parse(deep) }
  }

  /// Records across chunk boundaries (a 5 MB line), CRLF, blank lines; an incomplete last line
  /// is a note; a bad line elsewhere is an error with the file and line.
  @Test func filesLineByLine() throws {
    let dir = try temporaryDirectory("jsonl")
    let long = (0..<600_000).map { _ in "0.125" }.joined(separator: ",")
    let text = "{\"a\": 1}\r\n\n{\"b\": [\(long)]}\n   \n{\"c\": 3}\n{\"d\": [1, 2"
    try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/a.jsonl"))
    var keys: [(String, Int)] = []
    let notes = try JSONLinesFile.read(path: dir + "/a.jsonl") { r, line in keys.append((r.members[0].key, line)) }
    #expect(keys.map(\.0) == ["a", "b", "c"] && keys.map(\.1) == [1, 3, 5])
    #expect(notes == ["\(dir)/a.jsonl:6: the last line is an incomplete record (still being written?); skipped"])
    try Data("{\"a\": 1}\n{\"a\": }\n{\"a\": 2}\n".utf8).write(to: URL(fileURLWithPath: dir + "/b.jsonl"))
    do {
      try JSONLinesFile.read(path: dir + "/b.jsonl") { _, _ in }
      Issue.record("accepted a bad line")
    } catch {
      #expect(error.description == "\(dir)/b.jsonl:2: column 7: expected a value, found '}'")
    }
    #expect(throws: MessageError("\(dir): not a regular file")) { try JSONLinesFile.read(path: dir) { _, _ in } }
  }
}
