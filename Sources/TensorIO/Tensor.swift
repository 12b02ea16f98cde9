import VectorMath
/// One tensor stored in a mapped file: its name, element type, shape and where its bytes are.
public struct Tensor: Sendable {
  /// The tensor's name (the safetensors key, or the `.npy` file's stem).
  public let name: String
  /// Element type.
  public let dtype: DType
  /// Shape, outermost first.
  public let shape: [Int]
  /// Whether elements are stored column-major (numpy `fortran_order`).
  public let fortranOrder: Bool
  /// The file holding the bytes.
  public let file: MappedFile
  /// Byte offset of the first element in the file.
  public let byteOffset: Int

  /// Number of elements, `Π shape`.
  public var count: Int { shape.reduce(1, *) }
  /// Number of bytes, `count · dtype.byteSize`.
  public var byteCount: Int { count * dtype.byteSize }
  /// The tensor's bytes.
  public var bytes: UnsafeRawBufferPointer { file.bytes(byteOffset..<(byteOffset + byteCount)) }

  /// A tensor view; the caller has validated that the bytes lie within the file.
  public init(name: String, dtype: DType, shape: [Int], fortranOrder: Bool, file: MappedFile, byteOffset: Int) {
    self.name = name
    self.dtype = dtype
    self.shape = shape
    self.fortranOrder = fortranOrder
    self.file = file
    self.byteOffset = byteOffset
  }

  /// `"name [d0, d1] dtype"`.
  public var summary: String {
    "\(name) [\(shape.map(String.init).joined(separator: ", "))] \(dtype.rawValue)\(fortranOrder ? " (Fortran order)" : "")"
  }

  /// Element `index` (in storage order) converted to `Double`.
  @inlinable
  public func element(_ index: Int) -> Double {
    let p = bytes.baseAddress! + index * dtype.byteSize
    switch dtype {
    case .float64: return p.loadUnaligned(as: Double.self)
    case .float32: return Double(p.loadUnaligned(as: Float.self))
    case .float16: return Double(halfToFloat(p.loadUnaligned(as: UInt16.self)))
    case .bfloat16: return Double(Float(bitPattern: UInt32(p.loadUnaligned(as: UInt16.self)) << 16))
    case .int64: return Double(p.loadUnaligned(as: Int64.self))
    case .int32: return Double(p.loadUnaligned(as: Int32.self))
    case .int16: return Double(p.loadUnaligned(as: Int16.self))
    case .int8: return Double(p.load(as: Int8.self))
    case .uint8, .bool: return Double(p.load(as: UInt8.self))
    case .uint16: return Double(p.loadUnaligned(as: UInt16.self))
    }
  }

  /// All elements in logical (row-major) order as `Double`, for the small per-token tensors
  /// (tokens, advantages, masks); Fortran-ordered storage is transposed.
  ///
  /// - Complexity: O(n) for `n` elements; O(n·d) in Fortran order of `d` dimensions.
  public func doubles() -> [Double] {
    let n = count
    var out = [Double](repeating: 0, count: n)
    if !fortranOrder || shape.count < 2 {
      for i in 0..<n { out[i] = element(i) }
    } else {
      // Row-major index → column-major storage index.
      var strides = [Int](repeating: 1, count: shape.count)
      for d in 1..<shape.count { strides[d] = strides[d - 1] * shape[d - 1] }
      var idx = [Int](repeating: 0, count: shape.count)
      for i in 0..<n {
        var s = 0
        for d in 0..<shape.count { s += idx[d] * strides[d] }
        out[i] = element(s)
        var d = shape.count - 1
        while d >= 0 {
          idx[d] += 1
          if idx[d] < shape[d] { break }
          idx[d] = 0
          d -= 1
        }
      }
    }
    return out
  }
}

