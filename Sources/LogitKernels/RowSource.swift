/// Where the rows of a `[rows × vocabulary]` logit matrix are in memory, and in what type.
///
/// Element `(r, v)` is at byte `base + (r · rowStride + v · columnStride) · size`:
/// row-major data has `rowStride = vocabulary, columnStride = 1`; column-major (Fortran
/// order) data has `rowStride = 1, columnStride = rows` and is gathered chunk by chunk.
public struct RowSource: @unchecked Sendable {
  /// Element types the kernel reads.
  public enum Element: Sendable {
    /// IEEE single and half precision, bfloat16, and IEEE double precision.
    case float32, float16, bfloat16, float64
    /// Bytes per element.
    public var size: Int {
      switch self {
      case .float32: return 4
      case .float16, .bfloat16: return 2
      case .float64: return 8
      }
    }
  }

  /// The first element.
  public let base: UnsafeRawPointer
  /// Element type.
  public let element: Element
  /// Number of rows (token positions).
  public let rows: Int
  /// Row length (vocabulary size).
  public let vocabulary: Int
  /// Elements between consecutive rows.
  public let rowStride: Int
  /// Elements between consecutive entries of a row.
  public let columnStride: Int

  /// A row source; the caller guarantees that every addressed element lies in valid memory
  /// for the lifetime of the source.
  public init(base: UnsafeRawPointer, element: Element, rows: Int, vocabulary: Int, rowStride: Int? = nil, columnStride: Int = 1) {
    self.base = base
    self.element = element
    self.rows = rows
    self.vocabulary = vocabulary
    self.rowStride = rowStride ?? vocabulary
    self.columnStride = columnStride
  }

  /// Byte range of memory that rows `range` occupy (for row-major data), for paging hints.
  public func byteRange(rows range: Range<Int>) -> Range<Int> {
    guard columnStride == 1 else { return 0..<(rows * vocabulary * element.size) }
    return (range.lowerBound * rowStride * element.size)..<(range.upperBound * rowStride * element.size)
  }

}

