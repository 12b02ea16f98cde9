import SeededRandom

/// The experiments' named random streams. Each experiment that draws outside the lab's
/// runners (random logits, tokens, bootstrap resamples) takes a generator from here, so that
/// no two experiments share draws and changing one stream changes one experiment's numbers.
/// The constants are those the verdicts were first computed with: changing one changes that
/// experiment's measured values (not its verdict, which must hold for any seed).
enum Streams {
  /// An offset added to the run's seed (`seed &+ offset`: the reproduce seed's own stream 0).
  struct Offset {
    let value: UInt64
    /// The generator of this offset from `seed`.
    func generator(_ seed: UInt64) -> Xoshiro256StarStar { Xoshiro256StarStar(seed: seed &+ value) }
  }

  /// A stream id of `Xoshiro256StarStar(seed:stream:)` (independent of the lab runners' streams
  /// 0, 1, 2, … of the same seed).
  struct Stream {
    let value: UInt64
    /// The generator of this stream of `seed`.
    func generator(_ seed: UInt64) -> Xoshiro256StarStar { Xoshiro256StarStar(seed: seed, stream: value) }
  }

  /// `002-norm-formula`: the random logits, actions and advantages.
  static let normFormula = Offset(value: 2)
  /// `002-zero-sum`: the random logits and network parameters.
  static let zeroSum = Offset(value: 3)
  /// `002-oq3-normalized-step`: the bandit instances.
  static let normalizedStep = Offset(value: 5)
  /// `000-softmax-is-gradient`: the random logit vectors.
  static let softmaxIsGradient = Offset(value: 7)
  /// `000-lipschitz-cocoercive`: the random pairs of logit vectors.
  static let lipschitzPairs = Offset(value: 11)
  /// `002-collision-range`: the random distributions.
  static let collisionRange = Offset(value: 21)
  /// `002-sqrt2-reading`: the random logits.
  static let sqrt2Reading = Offset(value: 23)
  /// `003-two-covariances`: the random logits and rewards.
  static let twoCovariances = Offset(value: 31)
  /// `004-kl-cov-micro-batches`: the synthetic token batch.
  static let klCovMicroBatches = Offset(value: 41)
  /// `003-rlvr-law-ceiling`: the bootstrap of the law's band over seeds.
  static let lawBootstrap = Stream(value: 0xB007)
  /// `004-top-p-ratio-bias`: the truncated-sampling draws.
  static let truncatedDraws = Stream(value: 0x70B)
  /// `004-top-p-ratio-bias`: the held-out prompts' rollouts.
  static let truncationRollouts = Stream(value: 0x70C)
}
