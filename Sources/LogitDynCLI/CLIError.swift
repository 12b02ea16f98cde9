import Diagnostics

/// An error of the command-line layer whose description is the one line shown to the user.
///
/// The package's one message-error type (``Diagnostics/MessageError``) under this module's name.
public typealias CLIError = MessageError
