import Foundation

/// Reader of the `.safetensors` format (huggingface/safetensors): an 8-byte little-endian
/// header length `n`, `n` bytes of JSON
/// `{"NAME": {"dtype": "F32", "shape": [T, V], "data_offsets": [begin, end]}, "__metadata__": {…}}`,
/// then the data; offsets are relative to the end of the header.
///
/// Supported dtypes: F64, F32, F16, BF16, I64, I32, I16, I8, U8, U16, BOOL. Every entry is
/// checked against the file size and its shape before any data is touched.
public enum SafetensorsReader {
  /// The largest header accepted (the format's own limit is 100 MB).
  public static let maxHeaderBytes = 100_000_000

  /// Opens `path` and returns its tensors in order of their data offsets.
  public static func open(path: String) throws(TensorFileError) -> [Tensor] {
    let file = try MappedFile(path: path)
    guard file.size >= 8 else { throw TensorFileError(path, "too short to be a .safetensors file (\(file.size) bytes)") }
    let lengthBytes = file.bytes(0..<8)
    var n = 0
    for k in 0..<8 { n |= Int(lengthBytes[k]) << (8 * k) }
    guard n >= 2, n <= maxHeaderBytes else { throw TensorFileError(path, "implausible header length \(n): not a .safetensors file?") }
    guard 8 + n <= file.size else {
      throw TensorFileError(path, "truncated: header of \(n) bytes runs past the end of the file (\(file.size) bytes)")
    }
    let headerData = Data(file.bytes(8..<(8 + n)))
    let json: Any
    do {
      json = try JSONSerialization.jsonObject(with: headerData)
    } catch {
      throw TensorFileError(path, "malformed JSON header")
    }
    guard let entries = json as? [String: Any] else { throw TensorFileError(path, "the header is not a JSON object") }
    let dataStart = 8 + n
    let dataSize = file.size - dataStart
    var tensors: [(Int, Tensor)] = []
    for (name, value) in entries where name != "__metadata__" {
      guard let entry = value as? [String: Any],
        let dtypeName = entry["dtype"] as? String,
        let shapeAny = entry["shape"] as? [Any],
        let offsetsAny = entry["data_offsets"] as? [Any], offsetsAny.count == 2
      else { throw TensorFileError(path, "tensor '\(name)': entry lacks dtype, shape or data_offsets") }
      guard let dtype = dtype(dtypeName) else {
        throw TensorFileError(path, "tensor '\(name)': unsupported dtype \(dtypeName) (supported: F64 F32 F16 BF16 I64 I32 I16 I8 U8 U16 BOOL)")
      }
      var shape: [Int] = []
      for d in shapeAny {
        guard let v = (d as? NSNumber)?.intValue, v >= 0 else { throw TensorFileError(path, "tensor '\(name)': bad shape") }
        shape.append(v)
      }
      guard let begin = (offsetsAny[0] as? NSNumber)?.intValue, let end = (offsetsAny[1] as? NSNumber)?.intValue,
        begin >= 0, end >= begin
      else { throw TensorFileError(path, "tensor '\(name)': bad data_offsets") }
      var count = 1
      for d in shape {
        let (c, o) = count.multipliedReportingOverflow(by: d)
        guard !o else { throw TensorFileError(path, "tensor '\(name)': shape \(shape) overflows") }
        count = c
      }
      let (bytes, o) = count.multipliedReportingOverflow(by: dtype.byteSize)
      guard !o else { throw TensorFileError(path, "tensor '\(name)': shape \(shape) overflows") }
      guard end - begin == bytes else {
        throw TensorFileError(path, "tensor '\(name)': shape \(shape) of \(dtypeName) needs \(bytes) bytes but data_offsets span \(end - begin)")
      }
      guard end <= dataSize else {
        throw TensorFileError(path, "truncated: tensor '\(name)' ends at byte \(end) of the data but the file holds \(dataSize)")
      }
      tensors.append((begin, Tensor(name: name, dtype: dtype, shape: shape, fortranOrder: false, file: file, byteOffset: dataStart + begin)))
    }
    return tensors.sorted { $0.0 < $1.0 }.map(\.1)
  }

  static func dtype(_ name: String) -> DType? {
    switch name {
    case "F64": return .float64
    case "F32": return .float32
    case "F16": return .float16
    case "BF16": return .bfloat16
    case "I64": return .int64
    case "I32": return .int32
    case "I16": return .int16
    case "I8": return .int8
    case "U8": return .uint8
    case "U16": return .uint16
    case "BOOL": return .bool
    default: return nil
    }
  }
}

/// Opens a tensor file by its content: `.npy` (magic `\x93NUMPY`) or `.safetensors`.
public enum TensorFiles {
  /// The tensors of `path`.
  public static func open(path: String, twoByteIntegersAreBFloat16: Bool = false) throws(TensorFileError) -> [Tensor] {
    let probe = try MappedFile(path: path)
    if probe.size >= 6, Array(probe.bytes(0..<6)) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59] {
      return [try NPYReader.open(path: path, twoByteIntegersAreBFloat16: twoByteIntegersAreBFloat16)]
    }
    if path.hasSuffix(".npy") { throw TensorFileError(path, "not a .npy file (bad magic)") }
    return try SafetensorsReader.open(path: path)
  }
}
