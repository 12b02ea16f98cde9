// libFuzzer target: the run-log readers on hostile bytes: as a TensorBoard event file (TFRecord
// framing, CRCs, protocol buffers), and as a JSON-lines file read by the prime-rl,
// open-instruct and verl readers and then analysed. Each must return or throw, never crash,
// hang or allocate without bound.
import FuzzSupport
import RunLogs
import TensorBoardEvents

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRunLog(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let buffer = UnsafeBufferPointer(start: data, count: size)
  blackHole(try? EventFile(bytes: Array(buffer), path: "fuzz.tfevents"))
  let path = ScratchFile.write(buffer, ext: "jsonl")
  for format in [RunLogFormat.primeRL, .openInstruct, .verl] {
    guard let records = try? SampleLogReaders.read(StepFiles(step: 1, files: [path], complete: true), format: format) else { continue }
    for step in records { blackHole(StepAnalysis.summarize(step, settings: RunLogSettings())) }
  }
  var scalars = ScalarLog()
  blackHole(try? scalars.addJSONL(path))
  return 0
}
