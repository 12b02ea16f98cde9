/// A read-only view of a row-major `Float` matrix: element `(i, j)` at `base[i · stride + j]`.
@frozen
public struct MatrixView: @unchecked Sendable {
  /// First element.
  public let base: UnsafePointer<Float>
  /// Rows, columns, and the distance in elements between the starts of two rows (≥ columns).
  public let rows: Int, columns: Int, stride: Int

  /// A view of `rows × columns` values starting at `base`, rows `stride` apart.
  @inlinable
  public init(_ base: UnsafePointer<Float>, rows: Int, columns: Int, stride: Int? = nil) {
    self.base = base
    self.rows = rows
    self.columns = columns
    self.stride = stride ?? columns
  }

  /// Element `(i, j)`.
  @inlinable
  public subscript(i: Int, j: Int) -> Float { base[i * stride + j] }
}

/// A writable view of a row-major `Float` matrix (see ``MatrixView``).
@frozen
public struct MutableMatrixView: @unchecked Sendable {
  /// First element.
  public let base: UnsafeMutablePointer<Float>
  /// Rows, columns, and the distance in elements between the starts of two rows (≥ columns).
  public let rows: Int, columns: Int, stride: Int

  /// A view of `rows × columns` values starting at `base`, rows `stride` apart.
  @inlinable
  public init(_ base: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int? = nil) {
    self.base = base
    self.rows = rows
    self.columns = columns
    self.stride = stride ?? columns
  }

  /// The same memory, read-only.
  @inlinable
  public var view: MatrixView { MatrixView(base, rows: rows, columns: columns, stride: stride) }

  /// Element `(i, j)`.
  @inlinable
  public subscript(i: Int, j: Int) -> Float {
    get { base[i * stride + j] }
    nonmutating set { base[i * stride + j] = newValue }
  }
}

/// A contiguous row-major `Float` matrix that owns its memory (64-byte aligned), with room for
/// up to ``capacity`` rows: a batch whose row count changes from step to step reuses it
/// without allocating (``setRows(_:)``).
///
/// A workspace type: one owner at a time (it is a class so that views of it stay valid).
public final class Matrix: @unchecked Sendable {
  /// Rows in use, columns, and the largest row count.
  public private(set) var rows: Int
  /// Columns (also the row stride).
  public let columns: Int
  /// The most rows this matrix holds.
  public let capacity: Int
  /// First element.
  public let base: UnsafeMutablePointer<Float>

  /// A zero matrix of `rows × columns` (capacity `capacity ?? rows` rows).
  public init(rows: Int, columns: Int, capacity: Int? = nil) {
    precondition(rows >= 0 && columns >= 0, "matrix sizes must be ≥ 0")
    let cap = max(capacity ?? rows, rows)
    let (count, overflow) = cap.multipliedReportingOverflow(by: columns)
    precondition(!overflow, "matrix of \(cap) × \(columns) values is too large")
    self.rows = rows
    self.columns = columns
    self.capacity = cap
    let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 4, alignment: 64)
    base = raw.bindMemory(to: Float.self, capacity: max(1, count))
    base.initialize(repeating: 0, count: max(1, count))
  }

  deinit { base.deallocate() }

  /// Uses `n ≤ capacity` rows from now on (contents of rows in use are kept).
  @inlinable
  public func setRows(_ n: Int) {
    precondition(n >= 0 && n <= capacity, "a matrix of capacity \(capacity) rows cannot hold \(n)")
    _setRows(n)
  }

  @usableFromInline
  func _setRows(_ n: Int) { rows = n }

  /// Row `i`.
  @inlinable
  public func row(_ i: Int) -> UnsafeMutablePointer<Float> { base + i * columns }

  /// Element `(i, j)`.
  @inlinable
  public subscript(i: Int, j: Int) -> Float {
    get { base[i * columns + j] }
    set { base[i * columns + j] = newValue }
  }

  /// The rows in use, writable.
  @inlinable
  public var mutableView: MutableMatrixView { MutableMatrixView(base, rows: rows, columns: columns) }

  /// The rows in use, read-only.
  @inlinable
  public var view: MatrixView { MatrixView(base, rows: rows, columns: columns) }

  /// Sets every value in use to zero.
  public func zero() { base.update(repeating: 0, count: rows * columns) }

  /// The rows in use as an array (row-major), for tests and output.
  public func toArray() -> [Float] { Array(UnsafeBufferPointer(start: base, count: rows * columns)) }
}
