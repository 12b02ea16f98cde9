import Dispatch
import Synchronization

/// Runs ``FusedRowKernel`` over every row of a ``RowSource`` on several threads.
///
/// Rows are processed in windows (about ``windowBytes`` of logits each) one after another;
/// inside a window, each of `threads` workers takes blocks of rows (about 1 MiB of logits
/// each) from its own contiguous share, then from the others' shares, so a worker slowed by
/// other load does not hold the others back. Each row's
/// result depends only on that row, so the output is bit-identical whatever the thread count.
/// Between windows the caller's `afterWindow` hook runs (progress, and releasing mapped pages
/// that were read).
public enum BatchKernel {
  /// Bytes of logits per window.
  public static let windowBytes = 256 << 20
  /// Bytes of logits per block of rows handed to a worker.
  public static let blockBytes = 1 << 20

  /// Per-row statistics of `source`.
  ///
  /// - Parameters:
  ///   - chosen: the chosen token per row (nil: no chosen-token fields); entries outside
  ///     `0..<vocabulary` give a flagged row.
  ///   - inverseTemperature: `β = 1/τ`.
  ///   - threads: worker threads (≥ 1).
  ///   - secondMoment: also compute `Σ p² log p` (about 5% slower).
  ///   - beforeWindow: called on the calling thread with the rows about to be processed
  ///     (e.g. to map their pages in one call).
  ///   - afterWindow: called on the calling thread with the rows just finished.
  /// - Complexity: O(R·V) for `R` rows of `V` logits, over `threads` workers; memory O(R) for the
  ///   results and O(V/2048) of scratch per worker.
  public static func run(
    _ source: RowSource, chosen: [Int]?, inverseTemperature: Float = 1, threads: Int,
    secondMoment: Bool = true, beforeWindow: (Range<Int>) -> Void = { _ in },
    afterWindow: (Range<Int>) -> Void = { _ in }
  ) -> [RowStatistics] {
    precondition(threads >= 1, "threads must be at least 1")
    precondition(chosen == nil || chosen!.count == source.rows, "one chosen token per row")
    var results = [RowStatistics](repeating: .flagged, count: source.rows)
    let rowBytes = max(1, source.vocabulary * source.element.size)
    let windowRows = max(1, windowBytes / rowBytes)
    let blockRows = max(1, blockBytes / rowBytes)
    results.withUnsafeMutableBufferPointer { out in
      let output = SendablePointer(out.baseAddress!)
      var start = 0
      while start < source.rows {
        let end = min(source.rows, start + windowRows)
        let windowStart = start
        let blocks = (end - start + blockRows - 1) / blockRows
        beforeWindow(windowStart..<end)
        let workers = min(threads, blocks)
        // The window's blocks in one contiguous share per worker, each with its own counter:
        // a worker reads its share from start to end (one long stream, ~3% faster than
        // interleaved blocks), then takes blocks left in the others' shares.
        let cursors = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: workers)
        for w in 0..<workers { (cursors + w).initialize(to: Atomic(blocks * w / workers)) }
        defer {
          cursors.deinitialize(count: workers)
          cursors.deallocate()
        }
        let shares = SendablePointer(cursors)
        let first = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
          let chunks = UnsafeMutableBufferPointer<FusedRowKernel.Chunk>.allocate(
            capacity: FusedRowKernel.chunkCount(source.vocabulary))
          defer { chunks.deallocate() }
          let me = first.wrappingAdd(1, ordering: .relaxed).oldValue
          var share = me
          while true {
            let shareEnd = blocks * (share + 1) / workers
            let block = shares.pointer[share].wrappingAdd(1, ordering: .relaxed).oldValue
            if block >= shareEnd {
              share = (share + 1) % workers
              if share == me { break }
              continue
            }
            let lo = windowStart + block * blockRows
            let hi = min(end, lo + blockRows)
            for row in lo..<hi {
              output.pointer[row] = secondMoment
                ? rowStatistics(source, row: row, chosen: chosen?[row], beta: inverseTemperature,
                                chunks: chunks, WithSecondMoment.self)
                : rowStatistics(source, row: row, chosen: chosen?[row], beta: inverseTemperature,
                                chunks: chunks, WithoutSecondMoment.self)
            }
          }
        }
        afterWindow(windowStart..<end)
        start = end
      }
    }
    return results
  }

  /// The statistics of one row.
  ///
  /// - Complexity: O(V).
  @inlinable
  public static func rowStatistics<M: MomentMode>(
    _ source: RowSource, row: Int, chosen: Int?, beta: Float,
    chunks: UnsafeMutableBufferPointer<FusedRowKernel.Chunk>, _ mode: M.Type
  ) -> RowStatistics {
    if let c = chosen, !(0..<source.vocabulary).contains(c) { return .flagged }
    let v = source.vocabulary
    guard v > 0 else { return .flagged }
    if source.columnStride == 1 {
      let first = row * source.rowStride
      switch source.element {
      case .float32:
        return FusedRowKernel.statistics(
          Float32RowLoader(source.base.assumingMemoryBound(to: Float.self) + first), count: v, chosen: chosen,
          beta: beta, chunks: chunks, mode)
      case .bfloat16:
        return FusedRowKernel.statistics(
          BFloat16RowLoader(source.base.assumingMemoryBound(to: UInt16.self) + first), count: v, chosen: chosen,
          beta: beta, chunks: chunks, mode)
      case .float16:
        return FusedRowKernel.statistics(
          Float16RowLoader(source.base.assumingMemoryBound(to: UInt16.self) + first), count: v, chosen: chosen,
          beta: beta, chunks: chunks, mode)
      case .float64:
        break
      }
    }
    return FusedRowKernel.statistics(
      StridedRowLoader(source, row: row), count: v, chosen: chosen, beta: beta, chunks: chunks, mode)
  }
}

/// A pointer handed to worker threads that write disjoint elements (or share atomics).
@usableFromInline
struct SendablePointer<T: ~Copyable>: @unchecked Sendable {
  @usableFromInline let pointer: UnsafeMutablePointer<T>
  @usableFromInline init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}
