import Foundation
import StrictJSON
import Testing

/// The strict parser against RFC 8259: what it accepts, what it refuses and where it says
/// the problem is; against Foundation's parser on valid texts; on hostile depth and size.
@Suite struct StrictJSONTests {
  @Test func parsesEveryValueKind() throws {
    let v = try StrictJSON.parse(#" {"a": [1, -2.5e3, true, false, null], "b": {"c": "x\ty\u00e9\ud83d\ude00"}, "d": []} "#)
    #expect(v["a"]?.elements?.count == 5)
    #expect(v["a"]?.elements?[0].number == JSONNumber(literal: "1", isIntegerLiteral: true))
    #expect(v["a"]?.elements?[1].number?.finiteDouble == -2500)
    #expect(v["a"]?.elements?[1].number?.isIntegerLiteral == false)
    #expect(v["a"]?.elements?[2] == .bool(true))
    #expect(v["a"]?.elements?[4] == .null)
    #expect(v["b"]?["c"]?.string == "x\tyé😀")
    #expect(v["d"] == .array([]))
    #expect(v.members?.map(\.key) == ["a", "b", "d"])
  }

  @Test func integersAreNeverWrappedOrRounded() throws {
    let v = try StrictJSON.parse("[18446744073709551615, 18446744073709551616, -1, 1.0, 1e2, true]")
    let e = try #require(v.elements)
    #expect(e[0].number?.uint64 == UInt64.max)
    #expect(e[1].number?.uint64 == nil)  // 2^64 does not fit
    #expect(e[2].number?.uint64 == nil)
    #expect(e[2].number?.int == -1)
    #expect(e[3].number?.uint64 == nil)  // not an integer literal
    #expect(e[4].number?.int == nil)
    #expect(e[5].number == nil)  // a boolean is not a number
    #expect(try StrictJSON.parse("1e400").number?.finiteDouble == nil)
    #expect(try StrictJSON.parse("-1e-400").number?.finiteDouble == 0)
  }

  @Test(arguments: [
    ("", "no JSON value"),
    ("[1,]", "unexpected ']'"),
    ("{\"a\":1,}", "expected a string key"),
    ("[1 2]", "expected ',' or ']'"),
    ("{\"a\" 1}", "expected ':'"),
    ("{\"a\":1,\"a\":2}", "duplicate key"),
    ("01", "leading zeros"),
    ("-", "needs digits"),
    ("1.", "decimal point"),
    ("1e", "exponent"),
    ("NaN", "NaN and Infinity"),
    ("Infinity", "NaN and Infinity"),
    ("tru", "invalid literal"),
    ("\"abc", "unterminated"),
    ("\"a\nb\"", "raw control character"),
    ("\"\\x\"", "invalid escape"),
    ("\"\\ud800\"", "unpaired surrogate"),
    ("\"\\udc00x\"", "unpaired surrogate"),
    ("\"\\u12\"", "\\u escape"),
    ("[1] 2", "after the JSON value"),
    ("// c\n1", "unexpected"),
    ("[", "ends inside an array"),
    ("{\"a\":[1,{\"b\":", "ends inside an object"),
  ])
  func refusesWithAReason(text: String, reason: String) {
    do {
      _ = try StrictJSON.parse(text)
      Issue.record("accepted \(text.debugDescription)")
    } catch {
      #expect(error.message.contains(reason), "\(text.debugDescription): \(error.message)")
    }
  }

  @Test func refusesInvalidUTF8() {
    for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22]] {
      #expect(throws: JSONSyntaxError.self) { try StrictJSON.parse(bytes) }
    }
  }

  @Test func reportsLineAndColumn() {
    do {
      _ = try StrictJSON.parse("{\n  \"a\": 1,\n  \"b\": [1, 2,]\n}")
      Issue.record("accepted")
    } catch {
      #expect(error.line == 3)
      #expect(error.column == 14)
    }
  }

  @Test func deepNestingIsAnErrorNotAStackOverflow() throws {
    let deep = String(repeating: "[", count: 1_000_000) + String(repeating: "]", count: 1_000_000)
    #expect(throws: JSONSyntaxError.self) { try StrictJSON.parse(deep) }
    let ok = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
    var v = try StrictJSON.parse(ok)
    var depth = 0
    while case .array(let a) = v, let first = a.first { v = first; depth += 1 }
    #expect(depth == 99)
    let objects = String(repeating: "{\"k\":", count: 200) + "1" + String(repeating: "}", count: 200)
    #expect(throws: JSONSyntaxError.self) { try StrictJSON.parse(objects) }
    #expect(try StrictJSON.parse(objects, maxDepth: 200)["k"] != nil)
  }

  /// Random valid documents: the strict parser and Foundation's agree on every number and string.
  @Test func agreesWithFoundationOnValidTexts() throws {
    var state: UInt64 = 12345
    func next() -> UInt64 {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return state >> 33
    }
    func number() -> String {
      let kinds = ["0", "-0", "12", "-7", "3.25", "1e-3", "-6.02E23", "123456789012", "0.1"]
      return kinds[Int(next() % UInt64(kinds.count))]
    }
    for _ in 0..<200 {
      var items: [String] = []
      for _ in 0..<Int(next() % 6) { items.append(next() % 3 == 0 ? "\"s\\u00e9\\n\(next() % 100)\"" : number()) }
      let text = "{\"x\": [" + items.joined(separator: ", ") + "], \"y\": {\"z\": [[]]}}"
      let ours = try StrictJSON.parse(text)
      let theirs = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
      let a = try #require(ours["x"]?.elements)
      let b = try #require(theirs["x"] as? [Any])
      #expect(a.count == b.count)
      for (p, q) in zip(a, b) {
        if let s = p.string { #expect(s == q as? String) } else { #expect(p.number?.finiteDouble == (q as? NSNumber)?.doubleValue) }
      }
    }
  }

  @Test func printableEscapesControlCharacters() {
    #expect(JSONNode.printable("a\r\nb\u{1}") == "a\\r\\nb\\u{1}")
    #expect(JSONNode.printable(String(repeating: "x", count: 100), limit: 5) == "xxxxx…")
  }
}
