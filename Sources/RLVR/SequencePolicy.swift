import DenseNetworks
import Foundation
import SeededRandom

/// The autoregressive policy: an MLP over one-hot features of the prompt, the last 4
/// generated tokens (one-hot, with a "none" slot) and the position, `D → H → H → V`, in
/// `Float`, on the engine of `DenseNetworks`.
///
/// The first layer is a gather-sum of weight rows (the features are one-hot indices), so a
/// token costs about `H² + H·V` multiply-adds forward and twice that backward; the trainer
/// runs whole batches of tokens through one ``NetworkWorkspace``. Parameters (the engine's
/// layout, ``NetworkShape``): `W₁ [D × H]` (a row per feature), `b₁`, `W₂ [H × H]`, `b₂`,
/// `W₃ [H × V]`, `b₃`, flat, each `W` row-major `in × out`.
public struct SequencePolicy: Sendable {
  /// The input features `D` (``inputDimension(_:)``), the hidden width `H`, the vocabulary `V`.
  public let inputs: Int, hidden: Int, vocabulary: Int
  /// The hidden layers' activation (tanh unless built otherwise).
  public let activation: Activation
  /// The parameters `θ`, flat in the engine's layout (`W₁, b₁, W₂, b₂, W₃, b₃`), ``parameterCount`` of them.
  public var parameters: [Float]

  /// Feature layout for a task: prompt block, then 4 × (V + 1) history slots, then the position.
  public static func inputDimension(_ task: SequenceTask) -> Int { task.promptDimension + 4 * (task.vocabulary + 1) + task.answerLength }

  /// Active features of a token: the prompt's, 4 history slots, the position.
  public static func activeFeatures(_ task: SequenceTask) -> Int { task.train[0].features.count + 5 }

  /// Active features of position `t` after `history`.
  public static func features(_ task: SequenceTask, prompt: Prompt, history: [Int], position t: Int) -> [Int] {
    var f = prompt.features
    let base = task.promptDimension, slot = task.vocabulary + 1
    for k in 0..<4 {
      let token = t - 1 - k >= 0 ? history[t - 1 - k] : task.vocabulary  // "none"
      f.append(base + k * slot + token)
    }
    f.append(base + 4 * slot + t)
    return f
  }

  /// The network with `active` features per token.
  public func shape(active: Int) -> NetworkShape {
    NetworkShape(input: .oneHot(features: inputs, active: active), hidden: [hidden, hidden], outputs: vocabulary, activation: activation)
  }

  /// `P = D·H + H + H·H + H + H·V + V`.
  public var parameterCount: Int { inputs * hidden + hidden + hidden * hidden + hidden + hidden * vocabulary + vocabulary }

  /// How the weights start.
  public enum Initialization: String, Sendable, CaseIterable {
    /// `W₁ ~ N(0, 1/9)` (about 7–9 active inputs), `W₂ ~ N(0, 1/H)`, `W₃ ~ N(0, 0.01/H)`, zero
    /// biases (drawn in that order from stream `0x90` of the seed).
    case standard
    /// He init `N(0, 2/fan_in)` for the hidden layers, `W₃ ~ N(0, 0.25/H)`, zero biases (the
    /// numpy anchor `rlvr_update.py`'s, drawn from the same stream).
    case he
  }

  /// A policy with weights drawn from `seed` (see ``Initialization``).
  ///
  /// - Complexity: O(P) for `P` parameters.
  public init(inputs: Int, hidden: Int = 128, vocabulary: Int, seed: UInt64, activation: Activation = .tanh, initialization: Initialization = .standard) {
    self.inputs = inputs
    self.hidden = hidden
    self.vocabulary = vocabulary
    self.activation = activation
    var rng = Streams.generator(seed, Streams.initialization)
    let (s1, s2, s3): (Double, Double, Double)
    switch initialization {
    case .standard: (s1, s2, s3) = (1.0 / 3, 1 / Double(hidden).squareRoot(), 0.1 / Double(hidden).squareRoot())
    case .he: (s1, s2, s3) = ((2 / Double(inputs)).squareRoot(), (2 / Double(hidden)).squareRoot(), 0.5 / Double(hidden).squareRoot())
    }
    let shape = NetworkShape(input: .dense(features: inputs), hidden: [hidden, hidden], outputs: vocabulary, activation: activation)
    var p = [Float](repeating: 0, count: shape.parameterCount)
    let w2 = shape.weightOffset(1), w3 = shape.weightOffset(2)
    for i in 0..<(inputs * hidden) { p[i] = Float(s1 * rng.nextGaussian()) }
    // Drawn output unit by output unit (the order of version-1 files), stored `in × out`.
    for o in 0..<hidden { for i in 0..<hidden { p[w2 + i * hidden + o] = Float(s2 * rng.nextGaussian()) } }
    for o in 0..<vocabulary { for i in 0..<hidden { p[w3 + i * vocabulary + o] = Float(s3 * rng.nextGaussian()) } }
    parameters = p
  }

  /// Activations of one token, for the backward pass.
  public struct Trace {
    /// The hidden layers' outputs `h₁ = σ(Σ_{f active} W₁[f] + b₁)`, `h₂ = σ(h₁W₂ + b₂)` (`H`
    /// each) and the logits `z = h₂W₃ + b₃` (`V`).
    public var h1: [Float], h2: [Float], logits: [Float]
  }

