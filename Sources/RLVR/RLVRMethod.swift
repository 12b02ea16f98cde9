import Foundation
import PolicyLosses
import SoftmaxCore

/// How an RLVR update's advantages are formed from the group rewards.
public enum RLVRAdvantages: Sendable, Equatable {
  /// GRPO: `(R − mean_g R)/(std_g R + ε)`, or Dr. GRPO's `R − mean_g R` without the std.
  case grpo(normalizeByStd: Bool)
  /// CANON's conditional advantages, split by each response's mean token entropy under the
  /// rollout policy (or its length, which is the same for every answer of this task).
  case canon(CANONAdvantage)
}

/// AEPO's temperature-switched extra rollout (arXiv 2510.08141), as the official code runs
/// it (`597358816/AEPO`, `ray_trainer.py` L783–812): each update, the first quarter of the
/// prompts is sampled again, `G` responses each, at `T_high` when the previous update's
/// `−mean log π(sampled token)` (the code's `actor/entropy_loss`, 0 before the first update)
/// is `≤` the target and at `T_low` above it; GRPO advantages within those groups; the
/// responses with an advantage `> 0.05` (the correct answers of mixed groups), in batch order,
/// replace the first `min(k, #selected)` rows of the main batch (half as many above the
/// target) with advantage 1; their old log-probabilities are recomputed at the run's
/// temperature (the ratio starts at 1).
///
/// Defaults: `T_high` 1.2, `T_low` 0.8, target (`entropy_base`) 0.5, `k`
/// (`reinforce_sample_num`) 60 of 2,560 rows in the official run — here 6 of 256 by default,
/// the same share of the batch.
public struct AEPOSampling: Sendable, Equatable {
  /// `T_high` and `T_low`: the extra rollout's temperature when the previous update's
  /// `−mean log π` is `≤ target` and when it is above; `target`: that threshold (`entropy_base`).
  public var highTemperature: Double, lowTemperature: Double, target: Double
  /// `k` (`reinforce_sample_num`): the most rows injected per update, `min(k, #selected)` at or
  /// below the target and `⌊min(k, #selected)/2⌋` above it; 0 turns the extra rollout off.
  public var sampleCount: Int

  /// AEPO with the code's defaults and `sampleCount` rows.
  public init(highTemperature: Double = 1.2, lowTemperature: Double = 0.8, target: Double = 0.5, sampleCount: Int = 6) {
    self.highTemperature = highTemperature
    self.lowTemperature = lowTemperature
    self.target = target
    self.sampleCount = sampleCount
  }
}

/// One method of an RLVR comparison: a loss of `PolicyLosses`, how the advantages are formed,
/// and AEPO's extra rollout. The trainer also feeds the losses' own state: Lp-Reg's min-p
/// proxy from the rollout policy's logits, SIREN's anchor from the first update's whole
/// rollout, EPO's historical entropy (the cumulative mean of the rollouts' token entropy,
/// the current one included).
public struct RLVRMethod: Sendable {
  /// The loss of every PPO mini-batch: surrogate, interventions, aggregation.
  public var loss: PolicyLoss
  /// How the per-response advantages are formed from the rewards `r ∈ {0, 1}`.
  public var advantages: RLVRAdvantages
  /// AEPO's extra rollout; nil: none.
  public var aepo: AEPOSampling?

  /// A method with GRPO advantages unless given.
  public init(_ loss: PolicyLoss, advantages: RLVRAdvantages = .grpo(normalizeByStd: true), aepo: AEPOSampling? = nil) {
    self.loss = loss
    self.advantages = advantages
    self.aepo = aepo
  }
}

extension RolloutBatch {
  /// Replaces sequences `0 ..< rows.count` by the sequences `rows` of `other` (same shape),
  /// with their log-probabilities and entropies recomputed at `temperature` from their logits.
  mutating func replaceFirst(with other: RolloutBatch, rows: [Int], temperature: Double) {
    precondition(other.length == length && other.vocabulary == vocabulary && other.active == active && rows.count <= sequences)
    let l = length, v = vocabulary, a = active
    for (s, o) in rows.enumerated() {
      prompts[s] = other.prompts[o]
      correct[s] = other.correct[o]
      for t in 0..<l {
        let to = s * l + t, from = o * l + t
        tokens[to] = other.tokens[from]
        for j in 0..<a { features[to * a + j] = other.features[from * a + j] }
        for j in 0..<v { logits[to * v + j] = other.logits[from * v + j] }
        let d = SoftmaxDistribution<Double>(logits: (0..<v).map { Double(logits[to * v + $0]) }, temperature: temperature)
        logProbs[to] = d.logProbabilities[tokens[to]]
        entropies[to] = d.entropy
      }
    }
  }

  /// Each sequence's mean token entropy.
  var meanEntropies: [Double] {
    (0..<sequences).map { s in entropies[(s * length)..<((s + 1) * length)].reduce(0, +) / Double(length) }
  }
}

extension RLVRMethod {
  /// The methods ``named(_:parameters:)`` knows: `all` in `logitdyn rlvr compare --losses`.
  public static let names = ["grpo", "dr-grpo", "dapo", "clip-cov", "kl-cov", "entropy-bonus", "steer", "lp-reg", "siren", "epo", "bapo", "canon", "aepo"]

  /// The parameters of the methods that act outside the loss: CANON's (`_lambda`, `alpha`,
  /// `beta`, `canon_metric`) and AEPO's (`temperature_high`, `temperature_low`,
  /// `entropy_base`, `reinforce_sample_num`), with the official names.
  public static let methodKeys: Set<String> = ["_lambda", "alpha", "beta", "canon_metric", "temperature_high", "temperature_low", "entropy_base", "reinforce_sample_num"]

