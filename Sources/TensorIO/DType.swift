/// Element types of the tensors we read (numpy `descr` and safetensors `dtype` names).
public enum DType: String, Sendable, CaseIterable {
  /// IEEE double, single and half precision, and bfloat16.
  case float64, float32, float16, bfloat16
  /// Signed and unsigned integers, and booleans (one byte each).
  case int64, int32, int16, int8, uint8, uint16, bool

  /// Bytes per element.
  public var byteSize: Int {
    switch self {
    case .float64, .int64: return 8
    case .float32, .int32: return 4
    case .float16, .bfloat16, .int16, .uint16: return 2
    case .int8, .uint8, .bool: return 1
    }
  }

  /// Whether values are floating point.
  public var isFloatingPoint: Bool {
    switch self {
    case .float64, .float32, .float16, .bfloat16: return true
    default: return false
    }
  }
}

/// Errors of tensor files: each names the file and the problem.
public struct TensorFileError: Error, CustomStringConvertible, Sendable, Equatable {
  /// The file concerned.
  public let path: String
  /// What is wrong with it.
  public let problem: String

  /// An error about `path`.
  public init(_ path: String, _ problem: String) {
    self.path = path
    self.problem = problem
  }

  /// `path: problem`.
  public var description: String { "\(path): \(problem)" }
}
