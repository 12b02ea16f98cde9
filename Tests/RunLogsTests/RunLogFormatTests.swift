import Diagnostics
import Foundation
import Reports
import RunLogs
import TensorBoardEvents
import Testing
import _TestSupport

/// The readers on files that follow the frameworks' writers field for field (see
/// `Fixtures/runlog/README.md` and the `make_*.py` generators), each number checked against
/// an independent computation from Foundation's JSON parser.
@Suite struct RunLogFormatTests {
  static let root = Bundle.module.url(forResource: "Fixtures/runlog", withExtension: nil)!.path

  /// The records of a JSONL file through Foundation's parser (the independent reference).
  static func records(_ path: String) throws -> [[String: Any]] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap { line in
      try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    }
  }

  static func numbers(_ v: Any?) -> [Double] { (v as? [Any] ?? []).map { ($0 as? NSNumber)?.doubleValue ?? .nan } }

  @Test func detectsEachFormat() throws {
    #expect(try SampleLogReaders.detect(Self.root + "/prime_rl/token_exports") == .primeRL)
    #expect(try SampleLogReaders.detect(Self.root + "/open_instruct/rollouts") == .openInstruct)
    #expect(try SampleLogReaders.detect(Self.root + "/verl/rollout") == .verl)
    #expect(try SampleLogReaders.detect(Self.root + "/tensorboard/trl") == .tensorboard)
    #expect(try SampleLogReaders.detect(Self.root + "/scalars.csv") == .csv)
    #expect(try SampleLogReaders.detect(Self.root + "/scalars.jsonl") == .jsonl)
  }

  /// prime-rl: the steps with STABLE markers are complete; the live last step's cut record is
  /// skipped with a note; entropy, mismatch and covariance match a computation from the records.
  @Test func primeRLTokenExports() throws {
    let log = try RunLog(path: Self.root + "/prime_rl/token_exports")
    var state = RunLog.State()
    let result = try log.update(&state)
    let stepDirs = try FileManager.default.contentsOfDirectory(atPath: Self.root + "/prime_rl/token_exports").filter { $0.hasPrefix("step_") }
    #expect(result.steps.map(\.step) == stepDirs.compactMap { Int($0.dropFirst(5)) }.sorted())
    let live = stepDirs.filter { !FileManager.default.fileExists(atPath: Self.root + "/prime_rl/token_exports/\($0)/STABLE") }
    #expect(live.count == 1 && result.notes.contains { $0.contains("no STABLE marker") } && result.notes.contains { $0.contains("incomplete record") })
    // Step 1 by hand: every rank's records, the loss-masked tokens.
    let first = result.steps[0]
    var entropy: [Double] = [], k3: [Double] = [], logp: [Double] = [], adv: [Double] = []
    var samples = 0, masked = 0
    for file in try FileManager.default.contentsOfDirectory(atPath: Self.root + "/prime_rl/token_exports/step_\(first.step)").filter({ $0.hasSuffix(".jsonl") }) {
      for r in try Self.records(Self.root + "/prime_rl/token_exports/step_\(first.step)/" + file) {
        samples += 1
        let mask = (r["loss_mask"] as! [Bool])
        let h = Self.numbers(r["entropy"]), t = Self.numbers(r["trainer_logprobs"]), i = Self.numbers(r["inference_logprobs"]), a = Self.numbers(r["advantages"])
        let trust = r["is_masked"] as? [Bool]
        for k in mask.indices where mask[k] {
          if trust?[k] == true { masked += 1 }
          entropy.append(h[k])
          if t[k].isFinite && i[k].isFinite { k3.append(Foundation.exp(t[k] - i[k]) - 1 - (t[k] - i[k])) }
          logp.append(t[k])
          adv.append(a[k])
        }
      }
    }
    #expect(first.samples == samples && first.tokens == entropy.count)
    #expect(first.trustRegionMaskedFraction == Double(masked) / Double(entropy.count))
    #expect(result.steps.contains { ($0.trustRegionMaskedFraction ?? 0) > 0 })
    let finite = entropy.filter(\.isFinite)
    #expect(isClose(first.entropy!.mean, finite.reduce(0, +) / Double(finite.count), 1e-12))
    #expect(isClose(first.mismatch!.k3, k3.reduce(0, +) / Double(k3.count), 1e-9))
    let valid = logp.indices.filter { logp[$0].isFinite && adv[$0].isFinite }
    let ml = valid.map { logp[$0] }.reduce(0, +) / Double(valid.count), ma = valid.map { adv[$0] }.reduce(0, +) / Double(valid.count)
    let cov = valid.map { (logp[$0] - ml) * (adv[$0] - ma) }.reduce(0, +) / Double(valid.count)
    #expect(isClose(first.covariance!.mean, cov, 1e-9))
    #expect(first.selection!.microBatches >= 2)
    // No reward in schema 1: pass@k is skipped, and said so.
    #expect(result.skipped.contains { $0.hasPrefix("pass@k: the log has no reward") })
  }

  /// open-instruct: groups are the records' prompt_idx; pass@k is the unbiased estimator over
  /// each group's rewards.
  @Test func openInstructRollouts() throws {
    var state = RunLog.State()
    var log = try RunLog(path: Self.root + "/open_instruct/rollouts")
    log.settings.passK = [1, 2]
    let result = try log.update(&state)
    let shards = try FileManager.default.contentsOfDirectory(atPath: Self.root + "/open_instruct/rollouts").filter { $0.contains("_rollouts_") }.sorted()
    let all = try shards.flatMap { try Self.records(Self.root + "/open_instruct/rollouts/" + $0) }
    #expect(result.steps.map(\.step) == Set(all.map { $0["step"] as! Int }).sorted())
    let step = result.steps.last!.step
    var groups: [Int: [Double]] = [:]
    for r in all where r["step"] as! Int == step { groups[r["prompt_idx"] as! Int, default: []].append((r["reward"] as! NSNumber).doubleValue) }
    func pass(_ k: Int, _ rewards: [Double]) -> Double {
      let n = rewards.count, c = rewards.filter { $0 > 0.5 }.count
      // 1 − C(n − c, k)/C(n, k) by counting subsets.
      func choose(_ a: Int, _ b: Int) -> Double { b < 0 || b > a ? 0 : (0..<b).reduce(1.0) { $0 * Double(a - $1) / Double($1 + 1) } }
      return 1 - choose(n - c, k) / choose(n, k)
    }
    let expected2 = groups.values.map { pass(2, $0) }.reduce(0, +) / Double(groups.count)
    #expect(isClose(result.steps.last!.groupStatistics!.passAtK.first { $0.k == 2 }!.value, expected2, 1e-12))
    #expect(result.steps.last!.groups == groups.count)
  }

  /// verl: groups by prompt text, distinct answers from the text, zero-advantage groups from
  /// equal scores.
  @Test func verlRolloutDumps() throws {
    var state = RunLog.State()
    let result = try RunLog(path: Self.root + "/verl/rollout").update(&state)
    let records = try Self.records(Self.root + "/verl/rollout/\(result.steps.last!.step).jsonl")
    var groups: [String: [(String, Double)]] = [:]
    for r in records { groups[r["input"] as! String, default: []].append((r["output"] as! String, (r["score"] as! NSNumber).doubleValue)) }
    let g = result.steps.last!.groupStatistics!
    #expect(isClose(g.distinctAnswers!, groups.values.map { Double(Set($0.map(\.0)).count) }.reduce(0, +) / Double(groups.count), 1e-12))
    #expect(isClose(g.zeroAdvantageFraction!, Double(groups.values.filter { Set($0.map(\.1)).count == 1 }.count) / Double(groups.count), 1e-12))
  }

  /// TensorBoard files written by the tensorboard package (simple values and tensor scalars)
  /// and by torch's SummaryWriter, and the CSV and JSONL logs of the same curves, agree; the
  /// law's fit recovers the generator's a = 0.5, b = 0.9.
  @Test func scalarLogsAgree() throws {
    var simple = ScalarLog(), tensor = ScalarLog(), csv = ScalarLog(), jsonl = ScalarLog()
    for f in try FileManager.default.contentsOfDirectory(atPath: Self.root + "/tensorboard/verl") { try simple.addEventFile(Self.root + "/tensorboard/verl/" + f) }
    for f in try FileManager.default.contentsOfDirectory(atPath: Self.root + "/tensorboard/verl_tensor") { try tensor.addEventFile(Self.root + "/tensorboard/verl_tensor/" + f) }
    try csv.addCSV(Self.root + "/scalars.csv")
    try jsonl.addJSONL(Self.root + "/scalars.jsonl")
    let h = try #require(simple.series["actor/entropy"])
    #expect(h.count >= 50)
    for other in [tensor, csv, jsonl] {
      let o = try #require(other.series["actor/entropy"])
      #expect(o.map(\.step) == h.map(\.step))
      // Event files hold float32; the text logs the float32 value printed as a double.
      #expect(zip(o, h).allSatisfy { Float($0.value) == Float($1.value) })
    }
    var trl = ScalarLog()
    for f in try FileManager.default.contentsOfDirectory(atPath: Self.root + "/tensorboard/trl") { try trl.addEventFile(Self.root + "/tensorboard/trl/" + f) }
    let c = ScalarCurves.analyze(entropyTag: "train/entropy", entropy: trl.series["train/entropy"]!, performanceTag: "train/reward", performance: trl.series["train/reward"]!)
    #expect(abs(c.fit!.a - 0.5) < 0.05 && abs(c.fit!.b - 0.9) < 0.05, "a \(c.fit!.a), b \(c.fit!.b)")
    #expect(c.halvingStep != nil)
  }

  /// Bad files: errors with the file and the line, never a crash.
  @Test func badInputIsNamed() throws {
    let dir = try temporaryDirectory("runlog-bad")
    let step = dir + "/token_exports/step_0"
    try FileManager.default.createDirectory(atPath: step, withIntermediateDirectories: true)
    let good = #"{"schema_version":1,"step":0,"rank":0,"micro_step":0,"token_ids":[1,2,3],"loss_mask":[false,true,true],"advantages":[0,1,1],"trainer_logprobs":[-1,-0.5,-0.1],"inference_logprobs":[-1,-0.4,-0.2],"entropy":[1,0.5,0.2]}"#
    let cases: [(String, String)] = [
      (good.replacingOccurrences(of: #""entropy":[1,0.5,0.2]"#, with: #""entropy":[1,0.5]"#), "rank_0.jsonl:2: field 'entropy' has 2 entries, but 'token_ids' has 3"),
      (good.replacingOccurrences(of: #""step":0,"#, with: ""), "rank_0.jsonl:2: the required field 'step' is missing"),
      (good.replacingOccurrences(of: #""advantages":[0,1,1]"#, with: #""advantages":"high""#), "rank_0.jsonl:2: field 'advantages' must be an array of numbers, got a string"),
      (good.replacingOccurrences(of: #""schema_version":1"#, with: #""schema_version":2"#), "rank_0.jsonl:2: schema_version 2: this reader knows prime-rl's token export schema version 1"),
      (String(good.dropLast(20)), "rank_0.jsonl:2: column"),
    ]
    for (bad, fragment) in cases {
      try Data((good + "\n" + bad + "\n" + good + "\n").utf8).write(to: URL(fileURLWithPath: step + "/rank_0.jsonl"))
      do {
        var state = RunLog.State()
        _ = try RunLog(path: dir + "/token_exports").update(&state)
        Issue.record("accepted: \(bad)")
      } catch {
        #expect(error.description.contains(fragment), "\(error.description)")
      }
    }
    // A corrupt event file names the record.
    var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.root + "/tensorboard/trl/" + FileManager.default.contentsOfDirectory(atPath: Self.root + "/tensorboard/trl")[0])))
    bytes[40] ^= 0xFF
    try Data(bytes).write(to: URL(fileURLWithPath: dir + "/events.out.tfevents.1.bad"))
    #expect(throws: MessageError.self) { try EventFileCheck.read(dir + "/events.out.tfevents.1.bad") }
    // A file cut inside its last record is read up to it, with a note.
    let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.root + "/tensorboard/trl/" + FileManager.default.contentsOfDirectory(atPath: Self.root + "/tensorboard/trl")[0])))
    try Data(original.prefix(original.count - 7)).write(to: URL(fileURLWithPath: dir + "/events.out.tfevents.2.cut"))
    var cut = ScalarLog()
    try cut.addEventFile(dir + "/events.out.tfevents.2.cut")
    #expect(cut.notes.contains { $0.contains("ends inside the record") } && !cut.series.isEmpty, "\(cut.notes)")
  }

  /// pass@k against counting subsets.
  @Test func passAtKIsUnbiased() {
    for n in 1...8 {
      for c in 0...n {
        for k in 1...n {
          func choose(_ a: Int, _ b: Int) -> Double { b < 0 || b > a ? 0 : (0..<b).reduce(1.0) { $0 * Double(a - $1) / Double($1 + 1) } }
          #expect(isClose(StepAnalysis.passAt(k: k, n: n, correct: c), 1 - choose(n - c, k) / choose(n, k), 1e-12), "n \(n) c \(c) k \(k)")
        }
      }
    }
  }
}

/// Reads an event file for the tests.
enum EventFileCheck {
  static func read(_ path: String) throws(MessageError) {
    var log = ScalarLog()
    try log.addEventFile(path)
  }
}

@Suite struct CurveTests {
  /// The law's fit recovers a and b exactly on noise-free points; the fastest halving equals a
  /// brute-force search on random curves.
  @Test func lawAndHalving() {
    let h = (0..<50).map { 1.5 * Foundation.exp(-Double($0) / 12) + 0.02 }
    let points = h.enumerated().map { (step: $0.offset * 2, value: $0.element) }
    let r = points.map { (step: $0.step, value: -0.4 * Foundation.exp($0.value) + 0.95) }
    let c = ScalarCurves.analyze(entropyTag: "h", entropy: points, performanceTag: "r", performance: r, draws: 50)
    #expect(isClose(c.fit!.a, 0.4, 1e-9) && isClose(c.fit!.b, 0.95, 1e-9) && isClose(c.fit!.ceiling, 0.55, 1e-9))
    #expect(c.halvingStep == points.first { $0.value <= h[0] / 2 }!.step)
    var state: UInt64 = 12345
    for _ in 0..<50 {
      let curve = (0..<200).map { k -> (step: Int, value: Double) in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return (k * 3, Double(state >> 11) / Double(1 << 53) + 0.01)
      }
      var brute: Int?
      for i in curve.indices {
        if let j = curve.indices.first(where: { $0 > i && curve[$0].value <= curve[i].value / 2 }) { brute = min(brute ?? .max, curve[j].step - curve[i].step) }
      }
      #expect(ScalarCurves.analyze(entropyTag: "h", entropy: curve, performanceTag: "r", performance: [], draws: 0).fastestHalving == brute)
    }
    // A fast collapse warns.
    let collapse = (0..<100).map { (step: $0, value: $0 < 5 ? 2.0 : 0.3) }
    #expect(!ScalarCurves.analyze(entropyTag: "h", entropy: collapse, performanceTag: "r", performance: [], draws: 0).warnings.isEmpty)
  }
}

@Suite struct RealTRLRunTests {
  /// A real TRL GRPOTrainer run (CPU, a tiny random Qwen2, 25 steps: trl_run/make_trl_run.py):
  /// its event file as transformers' TensorBoard callback wrote it.
  @Test func trlGRPOTrainerEventFile() throws {
    let dir = RunLogFormatTests.root + "/trl_run/tensorboard"
    #expect(try SampleLogReaders.detect(dir) == .tensorboard)
    var log = ScalarLog()
    for f in try FileManager.default.contentsOfDirectory(atPath: dir) { try log.addEventFile(dir + "/" + f) }
    for tag in ["train/entropy", "train/reward", "train/reward_std", "train/kl", "train/loss", "train/completions/mean_length", "train/frac_reward_zero_std", "train/clip_ratio/region_mean"] {
      #expect(log.series[tag]?.map(\.step) == Array(1...25), "\(tag)")
    }
    // train/epoch is logged twice at the last step; the last value is kept.
    #expect(log.series["train/epoch"]?.count == 25)
    let h = log.series["train/entropy"]!, r = log.series["train/reward"]!
    #expect(Float(h.first!.value) == Float(3.139904499) && Float(h.last!.value) == Float(1.140733719))
    #expect(r.first!.value == 0.375 && r.last!.value == 0.84375)
    var state = RunLog.State()
    let result = try RunLog(path: dir).update(&state)
    #expect(result.curves?.entropyTag == "train/entropy" && result.curves?.performanceTag == "train/reward" && result.curves?.points.count == 25)
    #expect(result.curves?.fit != nil && result.curves?.halvingStep != nil)
  }
}

@Suite struct EventFileRoundTripTests {
  @Test func crc32cKnownValue() {
    #expect(TFRecord.crc32c(Data("123456789".utf8)) == 0xE306_9283)
  }

  /// What our writer writes (run-log's and reproduce's TensorBoard scalars) our reader reads
  /// back: tags, steps (0 included, which protobuf leaves out) and float32 values.
  @Test func writerAndReaderAgree() throws {
    var writer = TensorBoardWriter(wallTime: 1_700_000_000)
    for step in 0..<20 { writer.add(tag: step % 2 == 0 ? "a/b" : "c", step: step, value: 1 / Double(step + 1)) }
    let file = try EventFile(bytes: [UInt8](writer.bytes), path: "w.tfevents")
    #expect(file.events == 21 && file.truncationNote == nil)
    #expect(file.scalars.map(\.step) == Array(0..<20) && file.scalars.map(\.tag) == (0..<20).map { $0 % 2 == 0 ? "a/b" : "c" })
    #expect(file.scalars.map(\.value) == (0..<20).map { Double(Float(1 / Double($0 + 1))) } && file.scalars.allSatisfy { $0.wallTime == 1_700_000_000 })
  }
}