  /// Forward pass of one token (a batch of one on a fresh workspace: a convenience; the
  /// trainer runs batches).
  ///
  /// - Complexity: O(A·H + H² + H·V) for `A` active features, plus a fresh workspace.
  public func forward(_ features: [Int]) -> Trace {
    let ws = NetworkWorkspace(shape(active: features.count), maxRows: 1)
    let idx = features.map(Int32.init)
    parameters.withUnsafeBufferPointer { p in idx.withUnsafeBufferPointer { _ = ws.forward(p.baseAddress!, .oneHot($0.baseAddress!), rows: 1) } }
    func row(_ v: MatrixView) -> [Float] { Array(UnsafeBufferPointer(start: v.base, count: v.columns)) }
    return Trace(h1: row(ws.layerOutput(1)), h2: row(ws.layerOutput(2)), logits: row(ws.logits))
  }

  /// Adds `∂loss/∂θ` for one token with logit gradient `dz` to `g` (the trace is recomputed).
  ///
  /// - Complexity: O(A·H + H² + H·V) for `A` active features, plus a fresh workspace.
  public func backward(_ features: [Int], _ trace: Trace, logitGradient dz: [Float], into g: inout [Float]) {
    let ws = NetworkWorkspace(shape(active: features.count), maxRows: 1)
    let idx = features.map(Int32.init)
    parameters.withUnsafeBufferPointer { p in
      idx.withUnsafeBufferPointer { i in
        dz.withUnsafeBufferPointer { d in
          g.withUnsafeMutableBufferPointer { gb in
            ws.forward(p.baseAddress!, .oneHot(i.baseAddress!), rows: 1)
            ws.backward(p.baseAddress!, .oneHot(i.baseAddress!), outputGradient: MatrixView(d.baseAddress!, rows: 1, columns: vocabulary), into: gb.baseAddress!, accumulate: true)
          }
        }
      }
    }
  }

  // MARK: Files

  static let magic: [UInt8] = Array("LDPOLICY".utf8)

  /// The policy as bytes: magic, version 2, sizes, the activation (0 tanh, 1 ReLU), the
  /// parameters in the engine's layout, and an FNV-1a checksum.
  ///
  /// - Complexity: O(P) for `P` parameters.
  public func encoded() -> Data {
    var d = Data(Self.magic)
    let act: UInt32 = activation == .relu ? 1 : 0
    for x in [UInt32(2), UInt32(inputs), UInt32(hidden), UInt32(vocabulary), act] { withUnsafeBytes(of: x.littleEndian) { d.append(contentsOf: $0) } }
    parameters.withUnsafeBytes { d.append(contentsOf: $0) }
    let sum = Self.checksum(d)
    withUnsafeBytes(of: sum.littleEndian) { d.append(contentsOf: $0) }
    return d
  }

  static func checksum(_ d: Data) -> UInt64 { FNV1a.hash64(d) }

  /// Reads a policy file written by ``encoded()`` (version 2) or by earlier versions
  /// (version 1: tanh, `W₂` and `W₃` stored `out × in`, transposed here), refusing a corrupt
  /// or truncated one.
  ///
  /// - Complexity: O(P) for `P` parameters.
  public init(decoding d: Data, source: String = "policy") throws(RLVRError) {
    guard d.count >= 8 + 16 + 8, Array(d.prefix(8)) == Self.magic else { throw RLVRError("\(source) is not a logitdyn policy file") }
    func word(_ at: Int) -> Int { Int(d.subdata(in: at..<(at + 4)).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }.littleEndian) }
    let version = word(8)
    guard version == 1 || version == 2 else { throw RLVRError("\(source): unsupported policy file version \(version)") }
    let (i, h, v) = (word(12), word(16), word(20))
    guard i > 0, h > 0, v > 0, i < 1 << 20, h < 1 << 14, v < 1 << 16 else { throw RLVRError("\(source): corrupt header") }
    let header = version == 1 ? 24 : 28
    let count = i * h + h + h * h + h + v * h + v
    guard d.count == header + 4 * count + 8 else { throw RLVRError("\(source) is truncated or has trailing bytes (\(d.count) bytes, expected \(header + 4 * count + 8))") }
    let stored = d.subdata(in: (d.count - 8)..<d.count).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian
    guard stored == Self.checksum(d.prefix(d.count - 8)) else { throw RLVRError("\(source) is corrupt (checksum mismatch)") }
    var act = Activation.tanh
    if version == 2 {
      switch word(24) {
      case 0: act = .tanh
      case 1: act = .relu
      default: throw RLVRError("\(source): unknown activation code \(word(24))")
      }
    }
    inputs = i
    hidden = h
    vocabulary = v
    activation = act
    var p = d.subdata(in: header..<(header + 4 * count)).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    guard p.allSatisfy(\.isFinite) else { throw RLVRError("\(source) holds non-finite parameters") }
    if version == 1 {
      // W₂ [H][H] and W₃ [V][H] were stored a row per output unit.
      let w2 = i * h + h, w3 = w2 + h * h + h
      let old = p
      for o in 0..<h { for j in 0..<h { p[w2 + j * h + o] = old[w2 + o * h + j] } }
      for o in 0..<v { for j in 0..<h { p[w3 + j * v + o] = old[w3 + o * h + j] } }
    }
    parameters = p
  }
}
