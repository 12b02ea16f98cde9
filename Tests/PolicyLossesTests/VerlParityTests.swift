import Foundation
import PolicyLosses
import Testing

/// Parity with verl 0.9.1 on every case of `Fixtures/verl` (a copy of `shared/fixtures/verl`):
/// losses and gradients to 1e-9 relative, clip fractions as `Float`, selections exactly.
@Suite struct VerlParityTests {
  struct Case {
    let name: String
    let params: [String: Any]
    let inputs: [String: Any]
    let expected: [String: Any]
  }

  static func cases(_ file: String) throws -> [Case] {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/verl/\(file)", withExtension: "json"))
    let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    let list = try #require(root["cases"] as? [[String: Any]])
    return list.map {
      Case(name: $0["name"] as? String ?? "?", params: $0["params"] as? [String: Any] ?? [:],
           inputs: $0["inputs"] as? [String: Any] ?? [:], expected: $0["expected"] as? [String: Any] ?? [:])
    }
  }

  /// A number, or one of the strings "nan", "inf", "-inf".
  static func number(_ x: Any) -> Double {
    if let d = x as? Double { return d }
    if let i = x as? Int { return Double(i) }
    if let n = x as? NSNumber { return n.doubleValue }
    switch x as? String {
    case "nan": return .nan
    case "inf": return .infinity
    case "-inf": return -.infinity
    default: return .nan
    }
  }

  /// Flattens nested arrays row-major; returns the values and the shape.
  static func flat(_ x: Any?) -> (values: [Double], shape: [Int]) {
    guard let x else { return ([], []) }
    if let array = x as? [Any] {
      var values: [Double] = [], inner: [Int] = []
      for element in array {
        let (v, s) = flat(element)
        values += v
        inner = s
      }
      return (values, [array.count] + inner)
    }
    return ([number(x)], [])
  }

  static func close(_ a: Double, _ b: Double, relative: Double = 1e-9, absolute: Double = 1e-12) -> Bool {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
    return abs(a - b) <= max(absolute, relative * max(abs(a), abs(b)))
  }

  static func expectClose(_ got: [Double], _ want: [Double], _ label: String) {
    #expect(got.count == want.count, "\(label): \(got.count) values, expected \(want.count)")
    var worst = 0.0, at = -1
    for i in 0..<min(got.count, want.count) where !close(got[i], want[i]) {
      let e = abs(got[i] - want[i])
      if e > worst || at < 0 { worst = e; at = i }
    }
    #expect(at < 0, "\(label): position \(at): \(at >= 0 ? got[at] : 0) vs \(at >= 0 ? want[at] : 0)")
  }

  static func batch(_ c: Case) -> TokenBatch {
    let (lp, shape) = flat(c.inputs["log_prob"])
    return TokenBatch(rows: shape[0], columns: shape[1], logProb: lp, oldLogProb: flat(c.inputs["old_log_prob"]).values,
                      advantages: flat(c.inputs["advantages"]).values, mask: flat(c.inputs["response_mask"]).values)
  }

  static func aggregation(_ params: [String: Any]) throws -> Aggregation {
    let mode = try #require(Aggregation.Mode(rawValue: params["loss_agg_mode"] as? String ?? "token-mean"))
    var a = Aggregation(mode)
    let info = (params["global_batch_info"] as? [String: Any] ?? [:]).merging(params) { a, _ in a }
    if let d = info["dp_size"] { a.dataParallelSize = Int(number(d)) }
    if let n = info["batch_num_tokens"] { a.batchNumTokens = number(n) }
    if let g = info["global_batch_size"] { a.globalBatchSize = number(g) }
    if let s = info["loss_scale_factor"] { a.lossScaleFactor = number(s) }
    return a
  }

  static func expectMetric(_ r: LossResult, _ c: Case, _ key: String, asFloat: Bool = false) {
    guard let want = c.expected[key].map(number) else { return }
    let got = r.metric(key) ?? .nan
    if asFloat {
      #expect(Float(got) == Float(want), "\(c.name) \(key): \(got) vs \(want)")
    } else {
      #expect(close(got, want), "\(c.name) \(key): \(got) vs \(want)")
    }
  }

