/// One sampled response as an RL framework logs it, in the fields the analyses use. Readers
/// fill what their format has and leave the rest `nil`; every analysis says which fields it
/// needs and is skipped (with the reason) when a step lacks them.
public struct SampleRecord: Sendable {
  /// The training step.
  public var step: Int
  /// The prompt group it belongs to (its prompt index, or the prompt text, or its token ids):
  /// the samples of one prompt are a GRPO group.
  public var group: String
  /// The micro-batch it was trained in (`rank 0, micro step 2`), when the format says.
  public var microBatch: String?
  /// Where it came from, for messages: `file:line`.
  public var source: String
  /// The sequence-level reward (score).
  public var reward: Double?
  /// The sequence-level advantage, when the format logs one per sample.
  public var advantage: Double?
  /// The answer as text (verl's `output`), for distinct answers.
  public var answerText: String?
  /// The response's token ids, for distinct answers when there is no text.
  public var responseTokens: [Int]?
  /// The per-token arrays (empty when the format has none).
  public var tokens = TokenArrays()

  /// A sample of `step` in `group`, read from `source`, with no fields yet.
  public init(step: Int, group: String, source: String) {
    self.step = step
    self.group = group
    self.source = source
  }
}

/// The aligned per-token arrays of a response (prime-rl's token exports): each present array
/// has ``count`` entries; `NaN` stands for a value the log wrote as `null`.
public struct TokenArrays: Sendable {
  /// Tokens in the response.
  public var count = 0
  /// Whether the token counts in the loss (`loss_mask`, and not `is_masked`).
  public var lossMask: [Bool]?
  /// Per-token advantages `A_t`.
  public var advantages: [Double]?
  /// The trainer's `log π_θ(y_t)`.
  public var trainerLogProbs: [Double]?
  /// The inference engine's `log π_inf(y_t)` (the sampler's).
  public var inferenceLogProbs: [Double]?
  /// The policy's entropy at each position, nats.
  public var entropy: [Double]?
  /// The logged importance ratio `π_θ/π_inf`.
  public var importanceRatio: [Double]?
  /// The logged per-token mismatch KL.
  public var mismatchKL: [Double]?
  /// prime-rl's `is_masked`: tokens of the loss mask that the trust-region mask (DPPO) dropped
  /// from the gradient.
  public var trustRegionMasked: [Bool]?

  /// No tokens.
  public init() {}

  /// Whether token `t` counts (all do when there is no mask).
  @inlinable public func counts(_ t: Int) -> Bool { lossMask?[t] ?? true }
}

/// The samples of one training step, and what the reader noticed reading them.
public struct StepRecords: Sendable {
  /// The step.
  public var step: Int
  /// Its samples, in file order.
  public var samples: [SampleRecord]
  /// Notes (a partial last record skipped, a step without its `STABLE` marker, …).
  public var notes: [String]
  /// Whether the step is complete (prime-rl: its `STABLE` marker exists; other formats: the
  /// file ends with a complete record).
  public var complete: Bool

  /// The samples of `step`.
  public init(step: Int, samples: [SampleRecord], notes: [String] = [], complete: Bool = true) {
    self.step = step
    self.samples = samples
    self.notes = notes
    self.complete = complete
  }
}
