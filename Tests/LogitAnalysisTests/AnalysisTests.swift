import Foundation
import LogitAnalysis
import LogitKernels
import OutputFormats
import PolicyLosses
import SeededRandom
import SoftmaxCore
import Testing
import TensorIO

/// The analyzer on synthetic batches written to real `.npy` files.
@Suite struct AnalysisTests {
  static let dir: String = {
    let d = NSTemporaryDirectory() + "analysis-tests-\(getpid())"
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
  }()

  struct Synthetic {
    var b = 3, l = 7, v = 3000
    var logits: [Float] = []
    var tokens: [Int] = []
    var advantages: [Double] = []
    var mask: [Int] = []
  }

  static func synthetic(seed: UInt64, b: Int = 3, l: Int = 7, v: Int = 3000) -> Synthetic {
    var rng = Xoshiro256StarStar(seed: seed)
    var s = Synthetic(b: b, l: l, v: v)
    s.logits = (0..<(b * l * v)).map { _ in Float(2.5 * rng.nextGaussian()) }
    s.tokens = (0..<(b * l)).map { _ in rng.nextInt(below: v) }
    let perSequence = (0..<b).map { _ in rng.nextGaussian() }
    s.advantages = (0..<(b * l)).map { perSequence[$0 / l] }
    s.mask = (0..<(b * l)).map { ($0 % l) < l - ($0 / l) ? 1 : 0 }
    return s
  }

  static func files(_ s: Synthetic, tag: String) throws -> [Tensor] {
    let logits = "\(dir)/logits-\(tag).npy"
    try NPYWriter.write(s.logits, shape: [s.b, s.l, s.v], to: logits)
    try NPYWriter.write(s.tokens, shape: [s.b, s.l], to: "\(dir)/tokens-\(tag).npy")
    try NPYWriter.write(s.advantages, shape: [s.b, s.l], to: "\(dir)/advantages-\(tag).npy")
    try NPYWriter.write(s.mask, shape: [s.b, s.l], to: "\(dir)/response_mask-\(tag).npy")
    return try ["logits", "tokens", "advantages", "response_mask"].map { try NPYReader.open(path: "\(dir)/\($0)-\(tag).npy") }
  }

  static func names(_ tag: String) -> TensorNames {
    var names = TensorNames()
    names.logits = ["logits-\(tag)"]
    names.tokens = ["tokens-\(tag)"]
    names.advantages = ["advantages-\(tag)"]
    names.mask = ["response_mask-\(tag)"]
    return names
  }

  @Test func perTokenResultsMatchDoubleSoftmaxAndCovarianceIsTheTokenFormula() throws {
    let s = Self.synthetic(seed: 1)
    let batch = try LogitBatch(tensors: try Self.files(s, tag: "a"), names: Self.names("a"))
    var options = AnalysisOptions()
    options.threads = 2
    let analysis = try BatchAnalysis(batch: batch, options: options)
    let n = s.b * s.l
    var logProbs: [Double] = []
    for i in 0..<n {
      let row = Array(s.logits[(i * s.v)..<((i + 1) * s.v)]).map(Double.init)
      let exact = SoftmaxDistribution(logits: row)
      let r = analysis.table.rows[i]
      #expect(abs(r.entropy - exact.entropy) <= 1e-6 * exact.entropy)
      #expect(abs(r.chosenLogProb - exact.logProbabilities[s.tokens[i]]) <= 1e-6 * abs(exact.logProbabilities[s.tokens[i]]))
      #expect(abs(r.normFactor - exact.updateNormFactor(action: s.tokens[i])) <= 1e-6)
      // The per-token entropy change of the sampled step equals SoftmaxCore's first-order formula.
      let dz = exact.sampledUpdate(action: s.tokens[i], advantage: s.advantages[i], learningRate: 1)
      if analysis.table.valid[i] {
        #expect(abs(analysis.table.entropyChangePerLR[i] - exact.entropyChangeFirstOrder(dz)) <= 1e-6 * max(1e-3, abs(exact.entropyChangeFirstOrder(dz))))
      }
      logProbs.append(exact.logProbabilities[s.tokens[i]])
    }
    // cov_i = (log π_i − mean log π)(A_i − mean A) over the valid tokens.
    let valid = (0..<n).filter { s.mask[$0] == 1 }
    let meanL = valid.map { logProbs[$0] }.reduce(0, +) / Double(valid.count)
    let meanA = valid.map { s.advantages[$0] }.reduce(0, +) / Double(valid.count)
    for i in 0..<n {
      if s.mask[i] == 1 {
        let expected = (logProbs[i] - meanL) * (s.advantages[i] - meanA)
        #expect(abs(analysis.table.covariance[i] - expected) <= 1e-5 * max(1, abs(expected)))
      } else {
        #expect(analysis.table.covariance[i].isNaN && !analysis.table.valid[i])
      }
    }
  }

