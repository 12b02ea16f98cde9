import ArgumentParser
import Dispatch
import Foundation
import LogitDynamics
import OutputFormats
import ParallelMap

/// `logitdyn rlvr base`: the base models' measured properties, before any RL.
struct RLVRBase: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "base",
    abstract: "Pre-train (or load) the base model of each seed and measure it: held-out pass@1 on the known and the hidden skills, pass@k, entropy.",
    discussion: """
      The properties by which a configuration is fixed before any RL result is seen: the base \
      should solve the known skills and rarely the hidden ones. pass@1 is the unbiased estimate \
      from --eval-samples samples per prompt (the mean correctness, mean@k).
      """)
  @OptionGroup var options: RLVROptions

  func run() throws {
    guard options.seeds >= 1 else { throw CLIError("--seeds must be at least 1, got \(options.seeds)") }
    let seeds = (1...options.seeds).map { UInt64($0) }
    let trainers = try seeds.map { seed throws -> RLVRTrainer in
      let s = try options.settings(seed: seed)
      return try RLVRTrainer(s)
    }
    let start = Date()
    let measured: [(Evaluation, Double)]
    measured = try parallelMap(count: seeds.count, threads: ProcessInfo.processInfo.activeProcessorCount) { i in
      let base = try options.base(trainers[i])
      return (trainers[i].evaluate(base, update: 0), trainers[i].trainAccuracy(base))
    }
    let evaluations = measured.map(\.0), train = measured.map(\.1)
    var table = TextTable(["seed", "held-out pass@1", "known skills", "hidden skills", "hidden pass@8", "pass@\(evaluations[0].passAtK.last?.0 ?? 1)", "train pass@1", "token entropy", "distinct correct"])
    func row(_ label: String, _ values: [[Double]]) {
      table.append([label] + values.map { v in
        v.count == 1 ? formatNumber(v[0], digits: 3) : "\(formatNumber(Stats.mean(v), digits: 3)) ± \(formatNumber(Stats.standardDeviation(v), digits: 2))"
      })
    }
    func columns(_ i: [Int]) -> [[Double]] {
      [i.map { evaluations[$0].accuracy }, i.map { evaluations[$0].knownAccuracy }, i.map { evaluations[$0].hiddenAccuracy },
       i.map { evaluations[$0].hiddenPassAtK.first { $0.0 == 8 }?.1 ?? .nan }, i.map { evaluations[$0].passAtK.last?.1 ?? .nan }, i.map { train[$0] }, i.map { evaluations[$0].meanTokenEntropy }, i.map { evaluations[$0].distinctCorrect }]
    }
    for i in seeds.indices { row("\(seeds[i])", columns([i])) }
    if seeds.count > 1 { row("mean ± sd", columns(Array(seeds.indices))) }
    let s = trainers[0].settings
    print("\(options.task) base models: \(s.sftSteps) pre-training steps of \(s.sftBatch) teacher answers (Adam \(formatNumber(Double(s.sftLearningRate), digits: 3))), hidden \(s.hidden), teacher accuracy \(formatNumber(s.teacherAccuracy, digits: 3)), \(s.hardOps) hidden skills; \(s.evalPrompts) held-out prompts × \(s.evalSamples) samples; \(formatNumber(Date().timeIntervalSince(start), digits: 3)) s")
    print(table.rendered())
  }
}
