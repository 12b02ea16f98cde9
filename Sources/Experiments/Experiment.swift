import Diagnostics
import Reports

/// The outcome of checking a claim.
public enum Verdict: String, Sendable, Equatable {
  /// The measurements support the claim (`holds`), contradict it (`fails`), or decide neither way.
  case holds, fails, inconclusive

  /// The verdict on a claim made of parts: `fails` when any part fails, `holds` when every
  /// part holds, `inconclusive` otherwise.
  public static func all(_ parts: [Verdict]) -> Verdict {
    parts.contains(.fails) ? .fails : (parts.allSatisfy { $0 == .holds } ? .holds : .inconclusive)
  }
}

/// What an experiment measured and concluded. The verdict is computed from the measured
/// numbers (``evidence``), never written in.
public struct ExperimentResult: Sendable {
  /// The verdict, computed from the ``evidence``.
  public var verdict: Verdict
  /// One line: why this verdict (the numbers behind it).
  public var summary: String
  /// Named measurements, in order.
  public var evidence: [(String, Double)]
  /// Plots.
  public var figures: [Figure]
  /// Extra remarks (disagreements with a source, caveats).
  public var notes: [String]
  /// Tables of the measured numbers.
  public var tables: [ReportTable]

  /// A result from its parts.
  public init(verdict: Verdict, summary: String, evidence: [(String, Double)] = [], figures: [Figure] = [], notes: [String] = [], tables: [ReportTable] = []) {
    self.tables = tables
    self.verdict = verdict
    self.summary = summary
    self.evidence = evidence
    self.figures = figures
    self.notes = notes
  }

  /// A verdict from a condition: `holds` when it is met, `fails` otherwise.
  public static func judge(_ condition: Bool, _ summary: String, evidence: [(String, Double)] = [], figures: [Figure] = [], notes: [String] = [],
                           tables: [ReportTable] = []) -> ExperimentResult {
    ExperimentResult(verdict: condition ? .holds : .fails, summary: summary, evidence: evidence, figures: figures, notes: notes, tables: tables)
  }
}

/// How an experiment runs.
public struct ExperimentContext: Sendable {
  /// Smaller configurations (the whole registry in a few minutes).
  public var quick: Bool
  /// The smallest configuration that still exercises every code path of an experiment, for the
  /// test suite's debug build (only the experiments that are slow even when `quick` read it).
  public var smoke: Bool
  /// Worker threads.
  public var threads: Int
  /// Base seed.
  public var seed: UInt64

  /// A context; `smoke` implies `quick`.
  public init(quick: Bool = false, smoke: Bool = false, threads: Int = 1, seed: UInt64 = 1) {
    self.quick = quick || smoke
    self.smoke = smoke
    self.threads = threads
    self.seed = seed
  }

  /// `quick` or `full` by the mode.
  public func size<T>(quick q: T, full f: T) -> T { quick ? q : f }
}

/// A number an experiment's claim or judgement rests on (the paper's constant, the sign of a
/// claimed effect, a formula's exponent), with a wrong value that must turn the verdict to
/// `fails`: the experiment's self-test (`Experiment.wrongVariants`).
public struct ClaimConstant: Sendable, Equatable {
  /// Identifier, read by the experiment through ``ClaimConstants``.
  public let name: String
  /// The value the claim states.
  public let value: Double
  /// What the constant is, in words (shown in the report).
  public let meaning: String
  /// A value that makes the claim false.
  public let wrong: Double

  /// The constant `name` with its claimed `value`, a `wrong` value that must fail, and its `meaning`.
  public init(_ name: String, _ value: Double, wrong: Double, _ meaning: String) {
    self.name = name
    self.value = value
    self.wrong = wrong
    self.meaning = meaning
  }
}

/// The constants an experiment runs with, by name.
public struct ClaimConstants: Sendable {
  let values: [String: Double]

  init(_ constants: [ClaimConstant]) {
    values = Dictionary(constants.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
  }

  /// The value of a declared constant (reading an undeclared one is a programming error).
  public subscript(_ name: String) -> Double {
    guard let v = values[name] else { preconditionFailure("experiment reads the undeclared constant '\(name)'") }
    return v
  }
}

/// A named, checkable claim of a source paper: the claim in words, the constants it rests on,
/// what in our setup differs from the paper's, and the code that measures it and decides.
public struct Experiment: Sendable {
  /// Identifier (`002-norm-formula`), used by `--only`.
  public let name: String
  /// The paper (seed) and place the claim comes from.
  public let source: String
  /// The claim, in one or two sentences.
  public let claim: String
  /// What in our setup differs from the paper's (model, scale, ratios), in one or two sentences.
  public let setup: String
  /// The constants of the claim and its judgement, with their current values.
  public private(set) var constants: [ClaimConstant]
  let body: @Sendable (ExperimentContext, ClaimConstants) throws -> ExperimentResult

  /// An experiment; `run` measures and decides with the constants it is handed.
  ///
  /// - Precondition: `constants` is not empty (the self-test needs a wrong value).
  public init(name: String, source: String, claim: String, setup: String, constants: [ClaimConstant],
              run: @escaping @Sendable (ExperimentContext, ClaimConstants) throws -> ExperimentResult) {
    precondition(!constants.isEmpty, "\(name): an experiment declares at least one constant with a wrong value")
    self.name = name
    self.source = source
    self.claim = claim
    self.setup = setup
    self.constants = constants
    self.body = run
  }

  /// Measures and decides with the current constants.
  public func run(_ context: ExperimentContext) throws -> ExperimentResult { try body(context, ClaimConstants(constants)) }

  /// The same experiment with one constant set to `value`.
  public func setting(_ constant: String, to value: Double) throws(ExperimentError) -> Experiment {
    guard let i = constants.firstIndex(where: { $0.name == constant }) else {
      throw ExperimentError("\(name) has no constant '\(constant)' (constants: \(constants.map(\.name).joined(separator: ", ")))")
    }
    guard value.isFinite else { throw ExperimentError("\(name): constant '\(constant)' must be finite, got \(value)") }
    var copy = self
    let c = constants[i]
    copy.constants[i] = ClaimConstant(c.name, value, wrong: c.wrong, c.meaning)
    return copy
  }

  /// One variant per constant, with that constant set to its wrong value: each must `fail`.
  public var wrongVariants: [(constant: ClaimConstant, experiment: Experiment)] {
    constants.map { c in (c, try! setting(c.name, to: c.wrong)) }
  }
}

/// The registry of experiments, in report order.
public enum ExperimentRegistry {
  /// Every experiment, in report order: seed 002's, seeds 003/004's on bandits and on sequences, seed
  /// 004's on clipping, then seed 000's.
  public static var all: [Experiment] { LogitUpdateExperiments.experiments + EntropyMechanismExperiments.experiments + SequenceEntropyExperiments.experiments + ClippingBiasExperiments.experiments + SoftmaxGameExperiments.experiments }

  /// The experiments whose names start with any of `prefixes` (all when empty).
  public static func select(_ prefixes: [String]) throws(ExperimentError) -> [Experiment] {
    guard !prefixes.isEmpty else { return all }
    let chosen = all.filter { e in prefixes.contains { e.name.hasPrefix($0) } }
    for p in prefixes where !all.contains(where: { $0.name.hasPrefix(p) }) {
      throw ExperimentError("no experiment matches '\(p)' (names: \(all.map(\.name).joined(separator: ", ")))")
    }
    return chosen
  }
}

/// A bad experiment request.
///
/// The package's one message-error type (``Diagnostics/MessageError``) under this module's name.
public typealias ExperimentError = MessageError
