#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading a whole file that a user named: only regular files (a FIFO, a device or a
/// directory is an error at once, never a wait), and never more than a stated number of
/// bytes (the size is checked before anything is read).
public enum UntrustedFile {
  /// Why a file could not be read: the path and the problem.
  public struct Failure: Error, Sendable, CustomStringConvertible {
    /// The file.
    public let path: String
    /// What went wrong.
    public let problem: String
    /// `"path: problem"`.
    public var description: String { "\(path): \(problem)" }
  }

  /// The bytes of the regular file `path`, at most `limit` of them.
  public static func read(path: String, limit: Int) throws(Failure) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else {
      let problem = errno == ENOENT ? "no such file" : "cannot open: \(String(cString: strerror(errno)))"
      throw Failure(path: path, problem: problem)
    }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw Failure(path: path, problem: "cannot stat: \(String(cString: strerror(errno)))") }
    guard (st.st_mode & S_IFMT) == S_IFREG else {
      let kind: String
      switch st.st_mode & S_IFMT {
      case S_IFDIR: kind = "a directory"
      case S_IFIFO: kind = "a FIFO"
      case S_IFCHR, S_IFBLK: kind = "a device"
      case S_IFSOCK: kind = "a socket"
      default: kind = "not a regular file"
      }
      throw Failure(path: path, problem: "\(kind), not a regular file")
    }
    let size = Int(st.st_size)
    guard size <= limit else { throw Failure(path: path, problem: "\(size) bytes, more than the \(limit) this reader accepts") }
    var out = [UInt8](repeating: 0, count: size)
    var done = 0
    while done < size {
      let n = out.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress! + done, size - done) }
      if n < 0 {
        if errno == EINTR || errno == EAGAIN { continue }
        throw Failure(path: path, problem: "cannot read: \(String(cString: strerror(errno)))")
      }
      if n == 0 { break }
      done += n
    }
    // A file that shrank while read is read as what was there.
    if done < size { out.removeSubrange(done...) }
    return out
  }

  /// The file as UTF-8 text (see ``read(path:limit:)``); invalid UTF-8 is an error naming
  /// the byte offset.
  public static func text(path: String, limit: Int) throws(Failure) -> String {
    let bytes = try read(path: path, limit: limit)
    var parser = Unicode.UTF8.ForwardParser()
    var iterator = bytes.makeIterator()
    var offset = 0
    while true {
      switch parser.parseScalar(from: &iterator) {
      case .valid(let encoded): offset += encoded.count
      case .emptyInput: return String(decoding: bytes, as: UTF8.self)
      case .error: throw Failure(path: path, problem: "not UTF-8 text (invalid byte at offset \(offset))")
      }
    }
  }
}

private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
  #if canImport(Glibc)
  return Glibc.read(fd, buffer, count)
  #else
  return Darwin.read(fd, buffer, count)
  #endif
}
