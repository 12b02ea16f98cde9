import Foundation
import ParallelMap
import Testing

/// The one parallel map: order, thread-count independence, errors.
@Suite struct ParallelMapTests {
  struct Failure: Error, Equatable { var index: Int }

  @Test func resultsInIndexOrderForAnyThreadCount() throws {
    for threads in [1, 2, 3, 8, 100] {
      let out = try parallelMap(count: 257, threads: threads) { i in i * i }
      #expect(out == (0..<257).map { $0 * $0 }, "threads \(threads)")
    }
    #expect(try parallelMap(count: 0, threads: 4) { $0 }.isEmpty)
  }

  /// Each index runs once, even with more workers than indices.
  @Test func eachIndexOnce() throws {
    let counter = Counter()
    _ = try parallelMap(count: 1000, threads: 4) { i in counter.add(i) }
    #expect(counter.seen == Set(0..<1000) && counter.calls == 1000)
  }

  /// The lowest failed index's error comes back; after a failure no new index starts.
  @Test func errorsStopTheMapAndTheLowestIsReported() {
    #expect(throws: Failure(index: 3)) {
      try parallelMap(count: 50, threads: 1) { i -> Int in
        if i == 3 || i == 7 { throw Failure(index: i) }
        return i
      }
    }
    let counter = Counter()
    #expect(throws: Failure(index: 0)) {
      try parallelMap(count: 10_000, threads: 2) { i -> Int in
        counter.add(i)
        if i == 0 { throw Failure(index: 0) }
        usleep(50)
        return i
      }
    }
    #expect(counter.calls < 10_000, "indices kept being taken after the failure: \(counter.calls)")
  }

  final class Counter: @unchecked Sendable {
    let lock = NSLock()
    var seen = Set<Int>(), calls = 0
    func add(_ i: Int) { lock.lock(); seen.insert(i); calls += 1; lock.unlock() }
  }
}
