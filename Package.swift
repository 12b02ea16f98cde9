// swift-tools-version: 6.0
//
// LogitDynamics: the dynamics of softmax policy gradient.
//
// Module graph: each module, the package modules it depends on, and what it holds, in an
// order where every module comes after its dependencies (arrows point one way). CI checks
// these lines against the targets below and the sources' imports
// (`scripts/check-module-graph.py`; `--print` writes the lines for the current graph).
//
//   Diagnostics  (MessageError: the one message-error type; LabError, LossError, … name it)
//   SeededRandom  (xoshiro256**, SplitMix64, MT19937 as torch draws it, FNV-1a)
//   SoftmaxCore  (exact softmax mathematics: log-sum-exp, entropy, C(p), the update norm)
//   StrictJSON  (untrusted JSON and files)
//   ParallelMap  (indices on worker threads, results in index order)
//   SampleStatistics  (mean, sd, type-7 quantiles)
//   KernelIntrinsics  (a C header of SIMD intrinsics)
//   TensorBoardEvents ← Diagnostics, StrictJSON  (TFRecord framing, tensorboard.Event through swift-protobuf)
//   Reports ← TensorBoardEvents  (SVG plots, HTML reports, tables, TensorBoard event files)
//   OutputFormats ← Diagnostics  (atomic files, JSON values, text tables)
//   Configuration ← OutputFormats  (typed configurations' one schema: values, fields, errors listing the keys)
//   RunStore ← Diagnostics  (the run store: SQLite through GRDB)
//   PolicyLosses ← Diagnostics, SeededRandom, SoftmaxCore  (the published losses and interventions)
//   VectorMath ← KernelIntrinsics  (SIMD exp/log/cos/tanh, reductions, half → float)
//   LogitKernels ← KernelIntrinsics, VectorMath  (the fused row kernel)
//   TensorIO ← StrictJSON, VectorMath  (.npy, .safetensors; f32/f16/bf16)
//   DenseNetworks ← Diagnostics, KernelIntrinsics, SeededRandom, VectorMath  (the batched neural engine)
//   Games ← Configuration, OutputFormats, SeededRandom, SoftmaxCore, StrictJSON  (normal-form games, logit QRE)
//   LogitAnalysis ← Diagnostics, LogitKernels, OutputFormats, PolicyLosses, SampleStatistics,
//     SeededRandom, SoftmaxCore, StrictJSON, TensorIO  (token diagnostics of logged batches)
//   PGLab ← Configuration, DenseNetworks, Diagnostics, ParallelMap, PolicyLosses, SampleStatistics,
//     SeededRandom, SoftmaxCore, VectorMath  (the lab: environments, policies, runners, probes)
//   RLVR ← DenseNetworks, Diagnostics, PolicyLosses, SeededRandom, SoftmaxCore, VectorMath  (mini-RLVR)
//   Experiments ← Diagnostics, Games, OutputFormats, PGLab, ParallelMap, PolicyLosses, RLVR, Reports,
//     SampleStatistics, SeededRandom, SoftmaxCore  (the papers' claims with verdicts)
//   Sweeps ← Configuration, Diagnostics, Games, PGLab, PolicyLosses, SeededRandom, StrictJSON  (TOML files)
//   RunLogs ← Diagnostics, LogitAnalysis, OutputFormats, PolicyLosses, Reports, SampleStatistics,
//     SeededRandom, StrictJSON, TensorBoardEvents  (what real RL frameworks log, analysed)
//   LogitDynC ← Diagnostics, Games, LogitAnalysis, LogitKernels, OutputFormats, PolicyLosses,
//     SoftmaxCore, VectorMath  (the C ABI, include/logitdyn.h, for the Python package in python/)
//   LogitDynamics ← Configuration, DenseNetworks, Diagnostics, Experiments, Games, LogitAnalysis,
//     LogitKernels, OutputFormats, PGLab, PolicyLosses, RLVR, Reports, SeededRandom, SoftmaxCore,
//     TensorIO, VectorMath  (the umbrella: re-exports them)
//   LogitDynCLI ← Diagnostics, LogitDynamics, OutputFormats, ParallelMap, RunLogs, RunStore,
//     SampleStatistics, StrictJSON, Sweeps  (the command line as a library)
//   logitdyn ← LogitDynCLI  (the executable)
//
// Benchmarks live in the nested package `Benchmarks/` so their dependencies stay out of
// the main build and CI; so do the libFuzzer targets of the file readers in `Fuzz/`.
import PackageDescription

