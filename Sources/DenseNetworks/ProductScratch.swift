/// Scratch memory for the matrix products (packed panels of the right operand), sized once
/// by its owner: a product that fits never allocates; one that does not grows it (once).
public final class ProductScratch: @unchecked Sendable {
  @usableFromInline var base: UnsafeMutablePointer<Float>
  @usableFromInline var capacity: Int

  /// Scratch for products whose right operand has up to `k × n` values.
  public init(k: Int = 128, n: Int = 128) {
    capacity = max(1, ProductScratch.required(k: k, n: n))
    base = UnsafeMutableRawPointer.allocate(byteCount: capacity * 4, alignment: 64).bindMemory(to: Float.self, capacity: capacity)
  }

  deinit { base.deallocate() }

  /// Values needed for a right operand of `k × n`: `k` times `n` rounded up to the panel width.
  @inlinable
  public static func required(k: Int, n: Int) -> Int { k * ((n + panelWidth - 1) / panelWidth) * panelWidth }

  /// A buffer of at least `count` values (grows only when too small).
  @inlinable
  func buffer(_ count: Int) -> UnsafeMutablePointer<Float> {
    if count > capacity { grow(count) }
    return base
  }

  @usableFromInline
  func grow(_ count: Int) {
    base.deallocate()
    capacity = count
    base = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64).bindMemory(to: Float.self, capacity: count)
  }
}
