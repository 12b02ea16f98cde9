/// An error of the command-line layer whose description is the one line shown to the user.
public struct CLIError: Error, CustomStringConvertible, Sendable {
  /// The message, naming the offending input.
  public let description: String

  /// An error with the given message.
  public init(_ description: String) { self.description = description }
}
