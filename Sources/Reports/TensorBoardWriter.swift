import Foundation
import TensorBoardEvents

/// Writes scalar series as a TensorBoard event file (`events.out.tfevents.<time>.<host>`): a
/// ``TFRecord`` stream of `tensorboard.Event` protocol buffers (the types the reader decodes):
/// a version record (`file_version = "brain.Event:2"`) then, per point, `{wall_time, step, summary {value {tag, simple_value}}}` — so that
/// TensorBoard (and its `EventAccumulator`) reads the series next to an LLM run's logs.
public struct TensorBoardWriter {
  var data = Data()
  let wallTime: Double

  /// A writer whose events carry `wallTime` (seconds since 1970).
  public init(wallTime: Double = Date().timeIntervalSince1970) {
    self.wallTime = wallTime
    data.append(Tensorboard_Event.fileVersion(wallTime: wallTime).framedRecord)
  }

  /// Adds `value` of scalar `tag` at `step` (stored as `Float`, TensorBoard's `simple_value`).
  ///
  /// - Complexity: O(|tag|), amortised.
  public mutating func add(tag: String, step: Int, value: Double) {
    data.append(Tensorboard_Event.scalar(tag: tag, step: step, wallTime: wallTime, value: value).framedRecord)
  }

  /// The event file's bytes.
  public var bytes: Data { data }

  /// The conventional file name, `events.out.tfevents.<seconds>.<host>`.
  public static func fileName(wallTime: Double = Date().timeIntervalSince1970) -> String {
    "events.out.tfevents.\(Int(wallTime)).\(ProcessInfo.processInfo.hostName)"
  }
}
