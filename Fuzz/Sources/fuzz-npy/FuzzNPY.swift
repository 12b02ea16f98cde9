// libFuzzer target: `.npy` files through `NPYReader` (header grammar, dtype, shape, sizes), then
// every element of an accepted tensor read as a double (which must lie inside the file).
import FuzzSupport
import TensorIO

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPY(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let path = ScratchFile.write(UnsafeBufferPointer(start: data, count: size), ext: "npy")
  for bf16 in [false, true] {
    guard let tensor = try? NPYReader.open(path: path, twoByteIntegersAreBFloat16: bf16) else { continue }
    precondition(tensor.byteOffset + tensor.byteCount <= size, "the tensor runs past the end of the file")
    precondition(tensor.shape.allSatisfy { $0 >= 0 }, "a negative dimension")
    blackHole(tensor.doubles().reduce(0, +))
    blackHole(tensor.summary)
  }
  return 0
}