  @Test func ppoVanilla() throws {
    let cases = try Self.cases("ppo_vanilla")
    #expect(cases.count == 40)
    for c in cases {
      let low = Self.number(c.params["clip_ratio_low"] ?? c.params["clip_ratio"]!)
      let high = Self.number(c.params["clip_ratio_high"] ?? c.params["clip_ratio"]!)
      let loss = PolicyLoss(.vanilla(clipLow: low, clipHigh: high, dualClip: Self.number(c.params["clip_ratio_c"] ?? 3.0), logRatioClamp: 20),
                            aggregation: try Self.aggregation(c.params))
      let r = try loss.evaluate(Self.batch(c))
      #expect(Self.close(r.loss, Self.number(c.expected["loss"]!)), "\(c.name): loss \(r.loss)")
      Self.expectClose(r.gradLogProb, Self.flat(c.expected["grad_log_prob"]).values, c.name)
      Self.expectMetric(r, c, "pg_clipfrac", asFloat: true)
      Self.expectMetric(r, c, "pg_clipfrac_lower", asFloat: true)
      Self.expectMetric(r, c, "ppo_kl")
    }
  }

  @Test func clipCovWithTheRecordedTorchDraws() throws {
    let cases = try Self.cases("clip_cov")
    #expect(cases.count == 17)
    for c in cases {
      let p = c.params
      let draw = ClipCovDraw.torch(UInt64(Self.number(p["torch_manual_seed"]!)))
      let loss = PolicyLoss(
        .clipCov(clipLow: Self.number(p["clip_ratio_low"]!), clipHigh: Self.number(p["clip_ratio_high"]!),
                 ratio: Self.number(p["clip_cov_ratio"]!), lowerBound: Self.number(p["clip_cov_lb"]!),
                 upperBound: Self.number(p["clip_cov_ub"]!), draw: draw),
        aggregation: try Self.aggregation(p))
      let b = Self.batch(c)
      let r = try loss.evaluate(b)
      #expect(Self.close(r.loss, Self.number(c.expected["loss"]!)), "\(c.name): loss \(r.loss)")
      Self.expectClose(r.gradLogProb, Self.flat(c.expected["grad_log_prob"]).values, c.name)
      #expect(r.selectedMask == Self.flat(c.expected["selected_mask"]).values, "\(c.name): selection")
      let eligible = (c.expected["eligible_idx_rowmajor"] as? [[Int]] ?? []).map { $0[0] * b.columns + $0[1] }
      #expect(r.eligible == eligible, "\(c.name): eligible")
      if let perm = c.expected["randperm"] as? [Int], !perm.isEmpty { #expect(r.permutation == perm, "\(c.name): randperm") }
      #expect(r.validCount == c.expected["n_valid"] as? Int)
      #expect(r.clipNumber == c.expected["clip_num"] as? Int, "\(c.name): clip_num")
      #expect(r.eligibleCount == c.expected["n_eligible"] as? Int)
      #expect(r.selectionForced == c.expected["selection_forced"] as? Bool, "\(c.name): forced")
      Self.expectMetric(r, c, "pg_clipfrac", asFloat: true)
      Self.expectMetric(r, c, "ppo_kl")
    }
  }

  /// What `logitdyn analyze` reports Clip-Cov and KL-Cov would select is computed by the calls
  /// the analyzer makes (`CovarianceSelection`: the token covariance with each loss's centring,
  /// PPO's clip predicate, the candidates, the count, the ranking); on every verl fixture they
  /// give verl's own eligible tokens, `clip_num` and KL-Cov's top-k order.
  @Test func analyzerSelectionsAreVerls() throws {
    for c in try Self.cases("clip_cov") {
      let p = c.params, b = Self.batch(c)
      let valid = b.mask.map { $0 > 0 }
      let clipped = (0..<b.count).map { i in
        valid[i] && CovarianceSelection.ppoClipped(logProb: b.logProb[i], oldLogProb: b.oldLogProb[i], advantage: b.advantages[i],
                                                   low: Self.number(p["clip_ratio_low"]!), high: Self.number(p["clip_ratio_high"]!))
      }
      let cov = CovarianceSelection.tokenCovariance(logProbs: b.logProb, advantages: b.advantages, valid: valid, centering: .maskedMean)
      let eligible = CovarianceSelection.clipCovEligible(cov: cov, valid: valid, lowerBound: Self.number(p["clip_cov_lb"]!),
                                                         upperBound: Self.number(p["clip_cov_ub"]!), ppoClipped: clipped)
      #expect(eligible == (c.expected["eligible_idx_rowmajor"] as? [[Int]] ?? []).map { $0[0] * b.columns + $0[1] }, "\(c.name): eligible")
      let count = CovarianceSelection.clipCovCount(ratio: Self.number(p["clip_cov_ratio"]!), validCount: b.validCount, eligible: eligible.count)
      #expect(count == min(c.expected["clip_num"] as? Int ?? -1, eligible.count), "\(c.name): count")
    }
    for c in try Self.cases("kl_cov") {
      let b = Self.batch(c), valid = b.mask.map { $0 > 0 }
      let cov = CovarianceSelection.tokenCovariance(logProbs: b.logProb, advantages: b.advantages, valid: valid, centering: .exactMean)
      #expect(CovarianceSelection.klCovRanking(cov: cov, valid: valid, ratio: Self.number(c.params["kl_cov_ratio"]!))
              == c.expected["topk_flat_positions_in_order"] as? [Int], "\(c.name): top-k")
    }
  }

