// swift-tools-version: 6.0
// Benchmarks of LogitDynamics, kept out of the main build and CI. Run from this folder:
//   swift run -c release fused-kernel-bench
//   swift run -c release bandit-bench
//   swift run -c release qre-bench
//   swift run -c release rlvr-bench
//   swift run -c release matmul-bench
//   swift run -c release mlp-pg-bench
//   swift run -c release run-log-bench
import PackageDescription

// The target CPU of the benchmarks, as the main package's (`LOGITDYN_TARGET_CPU=haswell` measures
// the AVX2+FMA code paths on an AVX-512 machine).
let cpu = Context.environment["LOGITDYN_TARGET_CPU"].flatMap { $0.isEmpty ? nil : $0 } ?? "native"

let package = Package(
  name: "LogitDynamicsBenchmarks",
  dependencies: [.package(name: "LogitDynamics", path: "..")],
  targets: [
    .target(name: "BenchSupport"),
    .executableTarget(
      name: "fused-kernel-bench",
      dependencies: ["BenchSupport", .product(name: "LogitDynamics", package: "LogitDynamics")],
      swiftSettings: [.unsafeFlags(["-target-cpu", cpu])]),
    .executableTarget(
      name: "bandit-bench",
      dependencies: ["BenchSupport", .product(name: "LogitDynamics", package: "LogitDynamics")],
      swiftSettings: [.unsafeFlags(["-target-cpu", cpu])]),
    .executableTarget(
      name: "matmul-bench",
      dependencies: ["BenchSupport", .product(name: "LogitDynamics", package: "LogitDynamics")],
      swiftSettings: [.unsafeFlags(["-target-cpu", cpu])]),
    .executableTarget(
      name: "mlp-pg-bench",
      dependencies: ["BenchSupport"]),
    .executableTarget(
      name: "run-log-bench",
      dependencies: [.product(name: "RunLogs", package: "LogitDynamics")]),
    .executableTarget(
      name: "qre-bench",
      dependencies: ["BenchSupport", .product(name: "LogitDynamics", package: "LogitDynamics")]),
    .executableTarget(
      name: "rlvr-bench",
      dependencies: ["BenchSupport", .product(name: "LogitDynamics", package: "LogitDynamics")],
      swiftSettings: [.unsafeFlags(["-target-cpu", cpu])]),
  ],
  swiftLanguageModes: [.v6]
)
