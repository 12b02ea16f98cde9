import Foundation

/// TensorFlow's record framing, as TensorBoard event files use it: each record is
/// `u64 length (little-endian), u32 masked CRC-32C of those 8 bytes, length bytes of data,
/// u32 masked CRC-32C of the data`.
public enum TFRecord {
  /// The CRC-32C (Castagnoli) table: reflected polynomial `0x82F63B78`.
  static let table: [UInt32] = (0..<256).map { i -> UInt32 in
    var c = UInt32(i)
    for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
    return c
  }

  /// `crc32c(bytes)`: the CRC-32C of `bytes`, initial value and final xor `0xFFFFFFFF`, a
  /// table lookup per byte.
  ///
  /// - Complexity: O(n) for `n` bytes.
  public static func crc32c(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    table.withUnsafeBufferPointer { t in
      for b in bytes { c = t[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
    }
    return c ^ 0xFFFF_FFFF
  }

  /// `crc32c` of `bytes`.
  public static func crc32c(_ bytes: Data) -> UInt32 { bytes.withUnsafeBytes { crc32c($0) } }

  /// TFRecord's masking of a CRC: `((crc ≫ 15) | (crc ≪ 17)) + 0xa282ead8`.
  public static func masked(_ crc: UInt32) -> UInt32 { ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8 }

  /// The framed record of `data`.
  public static func frame(_ data: Data) -> Data {
    var out = Data(capacity: data.count + 16)
    var length = UInt64(data.count).littleEndian
    let lengthBytes = withUnsafeBytes(of: &length) { Data($0) }
    out.append(lengthBytes)
    var c1 = masked(crc32c(lengthBytes)).littleEndian
    out.append(withUnsafeBytes(of: &c1) { Data($0) })
    out.append(data)
    var c2 = masked(crc32c(data)).littleEndian
    out.append(withUnsafeBytes(of: &c2) { Data($0) })
    return out
  }

  /// Where a stream of records stopped short.
  public enum Ending: Sendable, Equatable {
    /// The last record is complete.
    case complete
    /// The stream ends inside a record that starts at `offset`: a file still being written
    /// (or cut short). The records before it are complete.
    case truncated(offset: Int)
  }

  /// The records of `bytes`, each checked against both CRCs; a record cut short at the end is
  /// reported in `ending`, not as an error. A CRC mismatch or a length past the end of a
  /// complete-looking stream is an error naming the record's offset.
  ///
  /// - Complexity: O(n) for `n` bytes.
  public static func records(_ bytes: UnsafeRawBufferPointer) throws(TFRecordError) -> (records: [Range<Int>], ending: Ending) {
    var out: [Range<Int>] = []
    var at = 0
    func u32(_ i: Int) -> UInt32 { UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt32.self)) }
    while at < bytes.count {
      guard bytes.count - at >= 12 else { return (out, .truncated(offset: at)) }
      let length = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
      guard masked(crc32c(UnsafeRawBufferPointer(rebasing: bytes[at..<(at + 8)]))) == u32(at + 8) else {
        throw TFRecordError(offset: at, "the length's CRC does not match: not a TFRecord stream, or corrupt")
      }
      guard length <= UInt64(bytes.count - at - 12) else {
        if length > 1 << 40 { throw TFRecordError(offset: at, "a record of \(length) bytes: corrupt") }
        return (out, .truncated(offset: at))
      }
      let start = at + 12, end = start + Int(length)
      guard end + 4 <= bytes.count else { return (out, .truncated(offset: at)) }
      guard masked(crc32c(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))) == u32(end) else {
        throw TFRecordError(offset: at, "the data's CRC does not match: corrupt")
      }
      out.append(start..<end)
      at = end + 4
    }
    return (out, .complete)
  }
}

/// A corrupt TFRecord stream: the record's byte offset and the problem.
public struct TFRecordError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Byte offset of the record.
  public let offset: Int
  /// What is wrong.
  public let problem: String
  /// An error at the record at byte `offset`.
  public init(offset: Int, _ problem: String) {
    self.offset = offset
    self.problem = problem
  }
  /// `record at byte N: problem`.
  public var description: String { "record at byte \(offset): \(problem)" }
}
