#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file mapped read-only into memory (`mmap`), so that gigabytes of logits are read
/// straight from the page cache without a copy.
///
/// Pages are only resident while touched; ``release(byteRange:)`` drops a processed range
/// from this process's resident set (`madvise(MADV_DONTNEED)`), which keeps the peak
/// resident memory of a streaming pass bounded however large the file.
public final class MappedFile: @unchecked Sendable {
  /// The path the file was opened from.
  public let path: String
  /// The file size in bytes.
  public let size: Int
  /// The first byte of the mapping (nil for an empty file).
  public let base: UnsafeRawPointer?

  /// Maps `path` read-only.
  ///
  /// - Throws: ``TensorFileError`` when the file cannot be opened, is not a regular file,
  ///   or cannot be mapped.
  public init(path: String) throws(TensorFileError) {
    self.path = path
    // O_NONBLOCK: opening a FIFO or a device must not wait for a writer; the descriptor is
    // checked to be a regular file before anything is read.
    let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else {
      throw TensorFileError(path, "cannot open: \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else {
      throw TensorFileError(path, "cannot stat: \(String(cString: strerror(errno)))")
    }
    guard (st.st_mode & S_IFMT) == S_IFREG else { throw TensorFileError(path, "not a regular file") }
    size = Int(st.st_size)
    if size == 0 {
      base = nil
      return
    }
    let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
    guard let p, p != MAP_FAILED else {
      throw TensorFileError(path, "cannot map into memory: \(String(cString: strerror(errno)))")
    }
    _ = madvise(p, size, MADV_SEQUENTIAL)
    base = UnsafeRawPointer(p)
  }

  deinit {
    if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
  }

  /// The bytes `range` of the file.
  ///
  /// - Precondition: `range` lies within the file.
  public func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
    precondition(range.lowerBound >= 0 && range.upperBound <= size, "byte range \(range) outside \(path)")
    guard let base else { return UnsafeRawBufferPointer(start: nil, count: 0) }
    return UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
  }

  /// Drops the pages of `byteRange` from the resident set (they stay in the page cache
  /// and are read again on the next touch).
  public func release(byteRange: Range<Int>) {
    guard let (p, length) = pageAligned(byteRange) else { return }
    _ = madvise(p, length, MADV_DONTNEED)
  }

  /// `byteRange` widened down to a page boundary and clipped to the file, as `madvise` wants it.
  private func pageAligned(_ byteRange: Range<Int>) -> (UnsafeMutableRawPointer, Int)? {
    guard let base, !byteRange.isEmpty else { return nil }
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let start = (byteRange.lowerBound / page) * page
    let end = min(size, byteRange.upperBound)
    guard end > start else { return nil }
    return (UnsafeMutableRawPointer(mutating: base + start), end - start)
  }

  /// Maps the pages of `byteRange` in one call (`MADV_POPULATE_READ`, Linux 5.14+; else
  /// `MADV_WILLNEED`), instead of one page fault per 4 KiB as the data is first touched.
  public func prefetch(byteRange: Range<Int>) {
    guard let (p, length) = pageAligned(byteRange) else { return }
    #if os(Linux)
    let populateRead: Int32 = 22
    if madvise(p, length, populateRead) == 0 { return }
    #endif
    _ = madvise(p, length, MADV_WILLNEED)
  }
}
