import Configuration
import PGLab
import PolicyLosses
import StrictJSON
import TOMLKit

/// The configuration files of `logitdyn run --config` and `logitdyn loss --config`, read into
/// typed configurations through their one schema (no command line is rebuilt from them).
///
/// A lab file has the keys of ``LabConfiguration/fields`` at the top level (`-` or `_` alike)
/// or in a `[run]` table (the sweep format, without `[sweep]`), and an optional `[loss]` table
/// with the loss's `name` and its verl-named parameters:
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
///
/// Unknown keys are errors that name the file, the line and the valid keys.
public enum ConfigurationFile {
  /// The lab configuration of `path`.
  public static func lab(path: String) throws(SweepError) -> LabConfiguration {
    let text = try read(path)
    let table = try TOMLText.parse(text, path: path)
    if table["run"]?.table != nil || table["game"]?.table != nil {
      let config = try SweepConfig(text: text, path: path)
      guard config.sweep.isEmpty else { throw SweepError("\(path) describes a sweep: run it with `logitdyn sweep run`") }
      guard config.kind == "run" else { throw SweepError("\(path) describes a game run: use `logitdyn sweep run` for [game] files") }
      return try labJob(config)
    }
    return try labJob(SweepConfig(text: text, path: path, flat: true))
  }

  static func labJob(_ config: SweepConfig) throws(SweepError) -> LabConfiguration {
    do {
      guard case .lab(let c) = try config.expand()[0].job() else { throw SweepError("not a lab run") }
      return c
    } catch { throw SweepError("\(config.path): \(error)") }
  }

  /// The loss of `path`: a `[loss]` table with `name` and verl-named parameters (unknown keys
  /// are errors that list the valid ones).
  public static func loss(path: String) throws(SweepError) -> (name: String, parameters: [String: String]) {
    let text = try read(path)
    let table = try TOMLText.parse(text, path: path)
    for key in table.keys where key != "loss" {
      throw SweepError("\(path): unknown field or table '\(key)' (a loss configuration has one [loss] table: name and its parameters)")
    }
    guard let loss = table["loss"]?.table, let name = loss["name"]?.string else {
      throw SweepError("\(path): the [loss] table needs name = \"…\"")
    }
    var parameters: [String: String] = [:]
    for key in loss.keys.sorted() where key != "name" {
      guard VerlParameters.knownKeys.contains(key) else {
        throw SweepError("\(path): unknown field 'loss.\(key)' (fields: name, \(VerlParameters.keyList))")
      }
      let value = loss[key]!
      switch value.type {
      case .string: parameters[key] = value.string!
      case .int: parameters[key] = String(value.int!)
      case .double: parameters[key] = "\(value.double!)"
      case .bool: parameters[key] = value.bool! ? "true" : "false"
      default: throw SweepError("\(path): loss.\(key) must be a string, number or boolean")
      }
    }
    return (name, parameters)
  }

  static func read(_ path: String) throws(SweepError) -> String {
    do { return try UntrustedFile.text(path: path, limit: SweepConfig.maximumFileBytes) } catch { throw SweepError("cannot read the config file \(error)") }
  }
}
