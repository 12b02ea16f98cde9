import Foundation
import LogitKernels
import SoftmaxCore
import Testing

/// Parity with verl's entropy and log-prob functions (fixture `verl/entropy.json`).
@Suite struct VerlEntropyFixtureTests {
  struct Case {
    var name: String
    var temperature: Double
    var logits: [[[Double]]]
    var labels: [[Int]]?
    var entropy: [[Double]]
    var logProbs: [[Double]]?
    var sumPiSquared: [[Double]]?
  }

  static func number(_ any: Any) -> Double {
    if let d = any as? Double { return d }
    if let i = any as? Int { return Double(i) }
    switch any as? String {
    case "nan": return .nan
    case "inf": return .infinity
    case "-inf": return -.infinity
    default: return .nan
    }
  }

  static func cases() throws -> [Case] {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/verl/entropy", withExtension: "json"))
    let root = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    let raw = try #require(root["cases"] as? [[String: Any]])
    return try raw.map { c in
      let inputs = try #require(c["inputs"] as? [String: Any])
      let expected = try #require(c["expected"] as? [String: Any])
      let params = c["params"] as? [String: Any] ?? [:]
      var logits3 = inputs["logits"] as? [[[Any]]]
      if logits3 == nil, let two = inputs["logits"] as? [[Any]] { logits3 = [two] }
      let logits = try #require(logits3).map { $0.map { $0.map(number) } }
      func grid(_ key: String) -> [[Double]]? {
        if let g = expected[key] as? [[Any]] { return g.map { $0.map(number) } }
        if let g = expected[key] as? [Any] { return [g.map(number)] }
        return nil
      }
      return Case(
        name: c["name"] as? String ?? "?", temperature: number(params["temperature"] ?? 1.0), logits: logits,
        labels: (inputs["labels"] as? [[Int]]), entropy: try #require(grid("entropy")), logProbs: grid("log_probs"),
        sumPiSquared: grid("sum_pi_squared"))
    }
  }

  /// SoftmaxCore (Double) reproduces verl's float64 entropy, log-probs and Σπ² to 1e-12
  /// relative (absolute 1e-12 where verl's `lse − Σ p z` cancels to exactly 0 while the true
  /// entropy is ~1e-20: a row like [50, −50, 0, …]).
  @Test func softmaxCoreMatchesVerl() throws {
    for c in try Self.cases() where c.name != "entropy/neg_inf_logit_gives_nan" {
      for (b, rows) in c.logits.enumerated() {
        for (l, z) in rows.enumerated() {
          let p = SoftmaxDistribution(logits: z, temperature: c.temperature)
          let h = c.entropy[b][l]
          #expect(abs(p.entropy - h) <= 1e-12 * max(1, abs(h)), "\(c.name) [\(b)][\(l)]: \(p.entropy) vs \(h)")
          if let labels = c.labels, let lp = c.logProbs {
            // verl's log-probs use the logits as given (its caller divides by T first).
            let plain = SoftmaxDistribution(logits: z.map { $0 / c.temperature })
            #expect(abs(plain.logProbabilities[labels[b][l]] - lp[b][l]) <= 1e-12 * max(1, abs(lp[b][l])))
          }
          if let s2 = c.sumPiSquared {
            #expect(abs(p.collisionProbability - s2[b][l]) <= 1e-12 * max(1, s2[b][l]))
          }
        }
      }
    }
  }

  /// The fused f32 kernel on the same logits rounded to f32: within 1e-6 of verl, plus the
  /// effect of that rounding (|Δz| ≤ 6e-8 |z|, which moves an entropy by at most ~1e-7·max|z|).
  @Test func fusedKernelMatchesVerl() throws {
    for c in try Self.cases() where c.name != "entropy/neg_inf_logit_gives_nan" {
      for (b, rows) in c.logits.enumerated() {
        for (l, z) in rows.enumerated() {
          let f = z.map { Float($0) }
          let label = c.labels?[b][l] ?? 0
          let r = f.withUnsafeBufferPointer {
            FusedRowKernel.statistics(row: $0, chosen: label, inverseTemperature: Float(1 / c.temperature))
          }
          let scale = z.map { abs($0) }.max()! / c.temperature
          let h = c.entropy[b][l]
          #expect(abs(r.entropy - h) <= 1e-6 * max(abs(h), 1e-3) + 2e-7 * scale, "\(c.name) [\(b)][\(l)]: \(r.entropy) vs \(h)")
          if let lp = c.logProbs, c.temperature == 1 {
            #expect(abs(r.chosenLogProb - lp[b][l]) <= 1e-6 * max(1, abs(lp[b][l])) + 2e-7 * scale)
          }
        }
      }
    }
  }

  /// verl returns NaN for a row with a −inf logit; we treat −inf as a masked vocabulary entry
  /// (probability 0) and return the entropy of the remaining logits.
  @Test func negativeInfinityIsAMaskedEntryNotNaN() throws {
    let c = try #require(try Self.cases().first { $0.name == "entropy/neg_inf_logit_gives_nan" })
    #expect(c.entropy[0][0].isNaN)
    let z = c.logits[0][0]
    let finite = z.filter(\.isFinite)
    let expected = SoftmaxDistribution(logits: finite).entropy
    #expect(abs(SoftmaxDistribution(logits: z).entropy - expected) < 1e-15)
    let r = z.map(Float.init).withUnsafeBufferPointer { FusedRowKernel.statistics(row: $0, chosen: 0) }
    #expect(abs(r.entropy - expected) < 1e-6 * expected)
  }
}
