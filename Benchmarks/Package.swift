// swift-tools-version: 6.0
// Benchmarks of LogitDynamics, kept out of the main build and CI. Run from this folder:
//   swift run -c release fused-kernel-bench
//   swift run -c release bandit-bench
//   swift run -c release qre-bench
//   swift run -c release rlvr-bench
//   swift run -c release matmul-bench
//   swift run -c release mlp-pg-bench
import PackageDescription

let package = Package(
  name: "LogitDynamicsBenchmarks",
  dependencies: [.package(name: "LogitDynamics", path: "..")],
  targets: [
    .target(name: "BenchSupport"),
    .executableTarget(
      name: "fused-kernel-bench",
      dependencies: ["BenchSupport", .product(name: "LogitDynamics", package: "LogitDynamics")],
      swiftSettings: [.unsafeFlags(["-target-cpu", "native"])]),
    .executableTarget(
      name: "bandit-bench",
      dependencies: ["BenchSupport", .product(name: "LogitDynamics", package: "LogitDynamics")],
      swiftSettings: [.unsafeFlags(["-target-cpu", "native"])]),
    .executableTarget(
      name: "matmul-bench",
      dependencies: ["BenchSupport", .product(name: "LogitDynamics", package: "LogitDynamics")],
      swiftSettings: [.unsafeFlags(["-target-cpu", "native"])]),
    .executableTarget(
      name: "mlp-pg-bench",
      dependencies: ["BenchSupport"]),
    .executableTarget(
      name: "qre-bench",
      dependencies: ["BenchSupport", .product(name: "LogitDynamics", package: "LogitDynamics")]),
    .executableTarget(
      name: "rlvr-bench",
      dependencies: ["BenchSupport", .product(name: "LogitDynamics", package: "LogitDynamics")],
      swiftSettings: [.unsafeFlags(["-target-cpu", "native"])]),
  ],
  swiftLanguageModes: [.v6]
)
