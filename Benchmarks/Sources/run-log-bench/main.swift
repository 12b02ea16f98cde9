// run-log-bench: JSONL token records per second on one core, the issue's target ≥ 1 M tokens/s.
//
// Writes a synthetic prime-rl token export (schema version 1: 24 fields, 13 per-token arrays,
// float32 values printed as Python prints them, as the real writer does) and times, on one
// thread:
//   1. our JSON-lines parser alone (JSONLinesFile + JSONLineParser),
//   2. the prime-rl reader (records → SampleRecord, every array checked against token_ids),
//   3. the reader and the per-step analyses (StepAnalysis.summarize),
//   4. Foundation's JSONSerialization on the same lines (the alternative we measured),
//   5. python3's json.loads and, when installed, orjson.loads per line (the anchors).
// Usage: swift run -c release run-log-bench [records] [tokens-per-record]
import Foundation
import RunLogs

let arguments = CommandLine.arguments
let records = arguments.count > 1 ? Int(arguments[1]) ?? 400 : 400
let length = arguments.count > 2 ? Int(arguments[2]) ?? 1024 : 1024
let dir = FileManager.default.temporaryDirectory.appendingPathComponent("run-log-bench-\(getpid())/token_exports/step_1").path
try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent) }

// A deterministic LCG for the values.
struct LCG {
  var state: UInt64 = 0x9E37_79B9_7F4A_7C15
  mutating func uniform() -> Double {
    state = state &* 6364136223846793005 &+ 1442695040888963407
    return Double(state >> 11) / Double(1 << 53)
  }
}
var lcg = LCG()
@MainActor func uniform() -> Double { lcg.uniform() }
func f32(_ x: Double) -> String { "\(Double(Float(x)))" }

var text = ""
text.reserveCapacity(records * length * 200)
for r in 0..<records {
  let prompt = 64
  let ids = (0..<length).map { _ in String(Int(uniform() * 151_000)) }
  let mask = (0..<length).map { $0 >= prompt ? "true" : "false" }
  let advantage = f32(uniform() - 0.5)
  var trainer: [String] = [], inference: [String] = [], entropy: [String] = [], ratio: [String] = [], logRatio: [String] = [], kl: [String] = [], delta: [String] = []
  for _ in 0..<length {
    let t = -3 * uniform() * uniform(), i = t + 0.01 * (uniform() - 0.5)
    trainer.append(f32(t)); inference.append(f32(i)); entropy.append(f32(2 * uniform()))
    let lr = t - i
    logRatio.append(f32(lr)); ratio.append(f32(exp(lr))); kl.append(f32(exp(lr) - lr - 1)); delta.append(f32(exp(t) - exp(i)))
  }
  let falses = [String](repeating: "false", count: length).joined(separator: ",")
  let nulls = [String](repeating: "null", count: length).joined(separator: ",")
  text += "{\"schema_version\":1,\"step\":1,\"rank\":0,\"micro_step\":\(r / 8),\"micro_sequence_idx\":\(r % 8),\"export_sequence_idx\":\(r),\"env_name\":\"gsm8k\","
  text += "\"token_ids\":[\(ids.joined(separator: ","))],\"position_ids\":[\((0..<length).map(String.init).joined(separator: ","))],\"loss_mask\":[\(mask.joined(separator: ","))],"
  text += "\"advantages\":[\((0..<length).map { $0 >= prompt ? advantage : "0.0" }.joined(separator: ","))],\"inference_logprobs\":[\(inference.joined(separator: ","))],"
  text += "\"trainer_logprobs\":[\(trainer.joined(separator: ","))],\"entropy\":[\(entropy.joined(separator: ","))],\"mismatch_kl\":[\(kl.joined(separator: ","))],"
  text += "\"log_importance_ratio\":[\(logRatio.joined(separator: ","))],\"importance_ratio\":[\(ratio.joined(separator: ","))],\"prob_delta\":[\(delta.joined(separator: ","))],"
  text += "\"is_masked\":[\(falses)],\"is_masked_high\":[\(falses)],\"is_masked_low\":[\(falses)],\"rl_weights\":[\(nulls)],\"ce_weights\":[\(nulls)],\"ref_kl_weights\":[\(nulls)]}\n"
}
let path = dir + "/rank_0.jsonl"
try Data(text.utf8).write(to: URL(fileURLWithPath: path))
FileManager.default.createFile(atPath: dir + "/STABLE", contents: nil)
let tokens = Double(records * length)
let megabytes = Double(text.utf8.count) / 1e6
print("run-log-bench: \(records) records × \(length) tokens = \(Int(tokens)) tokens, \(String(format: "%.1f", megabytes)) MB, one thread")

func time(_ label: String, repeats: Int = 3, _ body: () throws -> Void) rethrows -> Double {
  var best = Double.infinity
  for _ in 0..<repeats {
    let start = Date()
    try body()
    best = min(best, Date().timeIntervalSince(start))
  }
  print("\(label.padding(toLength: 44, withPad: " ", startingAt: 0)) \(String(format: "%7.3f", best)) s  \(String(format: "%6.2f", tokens / best / 1e6)) M tokens/s  \(String(format: "%6.0f", megabytes / best)) MB/s")
  return best
}

let parse = try time("JSONLineParser (parse only)") {
  var n = 0
  try JSONLinesFile.read(path: path) { record, _ in n += record.members.count }
  precondition(n == records * 24)
}
let reader = try time("prime-rl reader (records → samples)") {
  let steps = try SampleLogReaders.steps((dir as NSString).deletingLastPathComponent, format: .primeRL)
  let read = try SampleLogReaders.read(steps[0], format: .primeRL)
  precondition(read[0].samples.count == records)
}
let analysis = try time("reader + per-step analyses") {
  var log = try RunLog(path: (dir as NSString).deletingLastPathComponent, format: .primeRL)
  log.bootstrapDraws = 10
  var s = RunLog.State()
  let result = try log.update(&s)
  precondition(result.steps.count == 1)
}
let foundation = try time("Foundation JSONSerialization", repeats: 1) {
  var n = 0
  for line in text.split(separator: "\n") {
    let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
    n += object.count
  }
  precondition(n == records * 24)
}
print("ratio: our parser \(String(format: "%.1f", foundation / parse))× Foundation's; the reader alone \(String(format: "%.2f", tokens / reader / 1e6)) M tokens/s (target ≥ 1)")

// The Python anchors, same file, same machine, one thread.
for (name, module) in [("python3 json.loads", "json"), ("python3 orjson.loads", "orjson")] {
  let script = """
    import sys, time
    try:
        import \(module) as j
    except ImportError:
        print("missing"); sys.exit(0)
    lines = open(sys.argv[1], "rb").read().splitlines()
    best = 1e9
    for _ in range(3):
        t = time.perf_counter(); n = 0
        for l in lines: n += len(j.loads(l))
        best = min(best, time.perf_counter() - t)
    print(best)
    """
  let p = Process()
  p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  p.arguments = ["python3", "-c", script, path]
  let pipe = Pipe()
  p.standardOutput = pipe
  try p.run()
  p.waitUntilExit()
  let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  if let seconds = Double(out) {
    print("\(name.padding(toLength: 44, withPad: " ", startingAt: 0)) \(String(format: "%7.3f", seconds)) s  \(String(format: "%6.2f", tokens / seconds / 1e6)) M tokens/s  (our parser \(String(format: "%.1f", seconds / parse))×)")
  } else {
    print("\(name): not installed")
  }
}
