import Foundation
import OutputFormats
import Testing
import _TestSupport

@Suite struct JSONValueTests {
  /// Keys keep their order, non-finite numbers are `null`, strings are escaped, and the text
  /// parses back (Foundation's parser) to the same values.
  @Test func renderingParsesBack() throws {
    let value: JSONValue = .object([
      ("z", .number(0.1)), ("a", .integer(-3)), ("text", .string("quote \" back \\ tab \t nl \n bell \u{7}")),
      ("flags", .array([.bool(true), .bool(false), .null])), ("bad", .numbers([.nan, .infinity, 1e-300])),
      ("nested", .object([("empty", .object([]))])),
    ])
    for indent in [0, 2] {
      let text = value.rendered(indent: indent)
      #expect(text.firstRange(of: "\"z\"")!.lowerBound < text.firstRange(of: "\"a\"")!.lowerBound)
      let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
      #expect(parsed["z"] as? Double == 0.1 && parsed["a"] as? Int == -3)
      #expect(parsed["text"] as? String == "quote \" back \\ tab \t nl \n bell \u{7}")
      let bad = try #require(parsed["bad"] as? [Any])
      #expect(bad[0] is NSNull && bad[1] is NSNull && bad[2] as? Double == 1e-300)
      #expect((parsed["nested"] as? [String: Any])?["empty"] as? [String: Any] != nil)
    }
    #expect(JSONValue.quote("\u{1}") == "\"\\u0001\"")
    #expect(!value.rendered(indent: 0).contains("\n"))
  }
}

@Suite struct TextFormattingTests {
  @Test func tableColumnsAreRightAligned() {
    var t = TextTable(["name", "value"])
    t.append(["a", "1"])
    t.append(["longer", "12345"])
    #expect(t.rendered() == "  name  value\n     a      1\nlonger  12345")
  }

  @Test(arguments: [
    (0.0, 6, "0"), (1.0, 6, "1"), (0.1234567, 3, "0.123"), (123456.0, 3, "1.23e+05"), (1e-5, 3, "1.00e-05"),
    (-2.5e8, 2, "-2.5e+08"), (.nan, 3, "nan"), (.infinity, 3, "inf"), (-.infinity, 3, "-inf"),
  ])
  func numbers(x: Double, digits: Int, expected: String) {
    #expect(formatNumber(x, digits: digits) == expected)
  }
}

@Suite struct AtomicFileTests {
  /// Readers see the old file until the commit, then the whole new one; an abandoned write
  /// leaves the old file and no temporary behind.
  @Test func commitAndAbandon() throws {
    let dir = try temporaryDirectory("atomic")
    let path = dir + "/out.csv"
    try AtomicFileWriter.write(Data("old\n".utf8), to: path)
    var w = try AtomicFileWriter(path: path)
    try w.write("new,")
    try w.write(Data(String(repeating: "x", count: 1 << 20).utf8))
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "old\n")
    try w.commit()
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count == 4 + (1 << 20))
    var abandoned = try AtomicFileWriter(path: path)
    try abandoned.write("half")
    abandoned.abandon()
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.csv"])
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count == 4 + (1 << 20))
  }

  @Test func unwritableDirectoriesAreNamed() {
    do {
      try AtomicFileWriter.write(Data("x".utf8), to: "/nonexistent-dir/out.json")
      Issue.record("wrote into a missing directory")
    } catch {
      #expect("\(error)".contains("/nonexistent-dir"), "\(error)")
    }
  }
}

@Suite struct NPYWriterTests {
  /// Structured and plain arrays: the header is padded to 64 bytes, and numpy reads back the
  /// values and field names (skipped without numpy; under `CI=true` it runs and must pass).
  @Test(.enabled(if: ExternalTools.runs(python: ["numpy"]), "needs python3 with numpy"))
  func numpyReadsTheFiles() throws {
    let dir = try temporaryDirectory("npy")
    try NPYWriter.write(columns: [.float64("entropy", [0.5, .nan, -1e300]), .int64("step", [0, 1, Int.max])], to: dir + "/s.npy")
    try NPYWriter.write([1.5, 2.5, 3.5, 4.5, 5.5, 6.5] as [Double], shape: [2, 3], to: dir + "/p.npy")
    for name in ["s.npy", "p.npy"] {
      let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
      #expect(bytes.prefix(6) == Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]))
      let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
      #expect((10 + headerLength) % 64 == 0)
    }
    let script = """
      import sys, numpy as np
      s = np.load(sys.argv[1] + "/s.npy"); p = np.load(sys.argv[1] + "/p.npy")
      print(list(s.dtype.names), float(s["entropy"][0]), bool(np.isnan(s["entropy"][1])), int(s["step"][2]), p.shape, float(p[1, 2]))
      """
    let (status, out) = ExternalTools.python(script, arguments: [dir])
    #expect(status == 0, "np.load failed: \(out)")
    #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) == "['entropy', 'step'] 0.5 True \(Int.max) (2, 3) 6.5")
  }
}
