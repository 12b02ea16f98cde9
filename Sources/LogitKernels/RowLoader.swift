import KernelIntrinsics
import VectorMath

/// Reads one row of logits as `Float`, 16 values at a time: the kernels are generic over it,
/// so conversion from bf16 or f16 happens in registers, with no intermediate buffer.
public protocol RowLoader {
  /// Values `i ..< i + 16`.
  func vector(at i: Int) -> SIMD16<Float>
  /// Value `i`.
  func scalar(at i: Int) -> Float
  /// The loader whose value 0 is this loader's value `offset`.
  func advanced(by offset: Int) -> Self
  /// Asks for the cache lines of values `i ..< i + 64` ahead of their use (a hint: never
  /// faults, may point past the end of the data).
  func prefetch64(at i: Int)
}

/// Prefetches the `lines` cache lines from `address` on.
@inlinable @inline(__always)
func prefetchLines(_ address: UnsafeRawPointer, _ lines: Int) {
  for k in 0..<lines { logitdyn_prefetch_read(address + 64 * k) }
}

/// Contiguous `Float` values.
@frozen
public struct Float32RowLoader: RowLoader {
  @usableFromInline let base: UnsafePointer<Float>
  /// A loader over `base[0...]`.
  @inlinable public init(_ base: UnsafePointer<Float>) { self.base = base }
  /// The loader over `base[offset...]`.
  @inlinable @inline(__always)
  public func advanced(by offset: Int) -> Self { Self(base + offset) }
  /// Values `i ..< i + 16`, one unaligned load.
  @inlinable @inline(__always)
  public func vector(at i: Int) -> SIMD16<Float> { UnsafeRawPointer(base + i).loadUnaligned(as: SIMD16<Float>.self) }
  /// Value `i`.
  @inlinable @inline(__always)
  public func scalar(at i: Int) -> Float { base[i] }
  /// Prefetches the 4 cache lines (256 bytes) of values `i ..< i + 64`.
  @inlinable @inline(__always)
  public func prefetch64(at i: Int) { prefetchLines(UnsafeRawPointer(base + i), 4) }
}

/// Contiguous bfloat16 values (the upper 16 bits of a `Float`): widened by a shift.
///
/// ``vector(at:)`` returns the 16 values even-indexed first, then odd-indexed (a shift and a
/// mask of 32-bit words, no shuffles): the kernels only sum and compare, so order is free.
@frozen
public struct BFloat16RowLoader: RowLoader {
  @usableFromInline let base: UnsafePointer<UInt16>
  /// A loader over `base[0...]`.
  @inlinable public init(_ base: UnsafePointer<UInt16>) { self.base = base }
  /// The loader over `base[offset...]`.
  @inlinable @inline(__always)
  public func advanced(by offset: Int) -> Self { Self(base + offset) }
  /// Values `i ..< i + 16` widened to `Float`, the even-indexed first, then the odd-indexed.
  @inlinable @inline(__always)
  public func vector(at i: Int) -> SIMD16<Float> {
    let words = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD8<UInt32>.self)
    let even = words &<< 16
    let odd = words & SIMD8<UInt32>(repeating: 0xFFFF_0000)
    return unsafeBitCast(SIMD16<UInt32>(lowHalf: even, highHalf: odd), to: SIMD16<Float>.self)
  }
  /// Value `i`: its 16 bits as the upper half of a `Float`.
  @inlinable @inline(__always)
  public func scalar(at i: Int) -> Float { Float(bitPattern: UInt32(base[i]) << 16) }
  /// Prefetches the 2 cache lines (128 bytes) of values `i ..< i + 64`.
  @inlinable @inline(__always)
  public func prefetch64(at i: Int) { prefetchLines(UnsafeRawPointer(base + i), 2) }
}

/// Contiguous IEEE half-precision values.
@frozen
public struct Float16RowLoader: RowLoader {
  @usableFromInline let base: UnsafePointer<UInt16>
  /// A loader over `base[0...]`.
  @inlinable public init(_ base: UnsafePointer<UInt16>) { self.base = base }
  /// The loader over `base[offset...]`.
  @inlinable @inline(__always)
  public func advanced(by offset: Int) -> Self { Self(base + offset) }
  /// Values `i ..< i + 16` converted to `Float`, in order (`vcvtph2ps` where F16C exists).
  @inlinable @inline(__always)
  public func vector(at i: Int) -> SIMD16<Float> {
    #if arch(x86_64)
    // `vcvtph2ps` where F16C exists (``logitdyn_load_half16``); Swift's conversion of a
    // `SIMD16<Float16>` was a library call per vector.
    return logitdyn_load_half16(UnsafeRawPointer(base + i))
    #elseif arch(arm64)
    let h = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD16<Float16>.self)
    return SIMD16<Float>(h)
    #else
    var v = SIMD16<Float>()
    for k in 0..<16 { v[k] = halfToFloat(base[i + k]) }
    return v
    #endif
  }
  /// Value `i` converted to `Float`.
  @inlinable @inline(__always)
  public func scalar(at i: Int) -> Float { halfToFloat(base[i]) }
  /// Prefetches the 2 cache lines (128 bytes) of values `i ..< i + 64`.
  @inlinable @inline(__always)
  public func prefetch64(at i: Int) { prefetchLines(UnsafeRawPointer(base + i), 2) }
}

/// Any element type and stride (column-major storage, f64): gathered value by value.
@frozen
public struct StridedRowLoader: RowLoader {
  @usableFromInline let source: RowSource
  @usableFromInline let row: Int
  @usableFromInline let start: Int
  /// A loader over row `row` of `source`, from column `start`.
  @inlinable public init(_ source: RowSource, row: Int, start: Int = 0) {
    self.source = source
    self.row = row
    self.start = start
  }
  /// The loader of the same row from column `start + offset`.
  @inlinable @inline(__always)
  public func advanced(by offset: Int) -> Self { Self(source, row: row, start: start + offset) }
  /// Nothing: strided rows are gathered value by value and are not the fast path.
  @inlinable @inline(__always)
  public func prefetch64(at i: Int) {}
  /// Values `i ..< i + 16`, gathered one by one.
  @inlinable @inline(__always)
  public func vector(at i: Int) -> SIMD16<Float> {
    var v = SIMD16<Float>()
    for k in 0..<16 { v[k] = scalar(at: i + k) }
    return v
  }
  /// Value `i`: element `row·rowStride + (start + i)·columnStride` of the source, as a `Float`.
  @inlinable @inline(__always)
  public func scalar(at i: Int) -> Float {
    let index = row * source.rowStride + (start + i) * source.columnStride
    switch source.element {
    case .float32: return source.base.assumingMemoryBound(to: Float.self)[index]
    case .float64: return Float(source.base.assumingMemoryBound(to: Double.self)[index])
    case .bfloat16: return Float(bitPattern: UInt32(source.base.assumingMemoryBound(to: UInt16.self)[index]) << 16)
    case .float16: return halfToFloat(source.base.assumingMemoryBound(to: UInt16.self)[index])
    }
  }
}
