import Diagnostics
import SeededRandom

/// A bad RLVR request, with the message shown to the user.
///
/// The package's one message-error type (``Diagnostics/MessageError``) under this module's name.
public typealias RLVRError = MessageError

/// A prompt: its id, its active feature indices (one-hot blocks), and what the verifier needs.
public struct Prompt: Sendable, Equatable {
  /// The prompt's index among all the task's prompts, before the split is drawn.
  public var id: Int
  /// The active one-hot features, indices in `0..<promptDimension` (one per block).
  public var features: [Int]
  /// Task data (e.g. `[op, a, b]`).
  public var data: [Int]
}

/// A sequence task with a verifiable reward: prompts from a seeded distribution (split into
/// train and held-out), answers of `answerLength` digits (vocabulary 0…9), a verifier, and an
/// imperfect teacher for the base model's supervised pre-training.
public struct SequenceTask: Sendable {
  /// The tasks:
  /// - `digit-sum`: prompt a target `v ∈ 0…36`; any 4 digits summing to `v` are correct
  ///   (many answers);
  /// - `addition`: prompt two numbers `a, b < 100`; the answer is `a + b` as 3 digits (one
  ///   answer);
  /// - `hidden-ops` (the default): prompt `(op, a, b)` with 10 operations `v = f_op(a, b) ∈ 0…36`;
  ///   any 4 digits summing to `v` are correct. The teacher is right with probability 0.6 on the
  ///   first `10 − hard` operations but on the last `hard` ones answers as if the operation were
  ///   `a + b` — a hidden hard subset that only an exploring policy discovers;
  /// - `skills`: the same with the numpy prototype's ten rules (``skillRule(_:_:_:)``,
  ///   `v ∈ 0…27`, those of `../shared/bench/rlvr_update.py`): rules that are sums, differences,
  ///   maxima and minima of `a` and `b`, so that a rule learnt on training prompts carries to
  ///   held-out ones; two of `hidden-ops`' hidden rules are residues mod 37, a lookup table
  ///   that does not.
  public enum Kind: String, Sendable, CaseIterable {
    /// `digit-sum`: 4 digits summing to the prompt's target `v ∈ 0…36`.
    case digitSum = "digit-sum"
    /// `addition`: `a + b` as 3 digits, `a, b < 100`.
    case addition
    /// `hidden-ops`: 4 digits summing to `f_op(a, b)` (``SequenceTask/operation(_:_:_:)``).
    case hiddenOps = "hidden-ops"
    /// `skills`: 4 digits summing to the prototype's rule (``SequenceTask/skillRule(_:_:_:)``).
    case skills
  }

  /// Whether the task is an `(op, a, b)` task with known and hidden operations.
  public var hasHiddenSkills: Bool { kind == .hiddenOps || kind == .skills }

  /// Which task.
  public let kind: Kind
  /// The operations the teacher does not know (hidden-ops, skills): the last `hardOps` of the 10.
  public let hardOps: Int
  /// The teacher's accuracy where it knows the rule.
  public let teacherAccuracy: Double
  /// How often the teacher answers a hidden operation right instead of as if it were `a + b`
  /// (0: never, beyond the prompts where the two agree).
  public let teacherHiddenAccuracy: Double
  /// All prompts, and the train / held-out split.
  public let train: [Prompt], heldOut: [Prompt]
  /// The vocabulary `V`: the digits 0…9.
  public let vocabulary = 10

  /// A task; the split is drawn from `seed` (80% train). Throws unless `hardOps ∈ 0…10` and
  /// both accuracies lie in `[0, 1]`.
  ///
  /// - Complexity: O(N) for the task's `N` prompts (370, 10,000 or 1,000).
  public init(_ kind: Kind, hardOps: Int = 6, teacherAccuracy: Double = 0.6, teacherHiddenAccuracy: Double = 0, seed: UInt64 = 0) throws(RLVRError) {
    guard teacherHiddenAccuracy >= 0, teacherHiddenAccuracy <= 1 else {
      throw RLVRError("the teacher's accuracy on hidden operations must lie in [0, 1], got \(teacherHiddenAccuracy)")
    }
    self.teacherHiddenAccuracy = teacherHiddenAccuracy
    guard (0...10).contains(hardOps) else { throw RLVRError("hard operations must be between 0 and 10, got \(hardOps)") }
    guard teacherAccuracy >= 0, teacherAccuracy <= 1 else { throw RLVRError("teacher accuracy must lie in [0, 1], got \(teacherAccuracy)") }
    self.kind = kind
    self.hardOps = hardOps
    self.teacherAccuracy = teacherAccuracy
    var all: [Prompt] = []
    switch kind {
    case .digitSum:
      // Targets × a decoy digit so that the split has enough prompts.
      for v in 0...36 { for d in 0..<10 { all.append(Prompt(id: all.count, features: [v, 37 + d], data: [v, d])) } }
    case .addition:
      for a in 0..<100 { for b in 0..<100 { all.append(Prompt(id: all.count, features: [a / 10, 10 + a % 10, 20 + b / 10, 30 + b % 10], data: [a, b])) } }
    case .hiddenOps, .skills:
      for op in 0..<10 { for a in 0..<10 { for b in 0..<10 { all.append(Prompt(id: all.count, features: [op, 10 + a, 20 + b], data: [op, a, b])) } } }
    }
    var rng = Streams.generator(seed, Streams.split)
    for i in stride(from: all.count - 1, to: 0, by: -1) { all.swapAt(i, rng.nextInt(below: i + 1)) }
    let cut = all.count * 4 / 5
    train = Array(all[..<cut])
    heldOut = Array(all[cut...])
  }