  @Test func nanRowIsFlaggedCountedAndOthersUnaffected() throws {
    var s = Self.synthetic(seed: 2)
    let clean = try BatchAnalysis(batch: try LogitBatch(tensors: try Self.files(s, tag: "clean"), names: Self.names("clean")), options: AnalysisOptions())
    s.logits[5 * s.v + 17] = .nan
    s.logits[8 * s.v + 3] = .infinity
    let dirty = try BatchAnalysis(batch: try LogitBatch(tensors: try Self.files(s, tag: "dirty"), names: Self.names("dirty")), options: AnalysisOptions())
    #expect(dirty.flaggedRows == [5, 8])
    #expect(!dirty.table.valid[5] && !dirty.table.valid[8])
    for i in 0..<(s.b * s.l) where i != 5 && i != 8 {
      #expect(dirty.table.rows[i] == clean.table.rows[i])
    }
    let json = dirty.summaryJSON.rendered()
    #expect(json.contains("\"nonfinite_rows\": 2"))
    // Forking tokens: exactly ⌈0.2·N⌉ of the N valid tokens.
    let validCount = dirty.table.valid.filter { $0 }.count
    #expect(json.contains("\"count\": \(Int((0.2 * Double(validCount)).rounded(.up)))"))
    #expect(dirty.summaryText.contains("2 with NaN/inf logits"))
  }

