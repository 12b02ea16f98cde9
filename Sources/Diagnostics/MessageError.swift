/// An error whose description is the one line shown to the user, naming the offending input
/// (the file, line, field or option, and the value).
///
/// It is the one message-error type of the package: each module calls it by its own name
/// (`LabError`, `LossError`, `SweepError`, …, type aliases of this type), so the layers above
/// pass a lower layer's error on as it is instead of re-wrapping its text. Errors that carry
/// more than a message keep their own types (`TensorFileError`: the path and the problem;
/// `GameError`: the point a trace reached; `ConfigurationError`: the field;
/// `JSONSyntaxError`: the offset).
public struct MessageError: Error, CustomStringConvertible, Sendable, Equatable {
  /// The message.
  public let description: String

  /// An error with this message.
  public init(_ description: String) { self.description = description }

  /// The message with `context` in front, `"\(context): \(description)"` (a run, a file).
  public func within(_ context: String) -> MessageError { MessageError("\(context): \(description)") }
}
