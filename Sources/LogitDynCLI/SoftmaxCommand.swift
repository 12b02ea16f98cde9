import ArgumentParser
import Foundation
import LogitDynamics
import OutputFormats

/// `logitdyn softmax`: a softmax policy and its summary statistics.
struct SoftmaxCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "softmax",
    abstract: "Softmax, log-softmax, log-sum-exp, entropy and collision probability of logits.",
    discussion: """
      p = softmax(z/τ) computed shift-stably. JSON keys: probabilities, log_probabilities \
      (null for a masked -inf logit), log_sum_exp, entropy, collision, renyi2_entropy, \
      temperature, argmax.
      """)

  @OptionGroup var input: LogitInputOptions

  @Flag(help: "Print JSON instead of a table.")
  var json = false

  @Option(help: "Rows shown in the table (most probable first); 0 shows all.")
  var top: Int = 20

  func run() throws {
    guard top >= 0 else { throw CLIError("--top must be 0 or more, got \(top)") }
    let (logits, temperature) = try input.load()
    let policy = SoftmaxDistribution(logits: logits, temperature: temperature)
    if json {
      print(Self.json(policy).rendered())
    } else {
      print(Self.summary(policy))
      print()
      print(ActionTable.render(policy: policy, extra: nil, top: top))
    }
  }

  static func json(_ p: SoftmaxDistribution<Double>) -> JSONValue {
    .object([
      ("probabilities", .numbers(p.probabilities)),
      ("log_probabilities", .numbers(p.logProbabilities)),
      ("log_sum_exp", .number(p.logSumExp)),
      ("entropy", .number(p.entropy)),
      ("collision", .number(p.collisionProbability)),
      ("renyi2_entropy", .number(p.renyi2Entropy)),
      ("temperature", .number(1 / p.inverseTemperature)),
      ("argmax", .integer(p.argmax)),
    ])
  }

  static func summary(_ p: SoftmaxDistribution<Double>) -> String {
    let k = Double(p.count)
    return """
      actions K            \(p.count)   temperature \(formatNumber(1 / p.inverseTemperature))
      log-sum-exp          \(formatNumber(p.logSumExp, digits: 10))
      entropy H            \(formatNumber(p.entropy, digits: 10)) nats  (max log K = \(formatNumber(Foundation.log(k))))
      collision C(p)       \(formatNumber(p.collisionProbability, digits: 10))  (uniform 1/K = \(formatNumber(1 / k)))
      Renyi-2 entropy H2   \(formatNumber(p.renyi2Entropy, digits: 10))
      argmax               \(p.argmax)  (p = \(formatNumber(p.probabilities[p.argmax])))
      """
  }
}

/// The per-action table shared by `softmax` and `update`.
enum ActionTable {
  /// Rows sorted by probability (ties by index), `top` of them (0: all), with an optional
  /// extra column (e.g. Δz).
  static func render(policy p: SoftmaxDistribution<Double>, extra: (String, [Double])?, top: Int,
                     mark: Int? = nil) -> String {
    var header = ["action", "logit", "p", "log p"]
    if let extra { header.append(extra.0) }
    var table = TextTable(header)
    let order = p.probabilities.indices.sorted {
      p.probabilities[$0] != p.probabilities[$1] ? p.probabilities[$0] > p.probabilities[$1] : $0 < $1
    }
    var shown = top == 0 ? order : Array(order.prefix(top))
    if let mark, !shown.contains(mark) { shown.append(mark) }
    for i in shown {
      var row = [
        (i == mark ? "*" : "") + "\(i)", formatNumber(p.logits[i]), formatNumber(p.probabilities[i]),
        formatNumber(p.logProbabilities[i]),
      ]
      if let extra { row.append(formatNumber(extra.1[i])) }
      table.append(row)
    }
    var text = table.rendered()
    if shown.count < p.count {
      text += "\n(\(p.count - shown.count) more actions; --top 0 shows all, --json prints every value)"
    }
    return text
  }
}
