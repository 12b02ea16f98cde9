/// Clip-Cov's and KL-Cov's selections inside one micro-batch, as verl's loss makes them: the
/// covariance `(log π − mean)(A − mean)` centred on the micro-batch's valid tokens, KL-Cov's
/// top `max(1, ⌊k·n⌋)` and Clip-Cov's draw of `max(1, ⌊r·n⌋)` candidates, `n` its valid tokens.
public struct MicroBatchSelection: Sendable, Equatable {
  /// The sequences (rows of `[B, L]`) of the micro-batch.
  public var sequences: Range<Int>
  /// Its valid tokens `n`.
  public var validTokens: Int
  /// Clip-Cov's candidates in it.
  public var clipCovEligible: Int
  /// The tokens Clip-Cov detaches (global row indices, in row order).
  public var clipCovSelected: [Int]
  /// The tokens KL-Cov penalises (global row indices, in row order).
  public var klCovSelected: [Int]
}
