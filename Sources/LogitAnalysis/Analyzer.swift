import LogitKernels
import OutputFormats
import PolicyLosses
import TensorIO

/// Options of an analysis.
public struct AnalysisOptions: Sendable {
  /// Softmax temperature `τ` (`p = softmax(z/τ)`).
  public var temperature: Double = 1
  /// Worker threads.
  public var threads: Int = 1
  /// Clip-Cov: fraction `r` of valid tokens to detach, and the covariance band `(lb, ub)`.
  public var clipCovRatio: Double = CovarianceSelection.verlClipCovRatio
  /// Clip-Cov's band: the lower bound `lb` of `lb < cov < ub`.
  public var clipCovLowerBound: Double = 1
  /// Clip-Cov's band: the upper bound `ub`.
  public var clipCovUpperBound: Double = 5
  /// KL-Cov: fraction `k` of valid tokens to penalise (verl's default; the paper's 7B runs use
  /// ``CovarianceSelection/paperKLCovRatio7B``).
  public var klCovRatio: Double = CovarianceSelection.verlKLCovRatio
  /// PPO's low-side clip range `ε_low`, used to exclude already-clipped tokens from Clip-Cov (needs old log-probs).
  public var clipRatioLow: Double = 0.2
  /// PPO's high-side clip range `ε_high` (with ``clipRatioLow``).
  public var clipRatioHigh: Double = 0.2
  /// Seed of Clip-Cov's random draw.
  public var seed: UInt64 = 0
  /// Fraction of highest-entropy tokens counted as "forking" tokens.
  public var forkingFraction: Double = 0.2
  /// Micro-batches `N ≥ 1`: with `N > 1` the Clip-Cov and KL-Cov selections are also made the
  /// way verl's loss makes them, inside each micro-batch of `⌈B/N⌉` sequences (covariance
  /// centred on the micro-batch, counts `max(1, ⌊r·n_j⌋)` of its `n_j` valid tokens, Clip-Cov's
  /// draw with seed `seed + j`).
  public var microBatches: Int = 1

  /// The defaults (verl's Clip-Cov/KL-Cov defaults, temperature 1).
  public init() {}
}

/// Per-token results of an analysis, one entry per row of the logit matrix.
public struct TokenTable: Sendable {
  /// Kernel results per row.
  public let rows: [RowStatistics]
  /// Whether each row counts: inside the mask and with finite logits.
  public let valid: [Bool]
  /// Token covariance `cov_i` (NaN where invalid or without advantages).
  public let covariance: [Double]
  /// First-order entropy change of the sampled logit step per unit `η`: `A · ΔH_unit`.
  public let entropyChangePerLR: [Double]
  /// Logit update norm per unit `η`: `|A| β √(1 − 2p_c + C)`.
  public let updateNormPerLR: [Double]
  /// Tokens Clip-Cov would detach.
  public let clipCovSelected: [Bool]
  /// Tokens KL-Cov would penalise.
  public let klCovSelected: [Bool]
}

/// The result of analysing one batch.
public struct BatchAnalysis: Sendable {
  /// The analysed batch.
  public let batch: LogitBatch
  /// The options of the analysis.
  public let options: AnalysisOptions
  /// The per-token results.
  public let table: TokenTable
  /// Rows flagged for NaN/+∞ logits (inside the mask).
  public let flaggedRows: [Int]
  /// Clip-Cov's candidates in the whole batch (`lb < cov < ub`, not already clipped by PPO).
  public let clipCovEligible: Int
  /// How many of them Clip-Cov draws: `min(M, max(1, ⌊r·N⌋))` (0 without candidates).
  public let clipCovCount: Int
  /// The selections made per micro-batch (`options.microBatches > 1`, with tokens and advantages).
  public let microBatchSelections: [MicroBatchSelection]

