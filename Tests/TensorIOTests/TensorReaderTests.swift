import Foundation
import OutputFormats
import Testing
import _TestSupport
import TensorIO

/// Readers of `.npy` and `.safetensors`, on files built byte by byte here (so every header
/// variant is covered without Python), and on files written by numpy and the `safetensors`
/// package when Python has them.
@Suite struct TensorReaderTests {
  static let dir: String = {
    let d = NSTemporaryDirectory() + "tensorio-tests-\(getpid())"
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
  }()

  static func path(_ name: String) -> String { dir + "/" + name }

  /// An `.npy` file: version, header dict text and raw data.
  static func npy(version: UInt8, dict: String, data: Data) -> Data {
    var out = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0])
    let headerText = dict + "\n"
    let n = headerText.utf8.count
    if version == 1 {
      out.append(contentsOf: [UInt8(n & 0xFF), UInt8(n >> 8)])
    } else {
      out.append(contentsOf: [UInt8(n & 0xFF), UInt8((n >> 8) & 0xFF), 0, 0])
    }
    out.append(Data(headerText.utf8))
    out.append(data)
    return out
  }

  static func write(_ data: Data, _ name: String) -> String {
    let p = path(name)
    FileManager.default.createFile(atPath: p, contents: data)
    return p
  }

  static func bytes<T>(_ values: [T]) -> Data { values.withUnsafeBytes { Data($0) } }

  @Test(arguments: [UInt8(1), 2, 3])
  func npyVersionsAndOrders(version: UInt8) throws {
    let values: [Float] = [1, 2, 3, 4, 5, 6]
    let c = Self.write(Self.npy(version: version, dict: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data: Self.bytes(values)), "c\(version).npy")
    let t = try NPYReader.open(path: c)
    #expect(t.shape == [2, 3] && t.dtype == .float32 && !t.fortranOrder && t.name == "c\(version)")
    #expect(t.doubles() == [1, 2, 3, 4, 5, 6])
    // Fortran order: the same logical matrix stored column-major.
    let f = Self.write(Self.npy(version: version, dict: "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", data: Self.bytes([Float](arrayLiteral: 1, 4, 2, 5, 3, 6))), "f\(version).npy")
    let tf = try NPYReader.open(path: f)
    #expect(tf.fortranOrder)
    #expect(tf.doubles() == [1, 2, 3, 4, 5, 6])
  }

  @Test func npyDtypes() throws {
    let f8 = try NPYReader.open(path: Self.write(Self.npy(version: 1, dict: "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", data: Self.bytes([0.5, -2.25])), "f8.npy"))
    #expect(f8.dtype == .float64 && f8.doubles() == [0.5, -2.25])
    let halves: [UInt16] = [0x3C00, 0xC000, 0x7C00, 0x0001]  // 1, −2, +inf, smallest subnormal
    let f2 = try NPYReader.open(path: Self.write(Self.npy(version: 1, dict: "{'descr': '<f2', 'fortran_order': False, 'shape': (4,), }", data: Self.bytes(halves)), "f2.npy"))
    #expect(f2.dtype == .float16)
    #expect(f2.doubles() == [1, -2, .infinity, 0x1p-24])
    let bf: [UInt16] = [0x3F80, 0xC040]  // bf16 1.0, −3.0
    let v2 = try NPYReader.open(path: Self.write(Self.npy(version: 1, dict: "{'descr': '|V2', 'fortran_order': False, 'shape': (2,), }", data: Self.bytes(bf)), "v2.npy"))
    #expect(v2.dtype == .bfloat16 && v2.doubles() == [1, -3])
    let u2path = Self.write(Self.npy(version: 1, dict: "{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }", data: Self.bytes(bf)), "u2.npy")
    #expect(try NPYReader.open(path: u2path).dtype == .uint16)
    let asBF16 = try NPYReader.open(path: u2path, twoByteIntegersAreBFloat16: true)
    #expect(asBF16.dtype == .bfloat16 && asBF16.doubles() == [1, -3])
    let i8 = try NPYReader.open(path: Self.write(Self.npy(version: 1, dict: "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", data: Self.bytes([Int64](arrayLiteral: -100, 0, 151_935))), "i8.npy"))
    #expect(i8.doubles() == [-100, 0, 151_935])
    let b1 = try NPYReader.open(path: Self.write(Self.npy(version: 1, dict: "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", data: Data([1, 0, 1])), "b1.npy"))
    #expect(b1.dtype == .bool && b1.doubles() == [1, 0, 1])
    let scalar = try NPYReader.open(path: Self.write(Self.npy(version: 1, dict: "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", data: Self.bytes([Float(7)])), "scalar.npy"))
    #expect(scalar.shape == [] && scalar.doubles() == [7])
  }

  @Test(arguments: [
    ("truncated", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 20, "truncated"),
    ("lying", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 24, "describes 16 bytes"),
    ("bigendian", "{'descr': '>f4', 'fortran_order': False, 'shape': (6,), }", 24, "big-endian"),
    ("complex", "{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }", 24, "unsupported dtype '<c8'"),
    ("structured", "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,), }", 24, "structured dtypes"),
    ("garbage", "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (6,), }", 24, "malformed .npy header"),
    ("negative", "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 6), }", 24, "negative dimension"),
  ])
  func badNPYFilesAreRefused(name: String, dict: String, dataBytes: Int, fragment: String) {
    let p = Self.write(Self.npy(version: 1, dict: dict, data: Data(count: dataBytes)), "\(name).npy")
    #expect {
      _ = try NPYReader.open(path: p)
    } throws: { error in
      "\(error)".contains(fragment) && "\(error)".contains(p)
    }
  }

  @Test func notAnNPYFile() {
    let p = Self.write(Data("hello, world".utf8), "text.npy")
    #expect(throws: TensorFileError.self) { try TensorFiles.open(path: p) }
    #expect(throws: TensorFileError.self) { try TensorFiles.open(path: Self.dir) }
    #expect(throws: TensorFileError.self) { try TensorFiles.open(path: Self.dir + "/missing.npy") }
  }

  /// A `.safetensors` file from `(name, dtype, shape, bytes)` entries.
  static func safetensors(_ entries: [(String, String, [Int], Data)], headerOverride: String? = nil, trailingCut: Int = 0) -> Data {
    var offset = 0
    var parts: [String] = ["\"__metadata__\": {\"format\": \"pt\"}"]
    var body = Data()
    for (name, dtype, shape, data) in entries {
      parts.append("\"\(name)\": {\"dtype\": \"\(dtype)\", \"shape\": [\(shape.map(String.init).joined(separator: ", "))], \"data_offsets\": [\(offset), \(offset + data.count)]}")
      offset += data.count
      body.append(data)
    }
    let header = headerOverride ?? "{" + parts.joined(separator: ", ") + "}"
    var out = Data()
    withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { out.append(contentsOf: $0) }
    out.append(Data(header.utf8))
    out.append(body)
    return out.dropLast(trailingCut)
  }

  @Test func safetensorsSeveralTensorsAllDtypes() throws {
    let p = Self.write(Self.safetensors([
      ("logits", "F32", [2, 2], Self.bytes([Float](arrayLiteral: 1, 2, 3, 4))),
      ("half", "F16", [2], Self.bytes([UInt16](arrayLiteral: 0x3C00, 0x4000))),
      ("bf", "BF16", [2], Self.bytes([UInt16](arrayLiteral: 0x3F80, 0x4040))),
      ("dbl", "F64", [1], Self.bytes([0.125])),
      ("tokens", "I64", [2], Self.bytes([Int64](arrayLiteral: 7, 9))),
      ("small", "I32", [2], Self.bytes([Int32](arrayLiteral: -1, 5))),
    ]), "many.safetensors")
    let ts = try SafetensorsReader.open(path: p)
    #expect(ts.map(\.name) == ["logits", "half", "bf", "dbl", "tokens", "small"])
    #expect(ts[0].doubles() == [1, 2, 3, 4] && ts[0].shape == [2, 2])
    #expect(ts[1].doubles() == [1, 2])
    #expect(ts[2].doubles() == [1, 3])
    #expect(ts[3].doubles() == [0.125])
    #expect(ts[4].doubles() == [7, 9])
    #expect(ts[5].doubles() == [-1, 5])
  }

  @Test func badSafetensorsAreRefused() {
    let good = [("x", "F32", [4], Self.bytes([Float](repeating: 1, count: 4)))]
    let cases: [(Data, String)] = [
      (Self.safetensors(good, trailingCut: 4), "truncated"),
      (Self.safetensors([("x", "F32", [5], Self.bytes([Float](repeating: 1, count: 4)))]), "needs 20 bytes but data_offsets span 16"),
      (Self.safetensors([("x", "F8_E4M3", [4], Data(count: 4))]), "unsupported dtype F8_E4M3"),
      (Self.safetensors(good, headerOverride: "{not json"), "malformed JSON header"),
      (Data([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 1, 2]), "exceeds the format's limit"),
      (Data([1, 2, 3]), "too short"),
    ]
    for (k, (data, fragment)) in cases.enumerated() {
      let p = Self.write(data, "bad\(k).safetensors")
      #expect {
        _ = try SafetensorsReader.open(path: p)
      } throws: { error in
        "\(error)".contains(fragment)
      }
    }
  }

  @Test func npyWriterRoundTrip() throws {
    let p = Self.path("written.npy")
    try NPYWriter.write([1.5, -2, 3] as [Double], shape: [3], to: p)
    let t = try NPYReader.open(path: p)
    #expect(t.dtype == .float64 && t.doubles() == [1.5, -2, 3])
    let s = Self.path("structured.npy")
    try NPYWriter.write(columns: [.int64("row", [0, 1]), .float64("entropy", [0.25, 0.5])], to: s)
    let raw = try Data(contentsOf: URL(fileURLWithPath: s))
    #expect(raw.count % 16 == (raw.count - 32) % 16)  // header + 2 records of 16 bytes
    #expect(String(decoding: raw.prefix(128), as: UTF8.self).contains("('row', '<i8'), ('entropy', '<f8')"))
  }
}

