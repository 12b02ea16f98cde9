import Diagnostics

/// An error in a lab configuration, with the message shown to the user.
///
/// The package's one message-error type (``Diagnostics/MessageError``) under this module's name.
public typealias LabError = MessageError