  @Test func clipCovAndKLCovSelections() throws {
    var rng = Xoshiro256StarStar(seed: 3)
    let n = 5000
    let cov = (0..<n).map { _ in 3 * rng.nextGaussian() }
    let valid = (0..<n).map { $0 % 10 != 0 }
    let validCount = valid.filter { $0 }.count
    for (ratio, lb, ub) in [(2e-4, 1.0, 5.0), (0.01, 0.5, 2.0), (0.3, -1.0, 1.0)] {
      let eligible = CovarianceSelection.clipCovEligible(cov: cov, valid: valid, lowerBound: lb, upperBound: ub, ppoClipped: nil)
      let count = CovarianceSelection.clipCovCount(ratio: ratio, validCount: validCount, eligible: eligible.count)
      #expect(count == min(eligible.count, max(1, Int(ratio * Double(validCount)))))
      let chosen = CovarianceSelection.clipCovDraw(eligible: eligible, count: count, seed: 9)
      #expect(chosen.count == count && Set(chosen).count == count)
      for i in chosen { #expect(valid[i] && cov[i] > lb && cov[i] < ub) }
      // Same seed, same draw.
      #expect(chosen == CovarianceSelection.clipCovDraw(eligible: eligible, count: count, seed: 9))
    }
    // r·N < 1 still selects one token.
    #expect(CovarianceSelection.clipCovCount(ratio: 1e-6, validCount: 100, eligible: 5) == 1)
    #expect(CovarianceSelection.clipCovCount(ratio: 0.29, validCount: 100, eligible: 100) == 28)
    // KL-Cov: the top ⌊k·N⌋ by covariance.
    let top = CovarianceSelection.klCovSelection(cov: cov, valid: valid, ratio: 0.01)
    #expect(top.count == Int(0.01 * Double(validCount)))
    let threshold = top.map { cov[$0] }.min()!
    for i in 0..<n where valid[i] && !top.contains(i) { #expect(cov[i] <= threshold) }
  }

  @Test func ppoClippedTokensAreNotClipCovCandidates() {
    // A > 0 and ratio above 1 + ε: clipped; A < 0 and ratio below 1 − ε: clipped.
    #expect(CovarianceSelection.ppoClipped(logProb: log(1.5), oldLogProb: 0, advantage: 1, low: 0.2, high: 0.2))
    #expect(!CovarianceSelection.ppoClipped(logProb: log(1.1), oldLogProb: 0, advantage: 1, low: 0.2, high: 0.2))
    #expect(CovarianceSelection.ppoClipped(logProb: log(0.5), oldLogProb: 0, advantage: -1, low: 0.2, high: 0.2))
    #expect(!CovarianceSelection.ppoClipped(logProb: log(0.5), oldLogProb: 0, advantage: 1, low: 0.2, high: 0.2))
    let eligible = CovarianceSelection.clipCovEligible(
      cov: [2, 2, 2], valid: [true, true, true], lowerBound: 1, upperBound: 5, ppoClipped: [false, true, false])
    #expect(eligible == [0, 2])
  }

  @Test func badInputsGiveClearErrors() throws {
    let s = Self.synthetic(seed: 4)
    var tensors = try Self.files(s, tag: "bad")
    // Mask with no valid token.
    try NPYWriter.write([Int](repeating: 0, count: s.b * s.l), shape: [s.b, s.l], to: "\(Self.dir)/response_mask-bad.npy")
    tensors[3] = try NPYReader.open(path: "\(Self.dir)/response_mask-bad.npy")
    #expect { try LogitBatch(tensors: tensors, names: Self.names("bad")) } throws: { "\($0)".contains("selects no token") }
    // Tokens of the wrong shape.
    try NPYWriter.write(Array(s.tokens.prefix(5)), shape: [5], to: "\(Self.dir)/tokens-bad.npy")
    tensors = try Self.files(s, tag: "bad2")
    tensors[1] = try NPYReader.open(path: "\(Self.dir)/tokens-bad.npy")
    var names = Self.names("bad2")
    names.tokens = ["tokens-bad"]
    #expect { try LogitBatch(tensors: tensors, names: names) } throws: { "\($0)".contains("has shape [5] but the logits [3, 7, 3000] need [3, 7] or [21]") }
    // A token outside the vocabulary at a valid position.
    var t = s.tokens
    t[0] = 3000
    try NPYWriter.write(t, shape: [s.b, s.l], to: "\(Self.dir)/tokens-oov.npy")
    tensors[1] = try NPYReader.open(path: "\(Self.dir)/tokens-oov.npy")
    names.tokens = ["tokens-oov"]
    #expect { try LogitBatch(tensors: tensors, names: names) } throws: { "\($0)".contains("token at (0, 0) is 3000, outside the vocabulary 0..<3000") }
    // Integer logits.
    #expect { try LogitBatch(tensors: [tensors[1]], names: { var n = TensorNames(); n.logits = ["tokens-oov"]; return n }()) } throws: {
      "\($0)".contains("expected float32")
    }
    // Every valid row non-finite.
    var nanLogits = s
    nanLogits.logits = [Float](repeating: .nan, count: s.logits.count)
    let nanBatch = try LogitBatch(tensors: try Self.files(nanLogits, tag: "nan"), names: Self.names("nan"))
    #expect { try BatchAnalysis(batch: nanBatch, options: AnalysisOptions()) } throws: { "\($0)".contains("no valid token has finite logits") }
  }

  @Test(arguments: [TokenTableFormat.csv, .jsonl, .npy])
  func tokenTablesAreWrittenCompletely(format: TokenTableFormat) throws {
    let s = Self.synthetic(seed: 5)
    let analysis = try BatchAnalysis(batch: try LogitBatch(tensors: try Self.files(s, tag: "w"), names: Self.names("w")), options: AnalysisOptions())
    let path = "\(Self.dir)/tokens-out.\(format.rawValue)"
    try analysis.writeTokens(to: path, format: format)
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    switch format {
    case .csv:
      let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
      #expect(lines.count == s.b * s.l + 1)
      #expect(lines[0].hasPrefix("row,batch,position,valid,nonfinite,token,log_sum_exp,entropy"))
    case .jsonl:
      let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
      #expect(lines.count == s.b * s.l)
      let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
      #expect((first?["entropy"] as? Double).map { abs($0 - analysis.table.rows[0].entropy) < 1e-12 } == true)
    case .npy:
      #expect(String(decoding: data.prefix(300), as: UTF8.self).contains("('entropy', '<f8')"))
      #expect(data.count > s.b * s.l * 8 * analysis.columnNames.count)
    }
    // No temporary file of this write is left behind (the other formats run in parallel in the
    // same folder, so only this format's name is checked).
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: Self.dir).filter { $0.hasPrefix(".tokens-out.\(format.rawValue).tmp") }
    #expect(leftovers.isEmpty)
  }
}

