#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes of one fuzz input written to a file the path-based readers can open (they map
/// files, and check that what they open is a regular file). The file lives in `/dev/shm`
/// (memory) where it exists, else in `/tmp`, is named for the process and the extension the
/// reader dispatches on, and is overwritten by the next input.
public enum ScratchFile {
  /// Writes `bytes` to the process's scratch file for `ext` and returns its path.
  public static func write(_ bytes: UnsafeBufferPointer<UInt8>, ext: String) -> String {
    let folder = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
    let path = "\(folder)/logitdyn-fuzz-\(getpid()).\(ext)"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    precondition(fd >= 0, "cannot create \(path)")
    var done = 0
    while done < bytes.count {
      let n = systemWrite(fd, bytes.baseAddress! + done, bytes.count - done)
      precondition(n > 0, "cannot write \(path)")
      done += n
    }
    close(fd)
    return path
  }
}

/// Keeps a computed value alive so the optimiser cannot drop the work that produced it.
@inline(never) public func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif
