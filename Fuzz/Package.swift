// swift-tools-version: 6.0
// libFuzzer targets for the readers of untrusted files, kept out of the main build and CI.
// Build and run from this folder (see README.md here and `run.sh`):
//   ./run.sh fuzz-npy 60          # one target for 60 s on its corpus
//   ./run.sh all 600              # every target, 600 s each
// The targets are built with libFuzzer and AddressSanitizer, and with SanitizerCoverage
// (edge counters, comparison tracing) so the fuzzer is coverage-guided:
//   swift build -c release --sanitize fuzzer --sanitize address \
//     -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp
import PackageDescription

/// Every target defines `LLVMFuzzerTestOneInput` and no `main` (libFuzzer's is linked in).
let fuzzTarget: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
  name: "LogitDynamicsFuzz",
  dependencies: [.package(name: "LogitDynamics", path: "..")],
  targets: [
    .target(name: "FuzzSupport", dependencies: [.product(name: "Games", package: "LogitDynamics")]),
    .executableTarget(
      name: "fuzz-npy",
      dependencies: ["FuzzSupport", .product(name: "TensorIO", package: "LogitDynamics")],
      swiftSettings: fuzzTarget),
    .executableTarget(
      name: "fuzz-safetensors",
      dependencies: ["FuzzSupport", .product(name: "TensorIO", package: "LogitDynamics")],
      swiftSettings: fuzzTarget),
    .executableTarget(
      name: "fuzz-nfg",
      dependencies: ["FuzzSupport", .product(name: "Games", package: "LogitDynamics")],
      swiftSettings: fuzzTarget),
    .executableTarget(
      name: "fuzz-json-game",
      dependencies: ["FuzzSupport", .product(name: "Games", package: "LogitDynamics")],
      swiftSettings: fuzzTarget),
    .executableTarget(
      name: "fuzz-loss-batch",
      dependencies: ["FuzzSupport", .product(name: "LogitAnalysis", package: "LogitDynamics"),
                     .product(name: "PolicyLosses", package: "LogitDynamics")],
      swiftSettings: fuzzTarget),
    .executableTarget(
      name: "fuzz-jsonl",
      dependencies: ["FuzzSupport", .product(name: "RunLogs", package: "LogitDynamics"), .product(name: "StrictJSON", package: "LogitDynamics")],
      swiftSettings: fuzzTarget),
    .executableTarget(
      name: "fuzz-run-log",
      dependencies: ["FuzzSupport", .product(name: "RunLogs", package: "LogitDynamics"), .product(name: "TensorBoardEvents", package: "LogitDynamics")],
      swiftSettings: fuzzTarget),
    .executableTarget(
      name: "fuzz-toml",
      dependencies: ["FuzzSupport", .product(name: "Sweeps", package: "LogitDynamics")],
      swiftSettings: fuzzTarget),
  ])
