import SeededRandom

/// The mini-RLVR's named random streams of a seed (`Xoshiro256StarStar(seed:stream:)`): the
/// task's split, the policy's initialisation, pre-training, evaluation and each update draw
/// from their own stream, so changing how many draws one of them makes changes nothing else.
/// The values are those the results were first computed with.
enum Streams {
  /// The shuffle of the task's prompts into the training and held-out split.
  static let split: UInt64 = 0xA11
  /// The policy's initial parameters.
  static let initialization: UInt64 = 0x90
  /// Supervised pre-training on the teacher: batches and teacher answers.
  static let pretraining: UInt64 = 0x5F7
  /// The accuracy on training prompts (`trainAccuracy`).
  static let trainAccuracy: UInt64 = 0x7EA1
  /// The held-out evaluation after `update` updates: its stream is `evaluation &+ update`.
  static let evaluation: UInt64 = 0xE7A1
  /// RL: rollouts, mini-batch shuffles and the losses' random selections.
  static let training: UInt64 = 0x271

  /// The generator of `stream` of `seed`.
  static func generator(_ seed: UInt64, _ stream: UInt64) -> Xoshiro256StarStar { Xoshiro256StarStar(seed: seed, stream: stream) }
}