let strictSwift6: [SwiftSetting] = [
  .enableUpcomingFeature("ExistentialAny"),
]

// The kernels need a target CPU: without one, SIMD fused multiply-adds become library calls
// and vector max becomes scalar code (3-80x slower). The default builds for the machine that
// compiles (`-target-cpu native`). For a binary that must run on other x86-64 machines, build
// with `LOGITDYN_PORTABLE=1 swift build -c release` (baseline `haswell`: AVX2 and FMA, the
// x86-64-v3 level, a name the Clang importer refuses), or
// `LOGITDYN_TARGET_CPU=<cpu>` to name one.
let environment = Context.environment
// `LOGITDYN_EXP2=polynomial` keeps the degree-5 polynomial `exp2` on AVX2 machines instead
// of the 8-entry table (to time one against the other on the same machine).
let exp2Flags: [String] = environment["LOGITDYN_EXP2"] == "polynomial" ? ["-Xcc", "-DLOGITDYN_EXP2_POLYNOMIAL"] : []
let kernelFlags: [SwiftSetting] = {
  if let cpu = environment["LOGITDYN_TARGET_CPU"], !cpu.isEmpty {
    return [.unsafeFlags(["-target-cpu", cpu] + exp2Flags)]
  }
  if environment["LOGITDYN_PORTABLE"] == "1" {
    return [.unsafeFlags(["-target-cpu", "haswell"] + exp2Flags, .when(platforms: [.linux]))]
  }
  return [.unsafeFlags(["-target-cpu", "native"] + exp2Flags)]
}()

