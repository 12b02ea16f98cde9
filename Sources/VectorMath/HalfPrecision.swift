/// IEEE binary16 bits to `Float`, exactly (subnormals, infinities and NaN included): the
/// hardware conversion where Swift has `Float16`, the bit-level one elsewhere. The tensor
/// readers and the row kernels' scalar paths both use it.
@inlinable @inline(__always)
public func halfToFloat(_ h: UInt16) -> Float {
  #if arch(x86_64) || arch(arm64)
  return Float(Float16(bitPattern: h))
  #else
  let sign = UInt32(h & 0x8000) << 16
  let exponent = Int((h >> 10) & 0x1F)
  let mantissa = UInt32(h & 0x3FF)
  if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
  if exponent == 0 {
    let v = Float(mantissa) * 0x1p-24
    return sign != 0 ? -v : v
  }
  return Float(bitPattern: sign | UInt32(exponent + 112) << 23 | (mantissa << 13))
  #endif
}
