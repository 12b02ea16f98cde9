import Foundation
import SwiftProtobuf

extension Tensorboard_Event {
  /// The first event of a file: `file_version = "brain.Event:2"`.
  public static func fileVersion(wallTime: Double) -> Tensorboard_Event {
    var event = Tensorboard_Event()
    event.wallTime = wallTime
    event.fileVersion = "brain.Event:2"
    return event
  }

  /// A scalar point: `{wall_time, step, summary {value {tag, simple_value}}}`, the value
  /// stored as a `Float` (TensorBoard's `simple_value`, as torch's `SummaryWriter` writes it).
  public static func scalar(tag: String, step: Int, wallTime: Double, value: Double) -> Tensorboard_Event {
    var summaryValue = Tensorboard_Summary.Value()
    summaryValue.tag = tag
    summaryValue.simpleValue = Float(value)
    var event = Tensorboard_Event()
    event.wallTime = wallTime
    event.step = Int64(step)
    event.summary.value = [summaryValue]
    return event
  }

  /// The event serialised and framed as one TFRecord record.
  public var framedRecord: Data {
    // Proto3 messages have no required fields: serialisation cannot fail.
    do { return TFRecord.frame(try serializedBytes()) } catch { preconditionFailure("an Event did not serialise: \(error)") }
  }
}
