/// What a lab run will allocate, estimated from its sizes before anything is built, in
/// `Double` so that sizes near `Int.max` give a large number instead of an overflow. The
/// command line compares it with its memory limit (`--max-memory`).
///
/// The counts are upper bounds of what the runners keep: per run the parameters with their
/// gradient and Adam moments (`8 · 4 · P` bytes, plus the engine's `Float` copy `4 · 4 · P`),
/// the environment's weights and their padded transposes, the fixed contexts; per thread the
/// batch buffers (`8 · 8 · B · (d + Σ hidden + K)`); per step the probe values of every run
/// (`16 · N · probes`, for the quantiles).
public enum LabResources {
  /// Bytes of the vectorised tabular-bandit runner: `N` runs of `K` arms.
  public static func banditBytes(runs: Int, arms: Int) -> Double {
    let n = Double(runs), k = Double(arms)
    return n * k * 8 * 6 + n * Double(Probe.allCases.count) * 16
  }

  /// Parameters of a network policy `d → hidden… → K` (weights and biases): `Σ (fan-in + 1) · width`.
  public static func networkParameters(features: Int, hidden: [Int], actions: Int) -> Double {
    var parameters = 0.0, fanIn = Double(features)
    for w in hidden + [actions] {
      parameters += (fanIn + 1) * Double(w)
      fanIn = Double(w)
    }
    return parameters
  }

  /// Bytes of the general runner: `N` runs of a policy with `parameters` parameters on an
  /// environment of `d` features, `K` actions and `S` fixed contexts, batches of `B` on
  /// `threads` threads; `hidden` are the MLP's widths (empty otherwise).
  public static func generalBytes(runs: Int, parameters: Double, features: Int, actions: Int, hidden: [Int], fixedContexts: Int?, batch: Int, threads: Int) -> Double {
    let n = Double(runs), d = Double(features), k = Double(actions), b = Double(batch)
    let environment = (k * max(d, 16) + 16 * d) * 8 * 2 + Double(fixedContexts ?? 0) * (d + k + 8) * 8
    let perRun = parameters * (8 * 4 + 4 * 4) + environment
    let perThread = 8 * 8 * b * (d + hidden.reduce(0.0) { $0 + Double($1) } + k)
    return n * perRun + Double(max(threads, 1)) * perThread + n * Double(Probe.allCases.count) * 16
  }
}
