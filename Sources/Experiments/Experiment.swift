import Reports

/// The outcome of checking a claim.
public enum Verdict: String, Sendable, Equatable {
  case holds, fails, inconclusive
}

/// What an experiment measured and concluded. The verdict is computed from the measured
/// numbers (``evidence``), never written in.
public struct ExperimentResult: Sendable {
  public var verdict: Verdict
  /// One line: why this verdict (the numbers behind it).
  public var summary: String
  /// Named measurements, in order.
  public var evidence: [(String, Double)]
  /// Plots.
  public var figures: [Figure]
  /// Extra remarks (disagreements with a source, caveats).
  public var notes: [String]

  public init(verdict: Verdict, summary: String, evidence: [(String, Double)] = [], figures: [Figure] = [], notes: [String] = []) {
    self.verdict = verdict
    self.summary = summary
    self.evidence = evidence
    self.figures = figures
    self.notes = notes
  }

  /// A verdict from a condition: `holds` when it is met, `fails` otherwise.
  public static func judge(_ condition: Bool, _ summary: String, evidence: [(String, Double)] = [], figures: [Figure] = [], notes: [String] = []) -> ExperimentResult {
    ExperimentResult(verdict: condition ? .holds : .fails, summary: summary, evidence: evidence, figures: figures, notes: notes)
  }
}

/// How an experiment runs.
public struct ExperimentContext: Sendable {
  /// Smaller configurations (the whole registry in under a minute).
  public var quick: Bool
  /// Worker threads.
  public var threads: Int
  /// Base seed.
  public var seed: UInt64

  public init(quick: Bool = false, threads: Int = 1, seed: UInt64 = 1) {
    self.quick = quick
    self.threads = threads
    self.seed = seed
  }

  /// `quick` or `full` by the mode.
  public func size<T>(quick q: T, full f: T) -> T { quick ? q : f }
}

/// A named, checkable claim of a source paper: the claim in words, and the code that measures
/// it and decides.
public struct Experiment: Sendable {
  /// Identifier (`002-norm-formula`), used by `--only`.
  public let name: String
  /// The paper (seed) and place the claim comes from.
  public let source: String
  /// The claim, in one or two sentences.
  public let claim: String
  /// Measures and decides.
  public let run: @Sendable (ExperimentContext) throws -> ExperimentResult

  public init(name: String, source: String, claim: String, run: @escaping @Sendable (ExperimentContext) throws -> ExperimentResult) {
    self.name = name
    self.source = source
    self.claim = claim
    self.run = run
  }
}

/// The registry of experiments, in report order.
public enum ExperimentRegistry {
  public static var all: [Experiment] { Seed002.experiments + Seed003.experiments + SeedRLVR.experiments + Seed000.experiments }

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
public struct ExperimentError: Error, CustomStringConvertible, Sendable {
  public let description: String
  public init(_ description: String) { self.description = description }
}

/// Small statistics helpers for verdicts.
public enum Stats {
  public static func mean(_ v: [Double]) -> Double { v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count) }

  /// Pearson correlation.
  public static func correlation(_ a: [Double], _ b: [Double]) -> Double {
    let ma = mean(a), mb = mean(b)
    var sab = 0.0, saa = 0.0, sbb = 0.0
    for (x, y) in zip(a, b) {
      sab += (x - ma) * (y - mb)
      saa += (x - ma) * (x - ma)
      sbb += (y - mb) * (y - mb)
    }
    return sab / (saa * sbb).squareRoot()
  }

  /// Mean and standard error.
  public static func meanAndStandardError(_ v: [Double]) -> (Double, Double) {
    let m = mean(v)
    guard v.count > 1 else { return (m, .nan) }
    let variance = v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)
    return (m, (variance / Double(v.count)).squareRoot())
  }
}