  /// Answer length `L`.
  public var answerLength: Int { kind == .addition ? 3 : 4 }
  /// Size of the prompt's one-hot blocks.
  public var promptDimension: Int {
    switch kind {
    case .digitSum: return 47
    case .addition: return 40
    case .hiddenOps, .skills: return 30
    }
  }

  /// `f_op(a, b) ∈ 0…36` of hidden-ops.
  public static func operation(_ op: Int, _ a: Int, _ b: Int) -> Int {
    switch op {
    case 0: return a + b
    case 1: return 2 * a + b
    case 2: return a + 2 * b
    case 3: return abs(a - b) + 9
    case 4: return (a * b) % 37
    case 5: return 36 - a - b
    case 6: return 3 * max(a, b)
    case 7: return 3 * min(a, b) + 5
    case 8: return (a + 3 * b) % 37
    default: return 2 * abs(a - b) + a
    }
  }

  /// The prototype's rules (`skills`), `v ∈ 0…27`: `a + b`, `a + b + 5`, `2a + b`, `a + 2b`,
  /// `18 − a + b`, `27 − a − b`, `3·max(a, b)`, `⌊ab/3⌋`, `9 + |a − b|`, `3·min(a, b)`.
  public static func skillRule(_ op: Int, _ a: Int, _ b: Int) -> Int {
    switch op {
    case 0: return a + b
    case 1: return a + b + 5
    case 2: return 2 * a + b
    case 3: return a + 2 * b
    case 4: return 18 - a + b
    case 5: return 27 - a - b
    case 6: return 3 * max(a, b)
    case 7: return a * b / 3
    case 8: return 9 + abs(a - b)
    default: return 3 * min(a, b)
    }
  }

  /// The digit sum a correct answer must have (sum tasks).
  func target(_ p: Prompt) -> Int {
    switch kind {
    case .hiddenOps: return Self.operation(p.data[0], p.data[1], p.data[2])
    case .skills: return Self.skillRule(p.data[0], p.data[1], p.data[2])
    case .digitSum, .addition: return p.data[0]
    }
  }

  /// Whether `p` asks for a skill the teacher does not know (`hidden-ops`, `skills`: operation
  /// `≥ 10 − hardOps`); nil for the tasks without hidden skills.
  public func isHidden(_ p: Prompt) -> Bool? {
    hasHiddenSkills ? p.data[0] >= 10 - hardOps : nil
  }

  /// Whether `answer` is correct for `p`.
  public func verify(_ p: Prompt, _ answer: [Int]) -> Bool {
    guard answer.count == answerLength else { return false }
    switch kind {
    case .addition:
      let s = p.data[0] + p.data[1]
      return answer == [s / 100, (s / 10) % 10, s % 10]
    case .digitSum, .hiddenOps, .skills:
      return answer.reduce(0, +) == target(p)
    }
  }

  /// Digits summing to `v` (each position uniform among the values that keep `v` reachable).
  public static func digits(summingTo v: Int, count: Int, _ rng: inout Xoshiro256StarStar) -> [Int] {
    var out: [Int] = [], left = v
    for i in 0..<count {
      let remaining = count - i - 1
      let lo = max(0, left - 9 * remaining), hi = min(9, left)
      let d = lo + rng.nextInt(below: hi - lo + 1)
      out.append(d)
      left -= d
    }
    return out
  }

  /// The imperfect teacher's answer.
  public func teacher(_ p: Prompt, _ rng: inout Xoshiro256StarStar) -> [Int] {
    let right = rng.nextDouble() < teacherAccuracy
    switch kind {
    case .addition:
      var s = p.data[0] + p.data[1]
      if !right { s = (s + 1 + rng.nextInt(below: 20)) % 199 }
      return [s / 100, (s / 10) % 10, s % 10]
    case .digitSum:
      return Self.digits(summingTo: right ? p.data[0] : rng.nextInt(below: 37), count: 4, &rng)
    case .hiddenOps, .skills:
      let op = p.data[0]
      if op >= 10 - hardOps {
        // One more draw only when the teacher ever knows a hidden rule (older streams unchanged).
        let knows = teacherHiddenAccuracy > 0 && rng.nextDouble() < teacherHiddenAccuracy
        return Self.digits(summingTo: knows ? target(p) : p.data[1] + p.data[2], count: 4, &rng)
      }
      return Self.digits(summingTo: right ? target(p) : rng.nextInt(below: kind == .skills ? 28 : 37), count: 4, &rng)
    }
  }
}
