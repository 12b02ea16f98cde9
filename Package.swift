// swift-tools-version: 6.0
//
// LogitDynamics: the dynamics of softmax policy gradient.
//
// Module graph (arrows point one way):
//
//   SeededRandom ─┐
//   SoftmaxCore ──┼─> LogitDynamics (umbrella, re-exports) ─> LogitDynCLI ─> logitdyn
//
// Benchmarks live in the nested package `Benchmarks/` so their dependencies stay out of
// the main build and CI.
import PackageDescription

let strictSwift6: [SwiftSetting] = [
  .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
  name: "LogitDynamics",
  products: [
    .library(name: "LogitDynamics", targets: ["LogitDynamics"]),
    .library(name: "SoftmaxCore", targets: ["SoftmaxCore"]),
    .library(name: "SeededRandom", targets: ["SeededRandom"]),
    .executable(name: "logitdyn", targets: ["logitdyn"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
  ],
  targets: [
    // Seeded, splittable random streams (xoshiro256**, SplitMix64 seeding).
    .target(name: "SeededRandom", swiftSettings: strictSwift6),
    // Exact softmax mathematics: log-sum-exp, entropy, collision probability, score,
    // logit updates and their closed forms, first-order entropy change.
    .target(
      name: "SoftmaxCore",
      dependencies: [.product(name: "RealModule", package: "swift-numerics")],
      swiftSettings: strictSwift6),
    // Umbrella: re-exports the public modules.
    .target(
      name: "LogitDynamics",
      dependencies: ["SoftmaxCore", "SeededRandom"],
      swiftSettings: strictSwift6),
    // The command-line interface as a library, so tests can drive it in-process.
    .target(
      name: "LogitDynCLI",
      dependencies: [
        "LogitDynamics",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: strictSwift6),
    .executableTarget(name: "logitdyn", dependencies: ["LogitDynCLI"], swiftSettings: strictSwift6),

    // Shared test support: tolerances, random inputs, a wide-precision reference.
    .target(
      name: "_TestSupport",
      dependencies: ["SeededRandom", .product(name: "RealModule", package: "swift-numerics")],
      path: "Tests/_TestSupport",
      swiftSettings: strictSwift6),
    .testTarget(
      name: "SoftmaxCoreTests",
      dependencies: ["SoftmaxCore", "SeededRandom", "_TestSupport"],
      swiftSettings: strictSwift6),
    .testTarget(
      name: "SeededRandomTests",
      dependencies: ["SeededRandom"],
      swiftSettings: strictSwift6),
    .testTarget(
      name: "LogitDynCLITests",
      dependencies: ["LogitDynCLI", "logitdyn"],
      swiftSettings: strictSwift6),
  ],
  swiftLanguageModes: [.v6]
)
