import Foundation

/// Writes numpy `.npy` files (format 1.0; 2.0 when the header needs more than 65535 bytes):
/// a plain `<f8` array, or a structured array with one named `<f8`/`<i8` field per column,
/// which `np.load` returns as a record array (`a["entropy"]`).
public enum NPYWriter {
  /// A column of a structured array.
  public enum Column: Sendable {
    /// A `<f8` field: its name and values.
    case float64(String, [Double])
    /// An `<i8` field: its name and values.
    case int64(String, [Int])

    var name: String {
      switch self {
      case .float64(let n, _), .int64(let n, _): return n
      }
    }
    var count: Int {
      switch self {
      case .float64(_, let v): return v.count
      case .int64(_, let v): return v.count
      }
    }
    var descr: String {
      switch self {
      case .float64: return "<f8"
      case .int64: return "<i8"
      }
    }
  }

  /// The header bytes for `descr` and `shape`, padded to a multiple of 64 bytes.
  static func header(descr: String, shape: [Int]) -> Data {
    let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var dict = "{'descr': \(descr), 'fortran_order': False, 'shape': \(shapeText), }"
    let prefixV1 = 10
    var total = prefixV1 + dict.utf8.count + 1
    let padding = (64 - total % 64) % 64
    dict += String(repeating: " ", count: padding) + "\n"
    total = prefixV1 + dict.utf8.count
    var out = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59])
    if dict.utf8.count <= 65535 {
      out.append(contentsOf: [1, 0, UInt8(dict.utf8.count & 0xFF), UInt8(dict.utf8.count >> 8)])
    } else {
      // Version 2.0: 4-byte length; re-pad for the 2 extra bytes.
      var d = dict.trimmingCharacters(in: .whitespacesAndNewlines)
      let t = 12 + d.utf8.count + 1
      d += String(repeating: " ", count: (64 - t % 64) % 64) + "\n"
      let n = d.utf8.count
      out.append(contentsOf: [2, 0, UInt8(n & 0xFF), UInt8((n >> 8) & 0xFF), UInt8((n >> 16) & 0xFF), UInt8(n >> 24)])
      out.append(Data(d.utf8))
      return out
    }
    _ = total
    out.append(Data(dict.utf8))
    return out
  }

  /// Writes a structured array of `columns` (equal lengths) to `path`, atomically.
  public static func write(columns: [Column], to path: String) throws {
    let n = columns.first?.count ?? 0
    precondition(columns.allSatisfy { $0.count == n }, "columns of unequal length")
    let descr = "[" + columns.map { "('\($0.name)', '\($0.descr)')" }.joined(separator: ", ") + "]"
    var writer = try AtomicFileWriter(path: path)
    do {
      try writer.write(header(descr: descr, shape: [n]))
      var row = Data(capacity: 8 * columns.count * 4096)
      for i in 0..<n {
        for c in columns {
          switch c {
          case .float64(_, let v): withUnsafeBytes(of: v[i].bitPattern.littleEndian) { row.append(contentsOf: $0) }
          case .int64(_, let v): withUnsafeBytes(of: Int64(v[i]).littleEndian) { row.append(contentsOf: $0) }
          }
        }
        if row.count >= 1 << 20 {
          try writer.write(row)
          row.removeAll(keepingCapacity: true)
        }
      }
      try writer.write(row)
      try writer.commit()
    } catch {
      writer.abandon()
      throw error
    }
  }
}

extension NPYWriter {
  /// Element types of plain arrays.
  public enum Element: String, Sendable {
    /// The numpy `descr`s `<f4`, `<f8`, `<i8`, `<u2`, `|V2` (bfloat16 as 2-byte void, as `ml_dtypes`
    /// saves it) and `<f2`.
    case float32 = "'<f4'", float64 = "'<f8'", int64 = "'<i8'", uint16 = "'<u2'", bfloat16Void = "'|V2'", float16 = "'<f2'"
  }

  /// Writes a plain C-ordered array of raw little-endian `bytes` with `shape`, atomically.
  public static func write(bytes: Data, element: Element, shape: [Int], to path: String) throws {
    var data = header(descr: element.rawValue, shape: shape)
    data.append(bytes)
    try AtomicFileWriter.write(data, to: path)
  }

  /// Writes `[Float]` as `<f4`.
  public static func write(_ values: [Float], shape: [Int], to path: String) throws {
    try write(bytes: values.withUnsafeBytes { Data($0) }, element: .float32, shape: shape, to: path)
  }

  /// Writes `[Double]` as `<f8`.
  public static func write(_ values: [Double], shape: [Int], to path: String) throws {
    try write(bytes: values.withUnsafeBytes { Data($0) }, element: .float64, shape: shape, to: path)
  }

  /// Writes `[Int]` as `<i8`.
  public static func write(_ values: [Int], shape: [Int], to path: String) throws {
    try write(bytes: values.map { Int64($0) }.withUnsafeBytes { Data($0) }, element: .int64, shape: shape, to: path)
  }
}
