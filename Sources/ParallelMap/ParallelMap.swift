import Dispatch
import Foundation

/// `[body(0), body(1), …, body(count − 1)]`, computed on up to `threads` workers that take the
/// indices in order (each index once), the results in index order whatever the thread count.
///
/// Errors: once a call throws, no worker takes a new index (the calls already running finish);
/// the error of the lowest failed index is rethrown. So a result does not depend on the
/// number of threads, and neither does which error is reported among those of the indices
/// that ran.
///
/// `body` runs concurrently with itself: what it shares must be safe to share (each index
/// writing its own part of a buffer is; the results come back through the returned array).
/// The error type is `body`'s (none for a body that cannot throw).
public func parallelMap<T, E: Error>(count: Int, threads: Int, _ body: (Int) throws(E) -> T) throws(E) -> [T] {
  guard count > 0 else { return [] }
  let slots = ParallelSlots<T, E>(count)
  withoutActuallyEscaping(body) { body in
    nonisolated(unsafe) let body = body
    let workers = max(1, min(threads, count))
    if workers == 1 {
      while let i = slots.take() { slots.put(i, Result { () throws(E) -> T in try body(i) }) }
    } else {
      DispatchQueue.concurrentPerform(iterations: workers) { _ in
        while let i = slots.take() { slots.put(i, Result { () throws(E) -> T in try body(i) }) }
      }
    }
  }
  return try slots.results()
}

/// The indices handed out and the results put back, under one lock.
final class ParallelSlots<T, E: Error>: @unchecked Sendable {
  private let lock = NSLock()
  private var next = 0, failed = false
  private var values: [Result<T, E>?]

  init(_ count: Int) { values = Array(repeating: nil, count: count) }

  /// The next index to compute, or nil when all are taken or a call has failed.
  func take() -> Int? {
    lock.lock()
    defer { lock.unlock() }
    guard next < values.count, !failed else { return nil }
    next += 1
    return next - 1
  }

  /// The result of index `i`.
  func put(_ i: Int, _ result: Result<T, E>) {
    lock.lock()
    values[i] = result
    if case .failure = result { failed = true }
    lock.unlock()
  }

  /// The results in order, or the error of the lowest failed index.
  func results() throws(E) -> [T] {
    lock.lock()
    defer { lock.unlock() }
    for v in values { if case .failure(let error)? = v { throw error } }
    return values.map { v in
      guard case .success(let value)? = v else { preconditionFailure("parallelMap: an index was not computed") }
      return value
    }
  }
}
