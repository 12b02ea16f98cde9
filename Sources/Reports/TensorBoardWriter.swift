import Foundation
import TensorBoardEvents

/// Writes scalar series as a TensorBoard event file (`events.out.tfevents.<time>.<host>`): a
/// TFRecord stream (`u64 length, masked CRC-32C of the length, data, masked CRC-32C of the
/// data`) of `Event` protocol buffers — a version record (`file_version = "brain.Event:2"`)
/// then, per point, `{wall_time, step, summary {value {tag, simple_value}}}` — so that
/// TensorBoard (and its `EventAccumulator`) reads the series next to an LLM run's logs.
public struct TensorBoardWriter {
  var data = Data()
  let wallTime: Double

  /// A writer whose events carry `wallTime` (seconds since 1970).
  public init(wallTime: Double = Date().timeIntervalSince1970) {
    self.wallTime = wallTime
    var event = Data()
    event.append(0x09)
    Self.appendDouble(&event, wallTime)
    event.append(0x1A)
    Self.appendBytes(&event, Data("brain.Event:2".utf8))
    append(record: event)
  }

  /// Adds `value` of scalar `tag` at `step` (stored as `Float`, TensorBoard's `simple_value`).
  ///
  /// - Complexity: O(|tag|), amortised.
  public mutating func add(tag: String, step: Int, value: Double) {
    var summaryValue = Data()
    summaryValue.append(0x0A)
    Self.appendBytes(&summaryValue, Data(tag.utf8))
    summaryValue.append(0x15)
    var bits = Float(value).bitPattern.littleEndian
    withUnsafeBytes(of: &bits) { summaryValue.append(contentsOf: $0) }
    var summary = Data()
    summary.append(0x0A)
    Self.appendBytes(&summary, summaryValue)
    var event = Data()
    event.append(0x09)
    Self.appendDouble(&event, wallTime)
    event.append(0x10)
    Self.appendVarint(&event, UInt64(bitPattern: Int64(step)))
    event.append(0x2A)
    Self.appendBytes(&event, summary)
    append(record: event)
  }

  /// The event file's bytes.
  public var bytes: Data { data }

  /// The conventional file name, `events.out.tfevents.<seconds>.<host>`.
  public static func fileName(wallTime: Double = Date().timeIntervalSince1970) -> String {
    "events.out.tfevents.\(Int(wallTime)).\(ProcessInfo.processInfo.hostName)"
  }

  mutating func append(record: Data) {
    var length = UInt64(record.count).littleEndian
    let lengthBytes = withUnsafeBytes(of: &length) { Data($0) }
    data.append(lengthBytes)
    Self.appendUInt32(&data, Self.maskedCRC(lengthBytes))
    data.append(record)
    Self.appendUInt32(&data, Self.maskedCRC(record))
  }

  static func appendVarint(_ d: inout Data, _ v: UInt64) {
    var v = v
    while v >= 0x80 {
      d.append(UInt8(v & 0x7F) | 0x80)
      v >>= 7
    }
    d.append(UInt8(v))
  }

  static func appendBytes(_ d: inout Data, _ bytes: Data) {
    appendVarint(&d, UInt64(bytes.count))
    d.append(bytes)
  }

  static func appendDouble(_ d: inout Data, _ x: Double) {
    var bits = x.bitPattern.littleEndian
    withUnsafeBytes(of: &bits) { d.append(contentsOf: $0) }
  }

  static func appendUInt32(_ d: inout Data, _ x: UInt32) {
    var v = x.littleEndian
    withUnsafeBytes(of: &v) { d.append(contentsOf: $0) }
  }

  /// `crc32c(bytes)`: the CRC-32C (Castagnoli) of `bytes` (``TFRecord``'s, shared with the
  /// event-file reader).
  ///
  /// - Complexity: O(n) for `n` bytes.
  public static func crc32c(_ bytes: Data) -> UInt32 { TFRecord.crc32c(bytes) }

  /// TFRecord's masking: `((crc ≫ 15) | (crc ≪ 17)) + 0xa282ead8`.
  static func maskedCRC(_ bytes: Data) -> UInt32 {
    TFRecord.masked(TFRecord.crc32c(bytes))
  }
}
