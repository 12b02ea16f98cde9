import Foundation
import Testing
import TensorIO

/// Files crafted to fool or crash a reader: each must be refused with a message that names
/// the file and the problem on one line, never accepted with wrong numbers.
@Suite struct HostileFileTests {
  static func write(_ data: Data, _ name: String) -> String { TensorReaderTests.write(data, "hostile-" + name) }

  static func npyHeader(_ dict: String, version: UInt8 = 1, data: Int = 24) -> Data {
    TensorReaderTests.npy(version: version, dict: dict, data: Data(count: data))
  }

  static func refused(_ path: String, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
      let tensors = try TensorFiles.open(path: path)
      Issue.record("accepted: \(tensors.map(\.summary))", sourceLocation: sourceLocation)
    } catch {
      let text = "\(error)"
      #expect(text.contains(fragment), "\(text)", sourceLocation: sourceLocation)
      #expect(text.hasPrefix(path), sourceLocation: sourceLocation)
      #expect(!text.contains("\n") && !text.contains("\r"), "not one line: \(text.debugDescription)", sourceLocation: sourceLocation)
    }
  }

  @Test(arguments: [
    ("bang", "{'descr': '!f4', 'fortran_order': False, 'shape': (6,), }", "big-endian"),
    ("x-order", "{'descr': 'xf4', 'fortran_order': False, 'shape': (6,), }", "unsupported dtype 'xf4'"),
    ("Z-order", "{'descr': 'Zf8', 'fortran_order': False, 'shape': (3,), }", "unsupported dtype 'Zf8'"),
    ("no-commas", "{'descr': '<f4', 'fortran_order': False, 'shape': (2 3), }", "expected ','"),
    ("leading-zero", "{'descr': '<f4', 'fortran_order': False, 'shape': (06,), }", "leading zeros"),
    ("int-not-tuple", "{'descr': '<f4', 'fortran_order': False, 'shape': (6), }", "not a tuple"),
    ("extra-key", "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'junk': ((((((1,),),),),),), }", "unexpected key 'junk'"),
    ("duplicate", "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", "given twice"),
    ("missing", "{'descr': '<f4', 'shape': (6,), }", "no 'fortran_order'"),
    ("float-dim", "{'descr': '<f4', 'fortran_order': False, 'shape': (6.0,), }", "not a decimal integer"),
    ("bool-order", "{'descr': '<f4', 'fortran_order': 1, 'shape': (6,), }", "fortran_order is not a bool"),
    ("huge-dim", "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }", "too large"),
    ("overflow", "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", "overflows"),
    ("text-after", "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), } x", "text after the dict"),
    ("crlf", "{'descr': '<f4',\r\n 'fortran_order': Fals, 'shape': (6,), }", "fortran_order is not a bool"),
  ])
  func npyHeadersAreParsedLikeNumpy(name: String, dict: String, fragment: String) {
    Self.refused(Self.write(Self.npyHeader(dict), name + ".npy"), fragment)
  }

  @Test func npyValidVariantsStillRead() throws {
    for (k, dict) in [
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3,), }",
      "{\"descr\": \"=f4\", \"fortran_order\": False, \"shape\": (2, 3)}",
      "{'shape': (2, 3), 'fortran_order': False, 'descr': '|f4'}",
      "{'descr': 'f4', 'fortran_order': False, 'shape': (2L, 3L), }",
    ].enumerated() {
      let t = try NPYReader.open(path: Self.write(Self.npyHeader(dict), "ok\(k).npy"))
      #expect(t.shape == [2, 3] && t.dtype == .float32)
    }
    // A big-endian one-byte type has no byte order to get wrong.
    #expect(try NPYReader.open(path: Self.write(Self.npyHeader("{'descr': '>u1', 'fortran_order': False, 'shape': (3,), }", data: 3), "u1.npy")).dtype == .uint8)
  }

  @Test func npyDeepNestingAndHugeHeaders() {
    // 9,000 '(' fit a version 1.0 header: an error, not a stack overflow.
    let deep = "{'descr': '<f4', 'fortran_order': False, 'shape': " + String(repeating: "(", count: 9000) + "}"
    Self.refused(Self.write(Self.npyHeader(deep), "deep.npy"), "malformed .npy header")
    // 66,000 of them need version 2.0 and exceed numpy's 10,000-byte header limit.
    let deeper = "{'descr': '<f4', 'fortran_order': False, 'shape': " + String(repeating: "(", count: 66000) + "}"
    var v2 = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 2, 0])
    withUnsafeBytes(of: UInt32(deeper.utf8.count).littleEndian) { v2.append(contentsOf: $0) }
    v2.append(Data(deeper.utf8))
    Self.refused(Self.write(v2, "deeper.npy"), "exceeds numpy's limit")
  }

  /// A `.safetensors` file from a raw header and data section.
  static func safetensors(header: String, data: Int, lengthDelta: Int = 0) -> Data {
    var out = Data()
    withUnsafeBytes(of: UInt64(header.utf8.count + lengthDelta).littleEndian) { out.append(contentsOf: $0) }
    out.append(Data(header.utf8))
    out.append(Data(count: data))
    return out
  }

  @Test(arguments: [
    ("shape-2^64", #"{"x": {"dtype": "F32", "shape": [18446744073709551616], "data_offsets": [0, 16]}}"#, 16, "not an unsigned 64-bit integer"),
    ("shape-wrap", #"{"x": {"dtype": "F32", "shape": [4611686018427387905, 4], "data_offsets": [0, 16]}}"#, 16, "overflows"),
    ("offset-2^64", #"{"x": {"dtype": "F32", "shape": [4], "data_offsets": [18446744073709551616, 18446744073709551632]}}"#, 16, "not unsigned 64-bit integers"),
    ("shape-float", #"{"x": {"dtype": "F32", "shape": [4.0], "data_offsets": [0, 16]}}"#, 16, "shape[0] is 4.0"),
    ("shape-bool", #"{"x": {"dtype": "F32", "shape": [true, 4], "data_offsets": [0, 16]}}"#, 16, "shape[0] is true"),
    ("shape-negative", #"{"x": {"dtype": "F32", "shape": [-4], "data_offsets": [0, 16]}}"#, 16, "shape[0] is -4"),
    ("overlap", #"{"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}, "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}}"#, 24, "inside the previous tensor"),
    ("gap", #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [12, 20]}}"#, 20, "a gap"),
    ("trailing", #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, 12, "4 bytes after the last tensor"),
    ("duplicate", #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}"#, 16, "duplicate key"),
    ("metadata", #"{"__metadata__": {"format": 1}, "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, 8, "__metadata__.format must be a string"),
    ("not-object", #"[1, 2]"#, 0, "does not start with '{'"),
    ("dtype-number", #"{"a": {"dtype": 7, "shape": [2], "data_offsets": [0, 8]}}"#, 8, "dtype is 7"),
    ("crlf-name", "{\"a\\r\\nb\": {\"dtype\": \"F99\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 8, "unsupported dtype F99"),
  ])
  func safetensorsFollowTheCratesRules(name: String, header: String, data: Int, fragment: String) {
    Self.refused(Self.write(Self.safetensors(header: header, data: data), name + ".safetensors"), fragment)
  }

  @Test func safetensorsHeaderLengthOneByteShort() {
    // The last byte of the header falls into the data: the JSON is cut and refused, instead
    // of every tensor being read one byte off.
    let header = #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#
    Self.refused(Self.write(Self.safetensors(header: header, data: 8, lengthDelta: -1), "short.safetensors"), "malformed JSON header")
    Self.refused(Self.write(Self.safetensors(header: header + " ", data: 8, lengthDelta: 1), "long.safetensors"), "malformed JSON header")
    // Padding with spaces, as the Python writer does, is fine.
    #expect((try? TensorFiles.open(path: Self.write(Self.safetensors(header: header + "    ", data: 8), "padded.safetensors")))?.first?.shape == [2])
  }

  @Test func fifosAndDirectoriesAreRefusedAtOnce() throws {
    let fifo = TensorReaderTests.dir + "/hostile.fifo.npy"
    unlink(fifo)
    #expect(mkfifo(fifo, 0o600) == 0)
    defer { unlink(fifo) }
    let start = Date()
    Self.refused(fifo, "not a regular file")
    #expect(Date().timeIntervalSince(start) < 1)
  }
}
