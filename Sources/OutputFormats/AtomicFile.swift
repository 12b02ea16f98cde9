import Diagnostics
import Foundation

/// Writes a file so that readers never see it half-written: the bytes go to a temporary file
/// in the same directory, which is renamed over the destination only when complete.
public struct AtomicFileWriter {
  /// The destination path.
  public let path: String
  let temporaryPath: String
  let handle: FileHandle
  var buffer = Data()
  var committed = false

  /// Bytes buffered before a write to the temporary file.
  static let flushThreshold = 1 << 20

  /// Opens a temporary file next to `path`.
  ///
  /// - Throws: an error naming the path when the directory is not writable.
  public init(path: String) throws {
    self.path = path
    let dir = (path as NSString).deletingLastPathComponent
    let name = (path as NSString).lastPathComponent
    temporaryPath = (dir.isEmpty ? "." : dir) + "/.\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    guard FileManager.default.createFile(atPath: temporaryPath, contents: nil) else {
      throw OutputError("cannot create '\(path)': directory missing or not writable")
    }
    guard let h = FileHandle(forWritingAtPath: temporaryPath) else {
      throw OutputError("cannot open '\(temporaryPath)' for writing")
    }
    handle = h
  }

  /// Appends bytes.
  public mutating func write(_ data: Data) throws {
    buffer.append(data)
    if buffer.count >= Self.flushThreshold { try flush() }
  }

  /// Appends UTF-8 text.
  public mutating func write(_ text: String) throws { try write(Data(text.utf8)) }

  mutating func flush() throws {
    guard !buffer.isEmpty else { return }
    do {
      try handle.write(contentsOf: buffer)
    } catch {
      throw OutputError("cannot write '\(path)': \(error.localizedDescription)")
    }
    buffer.removeAll(keepingCapacity: true)
  }

  /// Flushes, closes and renames the temporary file over the destination.
  public mutating func commit() throws { try commit(to: path) }

  /// Flushes, closes and renames the temporary file to `destination` (in the same directory),
  /// e.g. `series.interrupted.csv` for a run stopped by Ctrl-C.
  public mutating func commit(to destination: String) throws {
    try flush()
    try handle.synchronize()
    try handle.close()
    guard rename(temporaryPath, destination) == 0 else {
      let reason = String(cString: strerror(errno))
      unlink(temporaryPath)
      throw OutputError("cannot move the finished file to '\(destination)': \(reason)")
    }
    committed = true
  }

  /// Removes the temporary file of an abandoned write.
  public func abandon() {
    if !committed {
      try? handle.close()
      unlink(temporaryPath)
    }
  }

  /// Writes `data` to `path` atomically.
  public static func write(_ data: Data, to path: String) throws {
    var writer = try AtomicFileWriter(path: path)
    do {
      try writer.write(data)
      try writer.commit()
    } catch {
      writer.abandon()
      throw error
    }
  }
}

/// An error writing output, naming the file.
///
/// The package's one message-error type (``Diagnostics/MessageError``) under this module's name.
public typealias OutputError = MessageError
