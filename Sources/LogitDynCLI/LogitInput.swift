import ArgumentParser
import Foundation
import LogitDynamics

/// The options that say where the logits come from and at what temperature to read them.
public struct LogitInputOptions: ParsableArguments {
  @Option(
    name: .long, parsing: .unconditional,
    help: ArgumentHelp(
      "Logits, separated by commas or spaces (e.g. 2,1,0.5,-1). '-inf' marks a masked action.",
      valueName: "z1,z2,..."))
  var logits: String?

  @Option(
    name: .customLong("logits-file"),
    help: ArgumentHelp(
      "Read the logits from a text file: numbers separated by commas, spaces or newlines (a JSON array works).",
      valueName: "path"))
  var logitsFile: String?

  @Option(name: .long, parsing: .unconditional, help: "Softmax temperature τ > 0; p = softmax(z/τ).")
  var temperature: Double = 1

  public init() {}

  /// The validated logits and temperature.
  ///
  /// - Throws: ``CLIError`` naming a missing, malformed, NaN or infinite entry.
  func load() throws -> (logits: [Double], temperature: Double) {
    let text: String
    let source: String
    switch (logits, logitsFile) {
    case (nil, nil):
      throw CLIError("no logits given: use --logits z1,z2,... or --logits-file PATH")
    case (.some, .some):
      throw CLIError("give the logits either inline (--logits) or from a file (--logits-file), not both")
    case (let inline?, nil):
      text = inline
      source = "--logits"
    case (nil, let path?):
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw CLIError("cannot read logits file '\(path)': no such file")
      }
      guard !isDirectory.boolValue else { throw CLIError("cannot read logits file '\(path)': it is a directory") }
      do {
        text = try String(contentsOfFile: path, encoding: .utf8)
      } catch {
        throw CLIError("cannot read logits file '\(path)': not readable UTF-8 text")
      }
      source = "'\(path)'"
    }
    let values = try Self.parseNumbers(text, source: source)
    try validateLogits(values)
    try validateTemperature(temperature)
    return (values, temperature)
  }

  /// Splits `text` on commas, whitespace and JSON brackets and parses each field as a number.
  static func parseNumbers(_ text: String, source: String) throws -> [Double] {
    let separators = CharacterSet(charactersIn: ",[]").union(.whitespacesAndNewlines)
    let fields = text.components(separatedBy: separators).filter { !$0.isEmpty }
    var values: [Double] = []
    values.reserveCapacity(fields.count)
    for (i, field) in fields.enumerated() {
      guard let v = Double(field) else {
        throw CLIError("logit \(i) in \(source) is not a number: '\(field)'")
      }
      values.append(v)
    }
    if values.isEmpty { throw CLIError("the logit vector in \(source) is empty") }
    return values
  }

}
