/// Reader of numpy's `.npy` format (versions 1.0, 2.0 and 3.0; see numpy's
/// `numpy/lib/format.py`): magic `\x93NUMPY`, version bytes, a little-endian header length
/// (2 bytes in 1.0, 4 in 2.0/3.0), then a Python dict literal
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (T, V), }` and the raw data.
///
/// Supported `descr`: `<f8 <f4 <f2 <i8 <i4 <i2 |i1 |u1 <u2 |b1` (`=` for native order), and
/// bfloat16 stored as 2-byte void `|V2` (what `ml_dtypes` arrays save as) or, with
/// `twoByteIntegersAreBFloat16`, as `<u2`/`<i2`. Big-endian and structured dtypes are
/// refused with a message. The header is checked against the file size before any data is
/// touched: a truncated file, or a header whose shape does not match the bytes present, is
/// an error.
public enum NPYReader {
  /// Opens `path` and returns its one tensor, named after the file's stem.
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
    guard lengthFieldEnd + headerLength <= file.size else {
      throw TensorFileError(path, "truncated: header of \(headerLength) bytes runs past the end of the file")
    }
    let raw = file.bytes(lengthFieldEnd..<(lengthFieldEnd + headerLength))
    let text = major == 3 ? String(decoding: raw, as: UTF8.self) : String(raw.map { Character(Unicode.Scalar($0)) })
    var parser = PyLiteralParser(text: text)
    guard case .dict(let dict)? = try? parser.parse() else {
      throw TensorFileError(path, "malformed .npy header: \(text.prefix(120))")
    }
    guard case .string(let descr)? = dict["descr"] else {
      if case .list? = dict["descr"] { throw TensorFileError(path, "structured dtypes are not supported") }
      throw TensorFileError(path, "the .npy header has no 'descr'")
    }
    guard case .bool(let fortran)? = dict["fortran_order"] else {
      throw TensorFileError(path, "the .npy header has no 'fortran_order'")
    }
    guard case .tuple(let dims)? = dict["shape"] else { throw TensorFileError(path, "the .npy header has no 'shape'") }
    var shape: [Int] = []
    for d in dims {
      guard case .int(let v) = d else { throw TensorFileError(path, "non-integer dimension in 'shape'") }
      shape.append(v)
    }
    return Header(descr: descr, fortranOrder: fortran, shape: shape, dataOffset: lengthFieldEnd + headerLength)
  }

  static func dtype(descr: String, path: String, bf16: Bool) throws(TensorFileError) -> DType {
    guard let order = descr.first else { throw TensorFileError(path, "empty dtype descr") }
    let code = String(descr.dropFirst())
    if order == ">" && !["i1", "u1", "b1"].contains(code) {
      throw TensorFileError(path, "big-endian dtype '\(descr)' is not supported; save little-endian (astype('<f4'))")
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
      throw TensorFileError(path, "unsupported dtype '\(descr)' (supported: <f4 <f8 <f2, bf16 as |V2 or <u2 with --bf16, <i8 <i4 <i2 |i1 |u1 |b1)")
    }
  }
}

/// The Python literal subset that `.npy` headers use: dicts, tuples, lists, strings,
/// integers and booleans.
struct PyLiteralParser {
  indirect enum Value {
    case dict([String: Value])
    case tuple([Value])
    case list([Value])
    case string(String)
    case int(Int)
    case bool(Bool)
    case none
  }

  struct Failure: Error {}

  let chars: [Character]
  var i = 0

  init(text: String) { chars = Array(text) }

  mutating func parse() throws(Failure) -> Value {
    let v = try value()
    skipSpace()
    guard i == chars.count else { throw Failure() }
    return v
  }

  mutating func skipSpace() {
    while i < chars.count, chars[i].isWhitespace { i += 1 }
  }

  mutating func value() throws(Failure) -> Value {
    skipSpace()
    guard i < chars.count else { throw Failure() }
    switch chars[i] {
    case "{":
      i += 1
      var d: [String: Value] = [:]
      while true {
        skipSpace()
        guard i < chars.count else { throw Failure() }
        if chars[i] == "}" { i += 1; return .dict(d) }
        guard case .string(let key) = try value() else { throw Failure() }
        skipSpace()
        guard i < chars.count, chars[i] == ":" else { throw Failure() }
        i += 1
        d[key] = try value()
        skipSpace()
        if i < chars.count, chars[i] == "," { i += 1 }
      }
    case "(", "[":
      let close: Character = chars[i] == "(" ? ")" : "]"
      let isTuple = chars[i] == "("
      i += 1
      var items: [Value] = []
      while true {
        skipSpace()
        guard i < chars.count else { throw Failure() }
        if chars[i] == close { i += 1; return isTuple ? .tuple(items) : .list(items) }
        items.append(try value())
        skipSpace()
        if i < chars.count, chars[i] == "," { i += 1 }
      }
    case "'", "\"":
      let quote = chars[i]
      i += 1
      var s = ""
      while i < chars.count, chars[i] != quote {
        s.append(chars[i])
        i += 1
      }
      guard i < chars.count else { throw Failure() }
      i += 1
      return .string(s)
    default:
      var word = ""
      while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "-" || chars[i] == "_" {
        word.append(chars[i])
        i += 1
      }
      switch word {
      case "True": return .bool(true)
      case "False": return .bool(false)
      case "None": return .none
      default:
        // Python 2 headers may write long integers as `3L`.
        let digits = word.hasSuffix("L") ? String(word.dropLast()) : word
        guard let v = Int(digits) else { throw Failure() }
        return .int(v)
      }
    }
  }
}
