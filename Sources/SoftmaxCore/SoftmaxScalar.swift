import RealModule

/// The floating-point types the exact softmax mathematics is written for: `Float`, `Double`
/// (and `Float80` on x86, which the tests use as a wide-precision reference).
public typealias SoftmaxScalar = Real & BinaryFloatingPoint
