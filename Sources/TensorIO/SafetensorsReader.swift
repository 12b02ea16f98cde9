import StrictJSON

/// Reader of the `.safetensors` format (huggingface/safetensors): an 8-byte little-endian
/// header length `n`, `n` bytes of JSON
/// `{"NAME": {"dtype": "F32", "shape": [T, V], "data_offsets": [begin, end]}, "__metadata__": {…}}`,
/// then the data; offsets are relative to the end of the header.
///
/// The checks are the safetensors crate's (`read_metadata` and `Metadata::validate`):
/// - "header too large": `n` ≤ 100,000,000; `8 + n` within the file;
/// - the header is UTF-8 JSON that "starts with `{`" (trailing spaces are the writer's padding);
/// - shapes and offsets are unsigned 64-bit integers (`usize`): `-1`, `2^64`, `1.0` or `true`
///   are refused, never wrapped or truncated;
/// - sorted by offset, each tensor starts where the previous one ended (`s == start`,
///   `e ≥ s`): no gaps, no overlaps; `e − s` equals `Π shape · size of dtype`;
/// - the last tensor ends exactly at the end of the file (no trailing bytes);
/// - `__metadata__`, when present, maps strings to strings.
/// Duplicate names are refused (the strict JSON parser refuses duplicate keys).
///
/// Supported dtypes: F64, F32, F16, BF16, I64, I32, I16, I8, U8, U16, BOOL.
public enum SafetensorsReader {
  /// The largest header accepted (the format's own limit, `MAX_HEADER_SIZE`).
  public static let maxHeaderBytes = 100_000_000

