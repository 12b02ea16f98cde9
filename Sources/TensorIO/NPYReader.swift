import Foundation
import StrictJSON

/// Reader of numpy's `.npy` format (versions 1.0, 2.0 and 3.0; see numpy's
/// `numpy/lib/format.py`): magic `\x93NUMPY`, version bytes, a little-endian header length
/// (2 bytes in 1.0, 4 in 2.0/3.0), then a Python dict literal
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (T, V), }` and the raw data.
///
/// Supported `descr`: `<f8 <f4 <f2 <i8 <i4 <i2 |i1 |u1 <u2 |b1` (`=` for native order), and
/// bfloat16 stored as 2-byte void `|V2` (what `ml_dtypes` arrays save as) or, with
/// `twoByteIntegersAreBFloat16`, as `<u2`/`<i2`. Big-endian and structured dtypes are
/// refused with a message. The header follows numpy's `format.py` (`_read_array_header`):
/// at most 10,000 bytes; latin-1 (UTF-8 in 3.0); "a dict with exactly the keys `descr`,
/// `fortran_order` and `shape`", where "`shape` is a tuple of ints" and "`fortran_order` a
/// bool". The literal is parsed without recursion by ``NPYHeaderDict``. The header is checked against the file size before any data is
/// touched: a truncated file, or a header whose shape does not match the bytes present, is
/// an error.
public enum NPYReader {
  /// Opens `path` and returns its one tensor, named after the file's stem.
  ///
  /// - Complexity: O(H) for a header of `H` bytes (at most ``maxHeaderBytes``); the data is mapped,
  ///   not read.
  public static func open(path: String, twoByteIntegersAreBFloat16: Bool = false) throws(TensorFileError) -> Tensor {
    let file = try MappedFile(path: path)
    let header = try parseHeader(file: file)
    let dtype = try dtype(descr: header.descr, path: path, bf16: twoByteIntegersAreBFloat16)
    var count = 1
    for d in header.shape {
      guard d >= 0 else { throw TensorFileError(path, "negative dimension \(d) in shape") }
      let (c, overflow) = count.multipliedReportingOverflow(by: d)
      guard !overflow else { throw TensorFileError(path, "shape \(header.shape) overflows") }
      count = c
    }
    let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
    guard !overflow else { throw TensorFileError(path, "shape \(header.shape) overflows") }
    let available = file.size - header.dataOffset
    if available < bytes {
      throw TensorFileError(
        path, "truncated: the header's shape \(header.shape) of \(header.descr) needs \(bytes) bytes of data, the file holds \(available)")
    }
    if available > bytes {
      throw TensorFileError(
        path, "the header's shape \(header.shape) of \(header.descr) describes \(bytes) bytes of data but the file holds \(available) (corrupt header?)")
    }
    let stem = path.split(separator: "/").last.map(String.init) ?? path
    let name = stem.hasSuffix(".npy") ? String(stem.dropLast(4)) : stem
    return Tensor(
      name: name, dtype: dtype, shape: header.shape, fortranOrder: header.fortranOrder, file: file,
      byteOffset: header.dataOffset)
  }

  struct Header {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]
    var dataOffset: Int
  }

  /// The largest header numpy reads without `allow_pickle` (`format.py`'s `max_header_size`).
  public static let maxHeaderBytes = 10_000

  static func parseHeader(file: MappedFile) throws(TensorFileError) -> Header {
    let path = file.path
    guard file.size >= 10 else { throw TensorFileError(path, "too short to be a .npy file (\(file.size) bytes)") }
    let head = file.bytes(0..<10)
    let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
    guard Array(head[0..<6]) == magic else { throw TensorFileError(path, "not a .npy file (bad magic)") }
    let major = head[6]
    let headerLength: Int
    let lengthFieldEnd: Int
    switch major {
    case 1:
      headerLength = Int(head[8]) | Int(head[9]) << 8
      lengthFieldEnd = 10
    case 2, 3:
      guard file.size >= 12 else { throw TensorFileError(path, "truncated .npy header") }
      let b = file.bytes(8..<12)
      headerLength = Int(b[0]) | Int(b[1]) << 8 | Int(b[2]) << 16 | Int(b[3]) << 24
      lengthFieldEnd = 12
    default:
      throw TensorFileError(path, "unsupported .npy format version \(major).\(head[7])")
    }
    guard head[7] == 0 else { throw TensorFileError(path, "unsupported .npy format version \(major).\(head[7])") }
    guard headerLength <= maxHeaderBytes else {
      throw TensorFileError(path, "header length \(headerLength) exceeds numpy's limit of \(maxHeaderBytes) bytes")
    }
    guard lengthFieldEnd + headerLength <= file.size else {
      throw TensorFileError(path, "truncated: header of \(headerLength) bytes runs past the end of the file")
    }
    let raw = Array(file.bytes(lengthFieldEnd..<(lengthFieldEnd + headerLength)))
    // Versions 1.0 and 2.0 are latin-1, 3.0 is UTF-8 (format.py's `_header_encoding`).
    let text: String
    if major == 3 {
      guard let t = String(validating: raw, as: UTF8.self) else { throw TensorFileError(path, "the version 3.0 header is not valid UTF-8") }
      text = t
    } else {
      text = String(String.UnicodeScalarView(raw.map { Unicode.Scalar($0) }))
    }
    let dict: NPYHeaderDict
    do {
      dict = try NPYHeaderDict(parsing: text, allowLongSuffix: major < 3)
    } catch {
      throw TensorFileError(path, "malformed .npy header (\(error.message)): \(JSONNode.printable(text.trimmingCharacters(in: .whitespacesAndNewlines), limit: 100))")
    }
    return Header(descr: dict.descr, fortranOrder: dict.fortranOrder, shape: dict.shape, dataOffset: lengthFieldEnd + headerLength)
  }

  static func dtype(descr: String, path: String, bf16: Bool) throws(TensorFileError) -> DType {
    // numpy's byte orders: `<` little, `>` and `!` big, `=` native, `|` not applicable; a
    // descr without one is native. This reader runs on little-endian machines only.
    guard let first = descr.first else { throw TensorFileError(path, "empty dtype descr") }
    let hasOrder = "<>|=!".contains(first)
    let code = hasOrder ? String(descr.dropFirst()) : descr
    let bigEndian = first == ">" || first == "!"
    if bigEndian && !["i1", "u1", "b1", "V2"].contains(code) {
      throw TensorFileError(path, "big-endian dtype '\(JSONNode.printable(descr, limit: 20))' is not supported; save little-endian (astype('<f4'))")
    }
    switch code {
    case "f8": return .float64
    case "f4": return .float32
    case "f2": return .float16
    case "i8": return .int64
    case "i4": return .int32
    case "i2": return bf16 ? .bfloat16 : .int16
    case "u2": return bf16 ? .bfloat16 : .uint16
    case "i1": return .int8
    case "u1": return .uint8
    case "b1": return .bool
    case "V2": return .bfloat16
    default:
      throw TensorFileError(path, "unsupported dtype '\(JSONNode.printable(descr, limit: 20))' (supported: <f4 <f8 <f2, bf16 as |V2 or <u2 with --bf16, <i8 <i4 <i2 |i1 |u1 |b1)")
    }
  }
}

