import Foundation
import StrictJSON
import Sweeps
import TOMLKit

/// A configuration file is a saved command line: `logitdyn run --config FILE.toml` (or `loss`)
/// reads the file's keys as the subcommand's options and then applies the command line's own,
/// which win. A file in the sweep format (a `[run]` table and an optional `[loss]` table, no
/// `[sweep]`) works too, checked against the sweep schema (errors name the line and field).
///
/// Top-level keys are long option names (`-` or `_` alike): `arms = 10` is `--arms 10`, a list
/// `hidden = [32, 32]` is `--hidden 32,32`, `quiet = true` is the flag `--quiet` (false
/// omits it). A `[loss]` table names the loss (`name = "kl_cov"`) and its parameters, each a
/// `--set key=value`:
///
/// ```toml
/// env = "contextual-bandit"
/// dim = 8
/// arms = 4
/// policy = "mlp"
/// hidden = [32, 32]
/// optimizer = "adam"
/// lr = 0.003
/// runs = 64
/// steps = 500
///
/// [loss]
/// name = "kl_cov"
/// kl_cov_ratio = 0.2
/// ppo_kl_coef = 1.0
/// ```
enum ConfigFile {
  /// The command line of `path` for a subcommand.
  static func arguments(path: String) throws -> [String] {
    let text: String
    do { text = try UntrustedFile.text(path: path, limit: SweepConfig.maximumFileBytes) } catch { throw CLIError("cannot read the config file \(error)") }
    let table: TOMLTable
    do { table = try TOMLText.parse(text, path: path) } catch { throw CLIError("\(error)") }
    // A sweep-style file ([run] or [game] table, [loss]): read with the sweep schema (errors name
    // the line and the field); one run only.
    if table["run"]?.table != nil || table["game"]?.table != nil {
      let config: SweepConfig
      do { config = try SweepConfig(text: text, path: path) } catch { throw CLIError("\(error)") }
      guard config.sweep.isEmpty else { throw CLIError("\(path) describes a sweep: run it with `logitdyn sweep run`") }
      guard config.kind == "run" else { throw CLIError("\(path) describes a game run: use `logitdyn sweep run` for [game] files") }
      return config.expand()[0].arguments
    }
    var out: [String] = []
    for key in table.keys.sorted() {
      guard let value = table[key] else { continue }
      if key == "loss", let loss = value.table {
        guard let name = loss["name"]?.string else { throw CLIError("\(path): the [loss] table needs a name = \"…\"") }
        out += ["--loss", name]
        for parameter in loss.keys.sorted() where parameter != "name" {
          out += ["--set", "\(parameter)=\(try scalar(loss[parameter]!, key: parameter, path: path))"]
        }
        continue
      }
      let option = "--" + key.replacingOccurrences(of: "_", with: "-")
      if value.type == .bool {
        if value.bool == true { out.append(option) }
        continue
      }
      out += [option, try scalar(value, key: key, path: path)]
    }
    return out
  }

  static func scalar(_ value: any TOMLValueConvertible, key: String, path: String) throws -> String {
    switch value.type {
    case .string: return value.string!
    case .int: return String(value.int!)
    case .double: return "\(value.double!)"
    case .bool: return value.bool! ? "true" : "false"
    case .array: return try value.array!.map { try scalar($0, key: key, path: path) }.joined(separator: ",")
    default: throw CLIError("\(path): \(key) must be a string, number, boolean or list")
    }
  }

  /// `arguments` with every `--config FILE` after a subcommand replaced by the file's options
  /// (placed before the command line's own, so that the command line wins).
  static func expand(_ arguments: [String]) throws -> [String] {
    guard let at = arguments.firstIndex(of: "--config") else { return arguments }
    guard at + 1 < arguments.count else { throw CLIError("--config needs a file") }
    guard at >= 1, ["run", "loss"].contains(arguments[0]) else { throw CLIError("--config applies to the run and loss subcommands") }
    let fromFile = try Self.arguments(path: arguments[at + 1])
    var rest = arguments
    rest.removeSubrange(at...(at + 1))
    return [rest[0]] + fromFile + rest.dropFirst()
  }
}
