#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Natural logarithm from the C library (kept internal to avoid a numerics dependency here).
@usableFromInline
internal func _log(_ x: Double) -> Double { log(x) }

/// Cosine from the C library.
@usableFromInline
internal func _cos(_ x: Double) -> Double { cos(x) }