let package = Package(
  name: "LogitDynamics",
  products: [
    .library(name: "LogitDynamics", targets: ["LogitDynamics"]),
    .library(name: "SoftmaxCore", targets: ["SoftmaxCore"]),
    .library(name: "SeededRandom", targets: ["SeededRandom"]),
    // The readers of untrusted files, as products for the fuzz targets in `Fuzz/`.
    .library(name: "StrictJSON", targets: ["StrictJSON"]),
    .library(name: "TensorIO", targets: ["TensorIO"]),
    .library(name: "Games", targets: ["Games"]),
    .library(name: "LogitAnalysis", targets: ["LogitAnalysis"]),
    .library(name: "PolicyLosses", targets: ["PolicyLosses"]),
    .library(name: "Sweeps", targets: ["Sweeps"]),
    .library(name: "RunLogs", targets: ["RunLogs"]),
    .library(name: "TensorBoardEvents", targets: ["TensorBoardEvents"]),
    .executable(name: "logitdyn", targets: ["logitdyn"]),
    // The C ABI (`include/logitdyn.h`) as a shared library, for the Python package in `python/`.
    .library(name: "LogitDynC", type: .dynamic, targets: ["LogitDynC"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
    .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
    .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
  ],
  targets: [
    // Seeded, splittable random streams (xoshiro256**, SplitMix64 seeding).
    .target(name: "SeededRandom", swiftSettings: strictSwift6),
    // TensorBoard event files: TFRecord framing and the Event protocol buffers (generated once
    // by scripts/generate-tensorboard-protos.py from TensorBoard's descriptors, committed).
    .target(
      name: "TensorBoardEvents", dependencies: ["Diagnostics", "StrictJSON", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
      swiftSettings: strictSwift6),
    // Run logs of real RL frameworks (prime-rl token exports, open-instruct traces, verl
    // rollout dumps, TensorBoard/CSV/JSONL scalars) and what the theory says about them.
    .target(
      name: "RunLogs",
      dependencies: ["Diagnostics", "StrictJSON", "TensorBoardEvents", "LogitAnalysis", "PolicyLosses", "SampleStatistics", "SeededRandom", "Reports", "OutputFormats",
                     .product(name: "RealModule", package: "swift-numerics")],
      swiftSettings: strictSwift6),
    // The one message-error type (each module's `LabError`, `LossError`, … is a name for it).
    .target(name: "Diagnostics", swiftSettings: strictSwift6),
    // Typed configurations' one schema: values, fields, the errors that list valid keys.
    .target(name: "Configuration", dependencies: ["OutputFormats"], swiftSettings: strictSwift6),
    // The one parallel map: indices on worker threads, results in index order.
    .target(name: "ParallelMap", swiftSettings: strictSwift6),
    // Mean, standard deviation and quantiles, written once for every floor.
    .target(name: "SampleStatistics", dependencies: [.product(name: "RealModule", package: "swift-numerics")], swiftSettings: strictSwift6),
    // Exact softmax mathematics: log-sum-exp, entropy, collision probability, score,
    // logit updates and their closed forms, first-order entropy change.
    .target(
      name: "SoftmaxCore",
      dependencies: [.product(name: "RealModule", package: "swift-numerics")],
      swiftSettings: strictSwift6),
    // Output formats: ordered JSON, text tables, .npy writing, atomic file writes.
    .target(name: "OutputFormats", dependencies: ["Diagnostics"], swiftSettings: strictSwift6),
    // A strict, non-recursive JSON parser for untrusted files (numbers kept as written).
    .target(name: "StrictJSON", swiftSettings: strictSwift6),
    // Memory-mapped tensor files: .npy (v1-3) and .safetensors.
    .target(name: "TensorIO", dependencies: ["StrictJSON", "VectorMath"], swiftSettings: strictSwift6),
    // General SIMD helpers: exp2/exp/log/cos on vectors, tanh, dot products, lane reductions.
    .target(name: "VectorMath", dependencies: ["KernelIntrinsics"], swiftSettings: strictSwift6 + kernelFlags),
    // Fused one-pass row kernels over [tokens × vocabulary] logits (SIMD16, multi-core).
    .target(name: "LogitKernels", dependencies: ["KernelIntrinsics", "VectorMath"], swiftSettings: strictSwift6 + kernelFlags),
    // Dense networks: contiguous Float batches, register-blocked matrix products, one-hot input
    // layers, fused bias + activation, backward passes, SGD/Adam, schedules, workspaces.
    .target(
      name: "DenseNetworks", dependencies: ["Diagnostics", "VectorMath", "KernelIntrinsics", "SeededRandom", .product(name: "RealModule", package: "swift-numerics")], swiftSettings: strictSwift6 + kernelFlags),
    // Two instructions the kernels need and Swift cannot name: a software prefetch and
    // `p · 2ⁿ` by the exponent (AVX-512 `vscalefps`, portable fallback); header-only.
    .target(name: "KernelIntrinsics"),
    // The published policy-gradient losses and entropy interventions, token for token
    // (verl-exact: PPO-clip, dual-clip, clip-higher, Clip-Cov, KL-Cov, KL estimators, entropy
    // bonus, top-entropy mask, STEER, GRPO/Dr. GRPO/RLOO advantages, aggregation modes).
    .target(
      name: "PolicyLosses",
      dependencies: ["Diagnostics", "SoftmaxCore", "SeededRandom", .product(name: "RealModule", package: "swift-numerics")],
      swiftSettings: strictSwift6),
    // Softmax in games: normal-form games, logit QRE by path following, learning dynamics.
    .target(
      name: "Games",
      dependencies: ["Configuration", "SoftmaxCore", "StrictJSON", "OutputFormats", "SeededRandom", .product(name: "RealModule", package: "swift-numerics")],
      swiftSettings: strictSwift6),
    // Sweeps: TOML sweep files, grid expansion, sharding.
    .target(name: "Sweeps", dependencies: ["Diagnostics", "Configuration", "PGLab", "Games", "PolicyLosses", "StrictJSON", "SeededRandom", .product(name: "TOMLKit", package: "TOMLKit")], swiftSettings: strictSwift6),
    // The run store: SQLite through GRDB, one transaction per finished run.
    .target(name: "RunStore", dependencies: ["Diagnostics", .product(name: "GRDB", package: "GRDB.swift")], swiftSettings: strictSwift6),
    // Mini-RLVR: sequence tasks with a verifiable reward, an autoregressive MLP policy,
    // supervised pre-training, RL with group advantages and any loss, held-out evaluation.
    .target(
      name: "RLVR",
      dependencies: ["Diagnostics", "PolicyLosses", "SoftmaxCore", "SeededRandom", "DenseNetworks", "VectorMath", .product(name: "RealModule", package: "swift-numerics")],
      swiftSettings: strictSwift6 + kernelFlags),
    // Reports: SVG plots, the self-contained HTML report, TensorBoard event files.
    .target(name: "Reports", dependencies: ["TensorBoardEvents"], swiftSettings: strictSwift6),
    // The registry of the source papers' claims as experiments with computed verdicts.
    .target(
      name: "Experiments",
      dependencies: ["Diagnostics", "ParallelMap", "SampleStatistics", "PGLab", "PolicyLosses", "Games", "RLVR", "SoftmaxCore", "SeededRandom", "Reports", "OutputFormats",
                     .product(name: "RealModule", package: "swift-numerics")],
      swiftSettings: strictSwift6),
    // Token-level diagnostics of a logged batch: per-token kernel results, covariance,
    // Clip-Cov / KL-Cov selections, quantiles; and the writers of their outputs.
    .target(
      name: "LogitAnalysis",
      dependencies: ["Diagnostics", "LogitKernels", "TensorIO", "StrictJSON", "SeededRandom", "SampleStatistics", "OutputFormats", "PolicyLosses", "SoftmaxCore"],
      swiftSettings: strictSwift6 + kernelFlags),
    // The policy-gradient lab: environments (bandits, contextual bandits), policies (tabular,
    // linear, MLP), update rules and optimisers, probes, and the runners (a vectorised one for
    // tabular bandits, a general one for everything else).
    .target(
      name: "PGLab",
      dependencies: ["Diagnostics", "Configuration", "ParallelMap", "SampleStatistics", "SoftmaxCore", "SeededRandom", "DenseNetworks", "VectorMath", "PolicyLosses", .product(name: "RealModule", package: "swift-numerics")],
      swiftSettings: strictSwift6 + kernelFlags),
    // Umbrella: re-exports the public modules.
    .target(
      name: "LogitDynamics",
      dependencies: ["SoftmaxCore", "SeededRandom", "TensorIO", "VectorMath", "LogitKernels", "Diagnostics", "Configuration", "DenseNetworks", "LogitAnalysis", "OutputFormats", "PolicyLosses", "PGLab", "Games",
                     "Reports", "Experiments", "RLVR"],
      swiftSettings: strictSwift6),
    // The command-line interface as a library, so tests can drive it in-process.
    .target(
      name: "LogitDynCLI",
      dependencies: [
        "LogitDynamics", "Diagnostics", "OutputFormats", "ParallelMap", "RunLogs", "SampleStatistics", "Sweeps", "RunStore", "StrictJSON",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "TOMLKit", package: "TOMLKit"),
      ],
      swiftSettings: strictSwift6),
    // The C ABI over the kernels, losses, selections, update reports and QRE traces
    // (`include/logitdyn.h`): plain C types, status codes and a message buffer; nothing thrown
    // or trapped crosses it. `$ORIGIN` in its run path finds the Swift runtime copied beside it.
    .target(
      name: "LogitDynC",
      dependencies: ["Diagnostics", "LogitKernels", "VectorMath", "LogitAnalysis", "PolicyLosses", "SoftmaxCore", "Games", "OutputFormats",
                     .product(name: "RealModule", package: "swift-numerics")],
      // The kernels' target CPU: the fused kernel is specialised (inlined) into this module.
      swiftSettings: strictSwift6 + kernelFlags,
      linkerSettings: [.unsafeFlags(["-Xlinker", "-rpath", "-Xlinker", "$ORIGIN"], .when(platforms: [.linux]))]),
    .executableTarget(name: "logitdyn", dependencies: ["LogitDynCLI"], swiftSettings: strictSwift6),

    // Shared test support: tolerances, random inputs, a wide-precision reference.
    .target(
      name: "_TestSupport",
      dependencies: ["SeededRandom", .product(name: "RealModule", package: "swift-numerics")],
      path: "Tests/_TestSupport",
      swiftSettings: strictSwift6),
    .testTarget(name: "ParallelMapTests", dependencies: ["_TestSupport", "ParallelMap"], swiftSettings: strictSwift6),
    .testTarget(name: "SampleStatisticsTests", dependencies: ["_TestSupport", "SampleStatistics"], swiftSettings: strictSwift6),
    .testTarget(
      name: "SoftmaxCoreTests",
      dependencies: ["_TestSupport", "SoftmaxCore", "SeededRandom"],
      swiftSettings: strictSwift6),
    .testTarget(
      name: "LogitKernelsTests",
      dependencies: ["_TestSupport", "LogitKernels", "VectorMath", "KernelIntrinsics", "SeededRandom"],
      // The kernels' target CPU, so that the inlined kernel code under test is the one the
      // tool runs (and `logitdyn_scale2` is the AVX-512 instruction where there is one).
      swiftSettings: strictSwift6 + kernelFlags),
    .testTarget(
      name: "VectorMathTests",
      dependencies: ["_TestSupport", "VectorMath", "KernelIntrinsics", "SeededRandom"],
      swiftSettings: strictSwift6 + kernelFlags),
    // Counts the calling thread's heap allocations (tests that a training step allocates nothing).
    .target(name: "_AllocationCounter", path: "Tests/_AllocationCounter"),
    .testTarget(
      name: "DenseNetworksTests",
      dependencies: ["_TestSupport", "DenseNetworks", "VectorMath", "SeededRandom", "_AllocationCounter"],
      swiftSettings: strictSwift6 + kernelFlags),
    .testTarget(
      name: "StrictJSONTests",
      dependencies: ["_TestSupport", "StrictJSON"],
      swiftSettings: strictSwift6),
    .testTarget(
      name: "TensorIOTests",
      dependencies: ["_TestSupport", "TensorIO", "OutputFormats"],
      swiftSettings: strictSwift6),
    .testTarget(
      name: "LogitAnalysisTests",
      dependencies: ["_TestSupport", "LogitAnalysis", "LogitKernels", "TensorIO", "OutputFormats", "SoftmaxCore", "SeededRandom", "PolicyLosses"],
      resources: [.copy("Fixtures")],
      swiftSettings: strictSwift6),
    .testTarget(
      name: "PGLabTests",
      dependencies: ["_TestSupport", "PGLab", "Configuration", "SeededRandom", "SoftmaxCore"],
      swiftSettings: strictSwift6),
    .testTarget(
      name: "PolicyLossesTests",
      dependencies: ["_TestSupport", "PolicyLosses", "SeededRandom"],
      resources: [.copy("Fixtures")],
      swiftSettings: strictSwift6),
    .testTarget(
      name: "GamesTests",
      dependencies: ["_TestSupport", "Games", "SoftmaxCore", "SeededRandom"],
      resources: [.copy("Fixtures")],
      swiftSettings: strictSwift6),
    .testTarget(
      name: "ExperimentsTests",
      dependencies: ["_TestSupport", "Experiments", "SoftmaxCore"],
      swiftSettings: strictSwift6),
    .testTarget(
      name: "SweepsTests",
      dependencies: ["_TestSupport", "Sweeps", "Configuration", "PGLab", .product(name: "TOMLKit", package: "TOMLKit")],
      swiftSettings: strictSwift6),
    .testTarget(
      name: "RLVRTests",
      dependencies: ["_TestSupport", "RLVR", "PolicyLosses", "SeededRandom"],
      swiftSettings: strictSwift6),
    .testTarget(name: "ReportsTests", dependencies: ["_TestSupport", "Reports"], swiftSettings: strictSwift6),
    .testTarget(
      name: "RunStoreTests", dependencies: ["_TestSupport", "RunStore", .product(name: "GRDB", package: "GRDB.swift")], swiftSettings: strictSwift6),
    .testTarget(
      name: "RunLogsTests", dependencies: ["_TestSupport", "RunLogs", "Reports", "TensorBoardEvents", "Diagnostics", "SeededRandom"], resources: [.copy("Fixtures")],
      swiftSettings: strictSwift6),
    .testTarget(name: "OutputFormatsTests", dependencies: ["_TestSupport", "OutputFormats"], swiftSettings: strictSwift6),
    .testTarget(
      name: "SeededRandomTests",
      dependencies: ["_TestSupport", "SeededRandom"],
      swiftSettings: strictSwift6),
    .testTarget(
      name: "LogitDynCLITests",
      dependencies: ["_TestSupport", "LogitDynCLI", "logitdyn", "RunStore", "Experiments"],
      swiftSettings: strictSwift6),
  ],
  swiftLanguageModes: [.v6]
)
