import Foundation

/// An `--out` directory that is only created once there is something to write into it, and
/// removed again (when this command created it) if the writing fails: a failed command
/// leaves nothing behind.
struct OutputDirectory {
  /// The directory's path.
  let path: String
  /// Whether the directory existed before the command.
  let existed: Bool
  private(set) var created = false

  /// Checks `path` without creating anything: it must be a directory or not exist.
  init(_ path: String, option: String = "--out") throws {
    self.path = path
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else { throw CLIError("\(option) '\(path)' exists and is not a directory") }
      existed = true
    } else {
      existed = false
    }
  }

  /// Creates the directory when it does not exist yet.
  mutating func create() throws {
    guard !existed, !created else { return }
    do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
      throw CLIError("cannot create the output directory '\(path)': \(error.localizedDescription)")
    }
    created = true
  }

  /// Removes the directory if this command created it (after a failure).
  func removeIfCreated() {
    if created { try? FileManager.default.removeItem(atPath: path) }
  }
}