  /// Opens `path` and returns its tensors in order of their data offsets.
  ///
  /// - Complexity: O(H + T log T) for a header of `H` bytes describing `T` tensors; the data is
  ///   mapped, not read.
  public static func open(path: String) throws(TensorFileError) -> [Tensor] {
    let file = try MappedFile(path: path)
    guard file.size >= 8 else { throw TensorFileError(path, "too short to be a .safetensors file (\(file.size) bytes)") }
    let lengthBytes = file.bytes(0..<8)
    var n: UInt64 = 0
    for k in 0..<8 { n |= UInt64(lengthBytes[k]) << (8 * UInt64(k)) }
    guard n <= UInt64(maxHeaderBytes) else {
      throw TensorFileError(path, "header length \(n) exceeds the format's limit of \(maxHeaderBytes) bytes: not a .safetensors file?")
    }
    let headerLength = Int(n)
    guard headerLength >= 2 else { throw TensorFileError(path, "header length \(n) is too small for a JSON object") }
    guard 8 + headerLength <= file.size else {
      throw TensorFileError(path, "truncated: header of \(n) bytes runs past the end of the file (\(file.size) bytes)")
    }
    let headerBytes = file.bytes(8..<(8 + headerLength))
    guard headerBytes[0] == UInt8(ascii: "{") else {
      throw TensorFileError(path, "the header does not start with '{': not a .safetensors file, or a wrong header length")
    }
    let root: JSONNode
    do { root = try StrictJSON.parse(headerBytes, maxDepth: 8) } catch {
      throw TensorFileError(path, "malformed JSON header at byte \(8 + error.offset): \(error.message)")
    }
    guard let members = root.members else { throw TensorFileError(path, "the header is not a JSON object") }
    let dataStart = 8 + headerLength
    let dataSize = UInt64(file.size - dataStart)
    var entries: [(name: String, dtype: DType, shape: [Int], begin: UInt64, end: UInt64)] = []
    for member in members {
      let name = member.key, shown = JSONNode.printable(member.key, limit: 60)
      if name == "__metadata__" {
        guard let meta = member.value.members else { throw TensorFileError(path, "__metadata__ must be an object of strings, found \(member.value.brief)") }
        for m in meta where m.value.string == nil {
          throw TensorFileError(path, "__metadata__.\(JSONNode.printable(m.key, limit: 40)) must be a string, found \(m.value.brief)")
        }
        continue
      }
      guard member.value.members != nil else { throw TensorFileError(path, "tensor '\(shown)': the entry is \(member.value.brief), not an object") }
      guard let dtypeNode = member.value["dtype"], let shapeNode = member.value["shape"], let offsetsNode = member.value["data_offsets"] else {
        throw TensorFileError(path, "tensor '\(shown)': entry lacks dtype, shape or data_offsets")
      }
      guard let dtypeName = dtypeNode.string else { throw TensorFileError(path, "tensor '\(shown)': dtype is \(dtypeNode.brief), not a string") }
      guard let dtype = dtype(dtypeName) else {
        throw TensorFileError(path, "tensor '\(shown)': unsupported dtype \(JSONNode.printable(dtypeName, limit: 20)) (supported: F64 F32 F16 BF16 I64 I32 I16 I8 U8 U16 BOOL)")
      }
      guard let dims = shapeNode.elements else { throw TensorFileError(path, "tensor '\(shown)': shape is \(shapeNode.brief), not an array") }
      var shape: [Int] = []
      var count: UInt64 = 1
      for (k, d) in dims.enumerated() {
        guard let v = d.number?.uint64 else {
          throw TensorFileError(path, "tensor '\(shown)': shape[\(k)] is \(d.brief), not an unsigned 64-bit integer")
        }
        let (c, o) = count.multipliedReportingOverflow(by: v)
        guard !o, v <= UInt64(Int.max) else { throw TensorFileError(path, "tensor '\(shown)': shape \(dims.map(\.brief)) overflows") }
        count = c
        shape.append(Int(v))
      }
      guard let offsets = offsetsNode.elements, offsets.count == 2 else {
        throw TensorFileError(path, "tensor '\(shown)': data_offsets is \(offsetsNode.brief), not [begin, end]")
      }
      guard let begin = offsets[0].number?.uint64, let end = offsets[1].number?.uint64 else {
        throw TensorFileError(path, "tensor '\(shown)': data_offsets [\(offsets[0].brief), \(offsets[1].brief)] are not unsigned 64-bit integers")
      }
      let (bytes, o) = count.multipliedReportingOverflow(by: UInt64(dtype.byteSize))
      guard !o, bytes <= UInt64(Int.max) else { throw TensorFileError(path, "tensor '\(shown)': shape \(shape) overflows") }
      guard end >= begin else { throw TensorFileError(path, "tensor '\(shown)': data_offsets [\(begin), \(end)] end before they begin") }
      guard end - begin == bytes else {
        throw TensorFileError(path, "tensor '\(shown)': shape \(shape) of \(dtypeName) needs \(bytes) bytes but data_offsets span \(end - begin)")
      }
      entries.append((name, dtype, shape, begin, end))
    }
    entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
    var position: UInt64 = 0
    for e in entries {
      let shown = JSONNode.printable(e.name, limit: 60)
      if e.begin > position {
        throw TensorFileError(path, "tensor '\(shown)': data_offsets begin at \(e.begin) but the previous tensor ends at \(position) (a gap)")
      }
      if e.begin < position {
        throw TensorFileError(path, "tensor '\(shown)': data_offsets begin at \(e.begin), inside the previous tensor (which ends at \(position))")
      }
      position = e.end
    }
    if position > dataSize {
      throw TensorFileError(path, "truncated: the tensors end at byte \(position) of the data but the file holds \(dataSize)")
    }
    if position < dataSize {
      throw TensorFileError(path, "\(dataSize - position) bytes after the last tensor (the data section holds \(dataSize), the tensors \(position))")
    }
    return entries.map {
      Tensor(name: $0.name, dtype: $0.dtype, shape: $0.shape, fortranOrder: false, file: file, byteOffset: dataStart + Int($0.begin))
    }
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
  ///
  /// - Complexity: that of the reader it picks; the data is mapped, not read.
  public static func open(path: String, twoByteIntegersAreBFloat16: Bool = false) throws(TensorFileError) -> [Tensor] {
    let probe = try MappedFile(path: path)
    if probe.size >= 6, Array(probe.bytes(0..<6)) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59] {
      return [try NPYReader.open(path: path, twoByteIntegersAreBFloat16: twoByteIntegersAreBFloat16)]
    }
    if path.hasSuffix(".npy") { throw TensorFileError(path, "not a .npy file (bad magic)") }
    return try SafetensorsReader.open(path: path)
  }
}