  @Test func klCov() throws {
    let cases = try Self.cases("kl_cov")
    #expect(cases.count == 9)
    for c in cases {
      let loss = PolicyLoss(.klCov(ratio: Self.number(c.params["kl_cov_ratio"]!), coefficient: Self.number(c.params["ppo_kl_coef"]!)),
                            aggregation: try Self.aggregation(c.params))
      let r = try loss.evaluate(Self.batch(c))
      #expect(Self.close(r.loss, Self.number(c.expected["loss"]!)), "\(c.name): loss \(r.loss)")
      Self.expectClose(r.gradLogProb, Self.flat(c.expected["grad_log_prob"]).values, c.name)
      #expect(r.selectedMask == Self.flat(c.expected["selected_mask"]).values, "\(c.name): selection")
      #expect(r.topPositions == c.expected["topk_flat_positions_in_order"] as? [Int], "\(c.name): top-k order")
      #expect(r.topCount == c.expected["k"] as? Int)
      Self.expectMetric(r, c, "ppo_kl")
    }
  }

  @Test func grpoAdvantages() throws {
    for c in try Self.cases("grpo_advantage") {
      let (rewards, shape) = Self.flat(c.inputs["token_level_rewards"])
      let mask = Self.flat(c.inputs["response_mask"]).values
      let groups = try #require(c.inputs["index"] as? [String])
      let scores = OutcomeAdvantages.scores(tokenRewards: rewards, rows: shape[0], columns: shape[1])
      let stats: OutcomeAdvantages.Statistics = c.name.contains("vectorized") ? .vectorized : .loop
      let a = OutcomeAdvantages.grpo(scores: scores, groups: groups, epsilon: Self.number(c.params["epsilon"]!),
                                     normalizeByStd: c.params["norm_adv_by_std_in_grpo"] as? Bool ?? true, statistics: stats)
      let tokens = OutcomeAdvantages.broadcast(a, mask: mask, columns: shape[1])
      Self.expectClose(tokens, Self.flat(c.expected["advantages"]).values, c.name)
      Self.expectClose(tokens, Self.flat(c.expected["returns"]).values, c.name + " returns")
    }
  }

  @Test func aggregationModes() throws {
    let cases = try Self.cases("agg_loss")
    #expect(cases.count == 20)
    for c in cases {
      let (values, shape) = Self.flat(c.inputs["loss_mat"])
      let mask = Self.flat(c.inputs["loss_mask"]).values
      let got = try Self.aggregation(c.params).aggregate(values, mask: mask, rows: shape[0], columns: shape[1])
      #expect(Self.close(got, Self.number(c.expected["loss"]!)), "\(c.name): \(got) vs \(c.expected["loss"]!)")
    }
  }

  @Test func klEstimators() throws {
    for c in try Self.cases("kl_penalty") {
      let name = try #require(c.params["kl_penalty"] as? String)
      let estimator = try #require(KLEstimator(name: name))
      let l = Self.flat(c.inputs["log_prob"]).values, ref = Self.flat(c.inputs["ref_log_prob"]).values
      let got = l.indices.map { estimator.evaluate(logProb: l[$0], refLogProb: ref[$0]).value }
      Self.expectClose(got, Self.flat(c.expected["kl"]).values, c.name)
    }
  }