  /// `key=value` pairs, checked against the loss parameters and ``methodKeys``.
  public static func parse(_ settings: [String]) throws(LossError) -> [String: String] {
    var loss: [String] = [], own: [String: String] = [:]
    for item in settings {
      if let eq = item.firstIndex(of: "="), methodKeys.contains(item[..<eq].trimmingCharacters(in: .whitespaces)) {
        own[item[..<eq].trimmingCharacters(in: .whitespaces)] = item[item.index(after: eq)...].trimmingCharacters(in: .whitespaces)
      } else {
        loss.append(item)
      }
    }
    do { return try VerlParameters.parse(loss).merging(own) { a, _ in a } } catch {
      throw LossError(error.description.replacingOccurrences(of: "(known: ", with: "(known: \(methodKeys.sorted().joined(separator: ", ")), "))
    }
  }

  /// The method `name` (one of ``names``, or any loss of ``VerlParameters``) with the
  /// parameters `p`. Every method runs on the same base unless a parameter says otherwise:
  /// GRPO advantages and PPO-clip ε 0.2, dual-clip 3, token-mean — so that the comparison
  /// isolates what each method adds. Defaults at this task's scale (256 responses of 4
  /// tokens per update, 4 mini-batches of ~256 tokens): Clip-Cov and KL-Cov ratio 0.2 (the
  /// paper's 2e-4 selects one token of 256); Lp-Reg `ρ_neg` 0.1 (its 0.01 gives `k = 1` of
  /// ~128 negative tokens, which its `k > 1` gate turns off); the entropy bonus 0.05; AEPO
  /// 6 injected rows of 256 (its 60 of 2,560). SIREN's, EPO's, BAPO's and CANON's are the
  /// official ones.
  public static func named(_ name: String, parameters given: [String: String]) throws(LossError) -> RLVRMethod {
    var p = given.filter { !methodKeys.contains($0.key) }
    func fill(_ key: String, _ value: String) { if p[key] == nil { p[key] = value } }
    func number(_ key: String, _ fallback: Double) throws(LossError) -> Double {
      guard let text = given[key] else { return fallback }
      guard let v = Double(text), v.isFinite else { throw LossError("\(key) must be a finite number, got '\(text)'") }
      return v
    }
    let base = { (p: inout [String: String]) in
      for (k, v) in [("clip_ratio_low", "0.2"), ("clip_ratio_high", "0.2"), ("clip_ratio_c", "3"), ("log_ratio_clamp", "20"), ("loss_agg_mode", "token-mean")] where p[k] == nil {
        p[k] = v
      }
    }
    var method: RLVRMethod
    switch name {
    case "grpo": method = RLVRMethod(try VerlParameters.makeLoss(name: "vanilla", parameters: p))
    case "dr-grpo": method = RLVRMethod(try VerlParameters.makeLoss(name: "vanilla", parameters: p), advantages: .grpo(normalizeByStd: false))
    case "clip-cov":
      fill("clip_cov_ratio", "0.2")
      method = RLVRMethod(try VerlParameters.makeLoss(name: "clip_cov", parameters: p))
    case "kl-cov":
      fill("kl_cov_ratio", "0.2")
      fill("ppo_kl_coef", "1")
      method = RLVRMethod(try VerlParameters.makeLoss(name: "kl_cov", parameters: p))
    case "entropy-bonus":
      fill("entropy_coeff", "0.05")
      method = RLVRMethod(try VerlParameters.makeLoss(name: "vanilla", parameters: p))
    case "lp-reg":
      base(&p)
      fill("logp_neg_k_percent", "0.1")
      method = RLVRMethod(try VerlParameters.makeLoss(name: "lp_reg", parameters: p))
    case "siren":
      base(&p)
      method = RLVRMethod(try VerlParameters.makeLoss(name: "siren", parameters: p))
    case "canon":
      let metricName = given["canon_metric"] ?? "entropy"
      guard let metric = CANONAdvantage.Metric(rawValue: metricName) else { throw LossError("canon_metric must be entropy or length, got '\(metricName)'") }
      let canon = CANONAdvantage(metric: metric, interWeight: try number("_lambda", 1), alpha: try number("alpha", 1), beta: try number("beta", 0))
      method = RLVRMethod(try VerlParameters.makeLoss(name: "vanilla", parameters: p), advantages: .canon(canon))
    case "aepo":
      let count = given["reinforce_sample_num"] ?? "6"
      guard let k = Int(count), k >= 0 else { throw LossError("reinforce_sample_num must be a whole number ≥ 0, got '\(count)'") }
      let aepo = AEPOSampling(highTemperature: try number("temperature_high", 1.2), lowTemperature: try number("temperature_low", 0.8),
                              target: try number("entropy_base", 0.5), sampleCount: k)
      guard aepo.highTemperature > 0, aepo.lowTemperature > 0 else { throw LossError("AEPO's temperatures must be > 0") }
      method = RLVRMethod(try VerlParameters.makeLoss(name: "vanilla", parameters: p), aepo: aepo)
    default:
      let loss = name.replacingOccurrences(of: "-", with: "_")
      guard VerlParameters.lossNames.contains(loss) else {
        throw LossError("unknown method '\(name)' (available: \(names.joined(separator: ", ")), or a loss of `logitdyn loss`: \(VerlParameters.lossNames.joined(separator: ", ")))")
      }
      method = RLVRMethod(try VerlParameters.makeLoss(name: loss, parameters: p))
    }
    return method
  }
}
