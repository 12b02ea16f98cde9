// libFuzzer target: one JSON-lines record through `JSONLineParser` (run-log's strict parser),
// checked against `StrictJSON` (the package's RFC 8259 parser): a line StrictJSON reads as an
// object (not too deep) must be read by ours with the same keys in the same order, the same
// strings, and every finite number bit for bit.
import FuzzSupport
import RunLogs
import StrictJSON

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONL(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = UnsafeRawBufferPointer(start: data, count: size)
  let ours = try? JSONLineParser.parse(bytes)
  guard let reference = try? StrictJSON.parse(bytes, maxDepth: 60), let members = reference.members else {
    blackHole(ours)
    return 0
  }
  guard let ours else { preconditionFailure("StrictJSON reads this object, JSONLineParser refuses it") }
  precondition(ours.members.map(\.key) == members.map(\.key), "the keys differ")
  for (m, o) in zip(members, ours.members) {
    switch (m.value, o.value) {
    case (.number(let n), .number(let x)):
      if let d = n.finiteDouble { precondition(d.bitPattern == x.bitPattern || (d == 0 && x == 0), "\(n.literal): \(x), StrictJSON \(d)") }
    case (.string(let a), .string(let b)): precondition(a == b, "a string differs")
    case (.bool(let a), .bool(let b)): precondition(a == b, "a boolean differs")
    case (.null, .null): break
    case (.array(let items), .numbers(let values, _)):
      precondition(items.count == values.count, "an array's length differs")
      for (item, v) in zip(items, values) {
        if let n = item.number {
          // A literal beyond the double range is ±inf (or 0) in ours; StrictJSON has no double for it.
          if let d = n.finiteDouble { precondition(d.bitPattern == v.bitPattern || (d == 0 && v == 0), "\(n.literal): \(v), StrictJSON \(d)") }
          else { precondition(!v.isFinite || v == 0, "\(n.literal): \(v)") }
        } else {
          precondition(item == .null && v.isNaN, "a null in an array")
        }
      }
    case (.array(let items), .bools(let values)): precondition(items.map { $0 == .bool(true) } == values, "a boolean array differs")
    case (.array(let items), .strings(let values)): precondition(items.map { $0.string ?? "" } == values, "a string array differs")
    case (.array, .json), (.object, .json): break
    default: preconditionFailure("\(m.key): StrictJSON \(m.value.typeName), ours \(o.value.typeName)")
    }
  }
  return 0
}