  /// Runs the fused kernel over `batch` and computes the batch statistics.
  ///
  /// - Parameter progress: called with (rows done, rows total) between windows.
  /// - Throws: ``BatchInputError`` when no valid token has finite logits.
  /// - Complexity: O(T·V) for `T` rows of `V` logits (the kernel, over `options.threads`), then
  ///   O(T log T) for KL-Cov's ranking; memory O(T) besides the mapped logits.
  public init(batch: LogitBatch, options: AnalysisOptions, progress: ((Int, Int) -> Void)? = nil) throws(BatchInputError) {
    self.batch = batch
    self.options = options
    let beta = 1 / options.temperature
    let chosen: [Int]? = batch.tokens.map { ids in ids.map { $0 >= 0 ? $0 : 0 } }
    let source = batch.rowSource
    let logits = batch.logits
    let rowBytes = batch.vocabulary * logits.dtype.byteSize
    let results = BatchKernel.run(
      source, chosen: chosen, inverseTemperature: Float(beta), threads: options.threads, secondMoment: true,
      beforeWindow: { rows in
        if !logits.fortranOrder {
          logits.file.prefetch(byteRange: (logits.byteOffset + rows.lowerBound * rowBytes)..<(logits.byteOffset + rows.upperBound * rowBytes))
        }
      }
    ) { done in
      if !logits.fortranOrder {
        // Pages already read are dropped from the resident set: memory stays bounded.
        logits.file.release(byteRange: (logits.byteOffset + done.lowerBound * rowBytes)..<(logits.byteOffset + done.upperBound * rowBytes))
      }
      progress?(done.upperBound, batch.rows)
    }
    var valid = batch.mask
    var flagged: [Int] = []
    for i in 0..<batch.rows where valid[i] && !results[i].isFinite {
      flagged.append(i)
      valid[i] = false
    }
    guard valid.contains(true) else {
      throw BatchInputError("no valid token has finite logits: all \(flagged.count) unmasked rows contain NaN or +inf")
    }
    flaggedRows = flagged

    var cov = [Double](repeating: .nan, count: batch.rows)
    var dH = [Double](repeating: .nan, count: batch.rows)
    var norm = [Double](repeating: .nan, count: batch.rows)
    var clip = [Bool](repeating: false, count: batch.rows)
    var kl = [Bool](repeating: false, count: batch.rows)
    var eligibleCount = 0, clipCount = 0
    var perMicroBatch: [MicroBatchSelection] = []
    if let adv = batch.advantages, batch.tokens != nil {
      let logProbs = results.map(\.chosenLogProb)
      cov = TokenCovariance.compute(logProbs: logProbs, advantages: adv, valid: valid)
      for i in 0..<batch.rows where valid[i] {
        dH[i] = adv[i] * results[i].entropyChangePerUnitStep(inverseTemperature: beta)
        norm[i] = abs(adv[i]) * beta * results[i].normFactor
      }
      var ppoClipped: [Bool]? = nil
      if let old = batch.oldLogProbs {
        ppoClipped = (0..<batch.rows).map { i in
          valid[i] && CovarianceSelection.ppoClipped(
            logProb: logProbs[i], oldLogProb: old[i], advantage: adv[i], low: options.clipRatioLow, high: options.clipRatioHigh)
        }
      }
      // Clip-Cov centres with verl's masked mean, KL-Cov (and the reported covariance) with the
      // exact one: the same calls the loss makes.
      let clipCov = CovarianceSelection.tokenCovariance(logProbs: logProbs, advantages: adv, valid: valid, centering: .maskedMean)
      let eligible = CovarianceSelection.clipCovEligible(
        cov: clipCov, valid: valid, lowerBound: options.clipCovLowerBound, upperBound: options.clipCovUpperBound,
        ppoClipped: ppoClipped)
      let validCount = valid.filter { $0 }.count
      eligibleCount = eligible.count
      clipCount = CovarianceSelection.clipCovCount(ratio: options.clipCovRatio, validCount: validCount, eligible: eligible.count)
      for i in CovarianceSelection.clipCovDraw(eligible: eligible, count: clipCount, seed: options.seed) { clip[i] = true }
      for i in CovarianceSelection.klCovSelection(cov: cov, valid: valid, ratio: options.klCovRatio) { kl[i] = true }
      if options.microBatches > 1 {
        // Each micro-batch on its own slice: covariance centred on it, counts from its valid tokens.
        let microBatches = CovarianceSelection.microBatchRows(sequences: batch.batch, length: batch.length, count: options.microBatches)
        for (j, rows) in microBatches.enumerated() {
          let offset = rows.lowerBound
          let chunkValid = Array(valid[rows])
          let chunkCov = TokenCovariance.compute(logProbs: Array(logProbs[rows]), advantages: Array(adv[rows]), valid: chunkValid)
          let chunkClipCov = CovarianceSelection.tokenCovariance(logProbs: Array(logProbs[rows]), advantages: Array(adv[rows]), valid: chunkValid, centering: .maskedMean)
          let validTokens = chunkValid.filter { $0 }.count
          let eligible = validTokens == 0 ? [] : CovarianceSelection.clipCovEligible(
            cov: chunkClipCov, valid: chunkValid, lowerBound: options.clipCovLowerBound, upperBound: options.clipCovUpperBound,
            ppoClipped: ppoClipped.map { Array($0[rows]) })
          let count = validTokens == 0 ? 0 : CovarianceSelection.clipCovCount(ratio: options.clipCovRatio, validCount: validTokens, eligible: eligible.count)
          perMicroBatch.append(MicroBatchSelection(
            sequences: (rows.lowerBound / batch.length)..<(rows.upperBound / batch.length), validTokens: validTokens, clipCovEligible: eligible.count,
            clipCovSelected: CovarianceSelection.clipCovDraw(eligible: eligible, count: count, seed: options.seed &+ UInt64(j)).map { $0 + offset },
            klCovSelected: validTokens == 0 ? [] : CovarianceSelection.klCovSelection(cov: chunkCov, valid: chunkValid, ratio: options.klCovRatio).map { $0 + offset }))
        }
      }
    }
    microBatchSelections = perMicroBatch
    clipCovEligible = eligibleCount
    clipCovCount = clipCount
    table = TokenTable(
      rows: results, valid: valid, covariance: cov, entropyChangePerLR: dH, updateNormPerLR: norm,
      clipCovSelected: clip, klCovSelected: kl)
  }

