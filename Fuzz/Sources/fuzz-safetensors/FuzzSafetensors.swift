// libFuzzer target: `.safetensors` files through `SafetensorsReader` (the header's JSON, dtypes,
// shapes and offsets), then every element of every accepted tensor read as a double.
import FuzzSupport
import TensorIO

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let path = ScratchFile.write(UnsafeBufferPointer(start: data, count: size), ext: "safetensors")
  do {
    guard let tensors = try? SafetensorsReader.open(path: path) else { return 0 }
    var covered = 0
    for tensor in tensors {
      precondition(tensor.byteOffset + tensor.byteCount <= size, "a tensor runs past the end of the file")
      covered += tensor.byteCount
      blackHole(tensor.doubles().reduce(0, +))
    }
    // The crate's rule: the tensors cover the data section exactly.
    if let last = tensors.map({ $0.byteOffset + $0.byteCount }).max() {
      precondition(last == size, "bytes after the last tensor were accepted")
    }
    blackHole(covered)
  }
  return 0
}