  /// Entropies, log-probs and Σπ² from logits, and the entropy loss in every mode. verl's
  /// formula gives NaN for a `−inf` logit; ours gives the entropy of the remaining tokens.
  @Test func entropyFromLogits() throws {
    for c in try Self.cases("entropy") {
      let (logits, shape) = Self.flat(c.inputs["logits"])
      let t = Self.number(c.params["temperature"] ?? 1.0)
      if c.name.contains("neg_inf") {
        let b = try TokenBatch(rows: 1, columns: 1, logits: logits, vocabulary: shape.last!, labels: [0], temperature: t,
                               oldLogProb: [0], advantages: [0], mask: [1])
        let p = [1.0, Foundation.exp(1.0), Foundation.exp(2.0)], s = p.reduce(0, +)
        let want = -p.map { $0 / s * Foundation.log($0 / s) }.reduce(0, +)
        #expect(abs(b.entropy![0] - want) < 1e-12, "documented −inf handling: \(b.entropy![0]) vs \(want)")
        #expect(Self.number(Self.flat(c.expected["entropy"]).values[0]).isNaN)
        continue
      }
      let rows = shape[0], columns = shape[1], v = shape[2]
      let labels = Self.flat(c.inputs["labels"]).values.map { Int($0) }
      let mask = Self.flat(c.inputs["response_mask"]).values
      let b = try TokenBatch(rows: rows, columns: columns, logits: logits, vocabulary: v, labels: labels, temperature: t,
                             oldLogProb: mask.map { _ in 0 }, advantages: mask.map { _ in 0 }, mask: mask)
      Self.expectClose(b.entropy!, Self.flat(c.expected["entropy"]).values, c.name + " entropy")
      Self.expectClose(b.logProb, Self.flat(c.expected["log_probs"]).values, c.name + " log_probs")
      Self.expectClose(b.sumPiSquared!, Self.flat(c.expected["sum_pi_squared"]).values, c.name + " sum_pi_squared")
      for mode in Aggregation.Mode.allCases {
        let want = Self.number(c.expected["entropy_loss/\(mode.rawValue)"]!)
        let got = Aggregation(mode).aggregate(b.entropy!, mask: mask, rows: rows, columns: columns)
        #expect(Self.close(got, want), "\(c.name) entropy_loss/\(mode.rawValue): \(got) vs \(want)")
      }
    }
  }

  /// The actor loss from logits: PPO (dual-clip 3, clip-higher) on `log_softmax(z/T)[label]`
  /// minus `coef · agg(H)`, and its gradient with respect to the logits.
  @Test func actorLossThroughTheLogits() throws {
    for c in try Self.cases("actor_loss_logits") {
      let (logits, shape) = Self.flat(c.inputs["logits"])
      let p = c.params
      let b = try TokenBatch(rows: shape[0], columns: shape[1], logits: logits, vocabulary: shape[2],
                             labels: Self.flat(c.inputs["labels"]).values.map { Int($0) }, temperature: Self.number(p["temperature"]!),
                             oldLogProb: Self.flat(c.inputs["old_log_prob"]).values, advantages: Self.flat(c.inputs["advantages"]).values,
                             mask: Self.flat(c.inputs["response_mask"]).values)
      var loss = PolicyLoss(.vanilla(clipLow: Self.number(p["clip_ratio_low"]!), clipHigh: Self.number(p["clip_ratio_high"]!),
                                     dualClip: Self.number(p["clip_ratio_c"]!), logRatioClamp: 20),
                            aggregation: try Self.aggregation(p))
      loss.entropyCoefficient = Self.number(p["entropy_coeff"]!)
      loss.entropyCoefficient = loss.entropyCoefficient == 0 ? 0 : loss.entropyCoefficient
      let r = try loss.evaluate(b)
      #expect(Self.close(r.loss, Self.number(c.expected["loss"]!)), "\(c.name): loss \(r.loss)")
      #expect(Self.close(r.policyLoss, Self.number(c.expected["pg_loss"]!)), "\(c.name): pg_loss")
      if let want = c.expected["entropy_agg"].map(Self.number), loss.entropyCoefficient != 0 {
        #expect(Self.close(r.metric("entropy_agg") ?? .nan, want), "\(c.name): entropy_agg")
      }
      Self.expectClose(r.gradLogits ?? [], Self.flat(c.expected["grad_logits"]).values, c.name + " grad_logits")
    }
  }
}
