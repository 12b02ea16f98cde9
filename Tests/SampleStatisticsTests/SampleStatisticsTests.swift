import SampleStatistics
import Testing

/// Against numpy: `np.mean`, `np.std(ddof=1)`, `np.quantile` (method "linear").
@Suite struct SampleStatisticsTests {
  @Test func againstNumpy() {
    let x: [Double] = [3, 1, 4, 1, 5, 9, 2, 6]
    #expect(SampleStatistics.mean(x) == 3.875)
    #expect(abs(SampleStatistics.standardDeviation(x) - 2.748376143) < 1e-9)
    let s = x.sorted()
    // np.quantile([3,1,4,1,5,9,2,6], [0, 0.1, 0.5, 0.9, 1]) = [1, 1, 3.5, 6.9, 9]
    for (q, want) in [(0.0, 1.0), (0.1, 1.0), (0.5, 3.5), (0.9, 6.9), (1.0, 9.0)] {
      #expect(abs(SampleStatistics.quantile(sorted: s, q) - want) < 1e-12, "q \(q)")
    }
    #expect(SampleStatistics.mean([]).isNaN && SampleStatistics.standardDeviation([1]).isNaN && SampleStatistics.quantile(sorted: [], 0.5).isNaN)
  }
}
