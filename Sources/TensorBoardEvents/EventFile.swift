import Diagnostics
import Foundation
import StrictJSON
import SwiftProtobuf

/// One scalar of a TensorBoard event file: a tag's value at a step.
public struct ScalarPoint: Sendable, Equatable {
  /// The tag (`actor/entropy`, `train/reward`).
  public var tag: String
  /// The global step.
  public var step: Int
  /// Seconds since the epoch when it was written.
  public var wallTime: Double
  /// The value (`NaN` or `±inf` as written).
  public var value: Double

  /// A point of `tag`.
  public init(tag: String, step: Int, wallTime: Double, value: Double) {
    self.tag = tag
    self.step = step
    self.wallTime = wallTime
    self.value = value
  }
}

/// The scalars of TensorBoard event files (`events.out.tfevents.*`), as TensorBoard itself,
/// `torch.utils.tensorboard.SummaryWriter` (TRL, transformers) and verl's tracking write them:
/// TFRecord-framed `tensorboard.Event` protocol buffers decoded with apple/swift-protobuf
/// (the types generated from TensorBoard's own descriptors, `Generated/`).
///
/// A scalar is a `Summary.Value` holding a `simple_value` (TensorBoard 1.x style, torch's
/// default) or a rank-0 tensor of a real or integer type (`tensorboard.summary` and
/// TensorFlow 2, the `scalars` plugin). Other values (histograms, images, text, tensors of
/// rank > 0) are counted and skipped.
public struct EventFile: Sendable {
  /// The file.
  public let path: String
  /// Its scalars, in file order.
  public private(set) var scalars: [ScalarPoint] = []
  /// Values that are not scalars (histograms, images, text, …), skipped.
  public private(set) var skippedValues = 0
  /// Events read.
  public private(set) var events = 0
  /// Set when the file ends inside a record (a run still writing it): the note to show.
  public private(set) var truncationNote: String?

  /// The largest event file read: 4 GiB.
  public static let maximumFileBytes = 4 << 30

  /// Reads `path`.
  ///
  /// - Throws: `MessageError` naming the file and the record's byte offset for a corrupt
  ///   record (a CRC mismatch, a protocol buffer that does not decode).
  /// - Complexity: O(n) for `n` bytes.
  public init(path: String) throws(MessageError) {
    let bytes: [UInt8]
    do { bytes = try UntrustedFile.read(path: path, limit: Self.maximumFileBytes) } catch { throw MessageError("\(error)") }
    try self.init(bytes: bytes, path: path)
  }

  /// Reads the bytes of an event file (`path` for messages).
  public init(bytes: [UInt8], path: String) throws(MessageError) {
    self.path = path
    let result: Result<(records: [Range<Int>], ending: TFRecord.Ending), TFRecordError> = bytes.withUnsafeBytes { raw in
      Result { () throws(TFRecordError) in try TFRecord.records(raw) }
    }
    let framed: (records: [Range<Int>], ending: TFRecord.Ending)
    switch result {
    case .success(let r): framed = r
    case .failure(let error): throw MessageError("\(path): \(error)")
    }
    if case .truncated(let offset) = framed.ending {
      truncationNote = "\(path): the file ends inside the record at byte \(offset) (still being written?); the \(framed.records.count) records before it were read"
    }
    for range in framed.records {
      let event: Tensorboard_Event
      do { event = try Tensorboard_Event(serializedBytes: Array(bytes[range])) } catch {
        throw MessageError("\(path): record at byte \(range.lowerBound - 12): not a tensorboard.Event (\(error))")
      }
      events += 1
      guard case .summary(let summary)? = event.what else { continue }
      for value in summary.value {
        if let v = Self.scalar(value) {
          scalars.append(ScalarPoint(tag: value.tag, step: Int(event.step), wallTime: event.wallTime, value: v))
        } else {
          skippedValues += 1
        }
      }
    }
  }

  /// The scalar of a summary value: a `simple_value`, or a rank-0 tensor of a real or integer
  /// type (in its typed field or its little-endian `tensor_content`); `nil` otherwise.
  static func scalar(_ value: Tensorboard_Summary.Value) -> Double? {
    switch value.value {
    case .simpleValue(let f)?: return Double(f)
    case .tensor(let t)?:
      guard t.tensorShape.dim.isEmpty || t.tensorShape.dim.allSatisfy({ $0.size == 1 }) else { return nil }
      let content = t.tensorContent
      func fromContent<T: FixedWidthInteger>(_: T.Type) -> T? {
        content.count == MemoryLayout<T>.size ? content.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(as: T.self)) } : nil
      }
      switch t.dtype {
      case .dtFloat: return t.floatVal.first.map(Double.init) ?? fromContent(UInt32.self).map { Double(Float(bitPattern: $0)) }
      case .dtDouble: return t.doubleVal.first ?? fromContent(UInt64.self).map { Double(bitPattern: $0) }
      case .dtHalf: return (t.halfVal.first.map { UInt16(truncatingIfNeeded: $0) } ?? fromContent(UInt16.self)).map { Double(Float(Float16(bitPattern: $0))) }
      case .dtBfloat16: return (t.halfVal.first.map { UInt16(truncatingIfNeeded: $0) } ?? fromContent(UInt16.self)).map { Double(Float(bitPattern: UInt32($0) << 16)) }
      case .dtInt32, .dtInt16, .dtInt8, .dtUint8, .dtUint16: return t.intVal.first.map(Double.init) ?? fromContent(UInt32.self).map { Double(Int32(bitPattern: $0)) }
      case .dtInt64: return t.int64Val.first.map(Double.init) ?? fromContent(UInt64.self).map { Double(Int64(bitPattern: $0)) }
      case .dtBool: return t.boolVal.first.map { $0 ? 1 : 0 }
      default: return nil
      }
    default: return nil
    }
  }
}
