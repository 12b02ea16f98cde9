import ArgumentParser
import Foundation
import StrictJSON

/// The `logitdyn` command: the root of every subcommand.
public struct LogitDyn: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "logitdyn",
    abstract: "Dynamics of softmax policy gradient: logits, probabilities and entropy under an update.",
    discussion: """
      Logits are given inline (--logits 2,1,0.5,-1) or from a file (--logits-file PATH). \
      Actions are 0-based indices. Add --json for machine-readable output.
      """,
    version: LogitDynVersion.string,
    subcommands: [ReproduceCommand.self, SoftmaxCommand.self, UpdateCommand.self, AnalyzeCommand.self, LossCommand.self, RunCommand.self, GameCommand.self, RLVRCommand.self, SweepCommand.self, RunsCommand.self, RunLogCommand.self]
  )

  public init() {}

  /// Parses `arguments` (default: the process arguments), runs the command, and exits.
  ///
  /// Errors are printed as a single line, `logitdyn: error: <message>`, on standard error,
  /// with a non-zero exit status (64 for a usage error, 1 for bad data); `--help` and
  /// `--version` print as usual.
  public static func runMain(_ arguments: [String]? = nil) -> Never {
    do {
      var command = try parseAsRoot(arguments ?? Array(CommandLine.arguments.dropFirst()))
      try command.run()
      Foundation.exit(0)
    } catch {
      let code = exitCode(for: error)
      if code == .success {
        // --help, --version and clean exits: let ArgumentParser print them.
        exit(withError: error)
      }
      // One line: the first line of a multi-line message (ArgumentParser appends usage), and
      // any control character left in it (an echoed value) escaped.
      let firstLine = LogitDyn.message(for: error)
        .split(whereSeparator: \.isNewline)
        .first.map(String.init) ?? "\(error)"
      let message = JSONNode.printable(firstLine, limit: 2000)
      FileHandle.standardError.write(Data("logitdyn: error: \(message)\n".utf8))
      Foundation.exit(code.rawValue)
    }
  }
}

/// The version string printed by `logitdyn --version`.
public enum LogitDynVersion {
  /// Semantic version of the package.
  public static let string = "0.1.0"
}