  /// Values of `f` over valid rows.
  func validValues(_ f: (Int) -> Double) -> [Double] {
    (0..<batch.rows).filter { table.valid[$0] }.map(f)
  }
}

extension BatchAnalysis {
  /// The analysed batch as a ``TokenBatch`` for a policy loss (`[B][L]`; one row per sequence):
  /// the kernel's chosen-token log-probs, entropies and `Σπ²` (at the analysis temperature; the
  /// kernel's accuracy, ~1e-6 relative), the old log-probs when given (otherwise the current
  /// ones: an on-policy replay), the advantages and the validity mask (mask and finite logits).
  ///
  /// - Throws: ``LossError`` when the batch has no sampled tokens or no advantages.
  public func tokenBatch() throws(LossError) -> TokenBatch {
    guard batch.tokens != nil else { throw LossError("a loss needs the sampled tokens (--tokens)") }
    guard let advantages = batch.advantages else { throw LossError("a loss needs the advantages (--advantages)") }
    let logProb = table.rows.map(\.chosenLogProb)
    var tokens = TokenBatch(rows: batch.batch, columns: batch.length, logProb: logProb,
                            oldLogProb: batch.oldLogProbs ?? logProb, advantages: advantages,
                            mask: table.valid.map { $0 ? 1 : 0 })
    tokens.entropy = table.rows.map(\.entropy)
    tokens.sumPiSquared = table.rows.map(\.collision)
    return tokens
  }
}