/// Files written by numpy's `np.save` and by the `safetensors` Python package.
@Suite struct PythonWrittenFileTests {
  /// `python3` as found on `PATH` (through `/usr/bin/env`), the interpreter a user runs.
  static func run(_ script: String) -> (Int32, String) { ExternalTools.python(script) }

  static let hasNumpy = run("import numpy").0 == 0
  static let hasSafetensors = run("import numpy, safetensors").0 == 0

  /// A missing tool skips its test with a note; with `CI=true` it is a failure (.ci/run
  /// installs what the tests need).
  @Test func numpyAvailabilityIsReported() {
    if ExternalTools.inCI {
      #expect(Self.hasNumpy, "CI=true: python3 with numpy is missing")
      #expect(Self.hasSafetensors, "CI=true: the safetensors Python package is missing (pip install safetensors)")
    }
    if !Self.hasNumpy { print("note: python3 with numpy not found: the np.save interoperability test is skipped") }
    if !Self.hasSafetensors { print("note: the safetensors Python package is not installed (pip install safetensors): its interoperability test is skipped") }
  }

  @Test(.enabled(if: PythonWrittenFileTests.hasNumpy, "needs python3 with numpy"))
  func filesWrittenByNumpy() throws {
    let dir = TensorReaderTests.dir
    let (status, output) = Self.run("""
      import numpy as np
      z = (np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 5) / 3
      np.save('\(dir)/np_c.npy', z)
      np.save('\(dir)/np_f.npy', np.asfortranarray(z[0]))
      np.save('\(dir)/np_f2.npy', z.astype(np.float16))
      np.save('\(dir)/np_f8.npy', z.astype(np.float64))
      np.save('\(dir)/np_i.npy', np.array([[1, -100], [3, 4]], dtype=np.int64))
      np.save('\(dir)/np_b.npy', np.array([True, False, True]))
      """)
    #expect(status == 0, "\(output)")
    let expected = (0..<24).map { Double(Float(Double($0) - 5) / 3) }
    let c = try NPYReader.open(path: "\(dir)/np_c.npy")
    #expect(c.shape == [2, 3, 4] && c.dtype == .float32)
    #expect(c.doubles() == expected)
    let f = try NPYReader.open(path: "\(dir)/np_f.npy")
    #expect(f.fortranOrder && f.doubles() == Array(expected[0..<12]))
    let h = try NPYReader.open(path: "\(dir)/np_f2.npy")
    #expect(h.dtype == .float16)
    for (a, b) in zip(h.doubles(), expected) { #expect(abs(a - b) <= 1e-3 * max(1, abs(b))) }
    #expect(try NPYReader.open(path: "\(dir)/np_f8.npy").doubles() == expected)
    #expect(try NPYReader.open(path: "\(dir)/np_i.npy").doubles() == [1, -100, 3, 4])
    #expect(try NPYReader.open(path: "\(dir)/np_b.npy").doubles() == [1, 0, 1])
  }

  @Test(.enabled(if: PythonWrittenFileTests.hasSafetensors, "needs the safetensors Python package"))
  func filesWrittenBySafetensors() throws {
    let dir = TensorReaderTests.dir
    let (status, output) = Self.run("""
      import numpy as np
      from safetensors.numpy import save_file
      z = (np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 5) / 3
      save_file({'logits': z, 'half': z.astype(np.float16), 'double': z.astype(np.float64),
                 'tokens': np.array([[1, 2, 3], [0, 1, 2]], dtype=np.int64),
                 'small': np.array([7, -7], dtype=np.int32)}, '\(dir)/st.safetensors')
      """)
    #expect(status == 0, "\(output)")
    let ts = try SafetensorsReader.open(path: "\(dir)/st.safetensors")
    let byName = Dictionary(uniqueKeysWithValues: ts.map { ($0.name, $0) })
    let expected = (0..<24).map { Double(Float(Double($0) - 5) / 3) }
    #expect(byName["logits"]?.doubles() == expected)
    #expect(byName["double"]?.doubles() == expected)
    #expect(byName["tokens"]?.doubles() == [1, 2, 3, 0, 1, 2])
    #expect(byName["small"]?.doubles() == [7, -7])
    #expect(byName["half"]?.dtype == .float16)
  }
}
