import Foundation

/// Set by the SIGINT handler; long commands poll it between units of work.
nonisolated(unsafe) private var interruptFlag: sig_atomic_t = 0

/// Ctrl-C for long commands: a flag set by a SIGINT handler, polled between steps or runs, so
/// that a command finishes the unit in flight, keeps every file complete, and exits with 130.
enum Interrupt {
  /// Clears the flag and installs the handler (unblocking SIGINT, which a parent may have
  /// started us with blocked). Call ``restore()`` when the command ends.
  static func install() {
    interruptFlag = 0
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
    signal(SIGINT) { _ in interruptFlag = 1 }
  }

  /// The default SIGINT action again.
  static func restore() { signal(SIGINT, SIG_DFL) }

  /// Whether Ctrl-C was pressed since ``install()``.
  static var requested: Bool { interruptFlag != 0 }
}