/// Selections per micro-batch (`AnalysisOptions.microBatches`), as verl's loss makes them.
@Suite struct MicroBatchSelectionTests {
  /// 64 sequences × 128 tokens = 8192 valid tokens, KL-Cov ratio 2e-4: one token globally
  /// (⌊1.64⌋), one per micro-batch of 1024 (max(1, ⌊0.20⌋)), so eight over eight micro-batches;
  /// each micro-batch's choice is the one the verl-exact loss makes on that micro-batch alone.
  @Test func klCovSelectsPerMicroBatch() throws {
    var s = AnalysisTests.synthetic(seed: 5, b: 64, l: 128, v: 16)
    s.mask = [Int](repeating: 1, count: 64 * 128)
    let batch = try LogitBatch(tensors: try AnalysisTests.files(s, tag: "micro"), names: AnalysisTests.names("micro"))
    var options = AnalysisOptions()
    options.klCovRatio = 2e-4
    options.clipCovRatio = 2e-4
    options.clipCovLowerBound = -1e9
    options.clipCovUpperBound = 1e9
    let global = try BatchAnalysis(batch: batch, options: options)
    #expect(global.table.klCovSelected.filter { $0 }.count == 1 && global.microBatchSelections.isEmpty)
    options.microBatches = 8
    let micro = try BatchAnalysis(batch: batch, options: options)
    #expect(micro.microBatchSelections.count == 8)
    #expect(micro.microBatchSelections.allSatisfy { $0.validTokens == 1024 && $0.klCovSelected.count == 1 && $0.clipCovSelected.count == 1 })
    let logProbs = micro.table.rows.map(\.chosenLogProb)
    for (j, m) in micro.microBatchSelections.enumerated() {
      #expect(m.sequences == (8 * j)..<(8 * j + 8))
      let rows = (m.sequences.lowerBound * 128)..<(m.sequences.upperBound * 128)
      let chunk = try TokenBatch(rows: 8, columns: 128, logProb: Array(logProbs[rows]), oldLogProb: Array(logProbs[rows]),
                                 advantages: Array(s.advantages[rows]), mask: [Double](repeating: 1, count: 1024))
      let loss = try PolicyLoss(.klCov(ratio: 2e-4, coefficient: 1)).evaluate(chunk)
      #expect(loss.topPositions.map { $0 + rows.lowerBound } == m.klCovSelected, "micro-batch \(j)")
    }
    let json = try #require(try JSONSerialization.jsonObject(with: Data(micro.summaryJSON.rendered().utf8)) as? [String: Any])
    let fields = try #require(json["micro_batches"] as? [String: Any])
    #expect(fields["kl_cov_selected"] as? Int == 8 && fields["count"] as? Int == 8)
    #expect(micro.summaryText.contains("in 8 micro-batches") && micro.summaryText.contains("KL-Cov penalises 8"))
  }
}
