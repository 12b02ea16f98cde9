import Foundation
import VectorMath
import RealModule
import SeededRandom

/// The autoregressive policy: an MLP over binary features of the prompt, the last 4 generated
/// tokens (one-hot, with a "none" slot) and the position, `D → H → H → V` with tanh, in `Float`.
///
/// The first layer is a sum of rows (the features are one-hot indices), so a token costs about
/// `H² + H·V` multiply-adds forward and twice that backward. Parameters: `W₁ [D][H]` (row per
/// feature), `b₁`, `W₂ [H][H]`, `b₂`, `W₃ [V][H]`, `b₃`, flat.
public struct SequencePolicy: Sendable {
  public let inputs: Int, hidden: Int, vocabulary: Int
  public var parameters: [Float]

  /// Feature layout for a task: prompt block, then 4 × (V + 1) history slots, then the position.
  public static func inputDimension(_ task: SequenceTask) -> Int { task.promptDimension + 4 * (task.vocabulary + 1) + task.answerLength }

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

  var offsets: (w1: Int, b1: Int, w2: Int, b2: Int, w3: Int, b3: Int) {
    let w1 = 0, b1 = inputs * hidden, w2 = b1 + hidden, b2 = w2 + hidden * hidden, w3 = b2 + hidden, b3 = w3 + vocabulary * hidden
    return (w1, b1, w2, b2, w3, b3)
  }

  public var parameterCount: Int { inputs * hidden + hidden + hidden * hidden + hidden + vocabulary * hidden + vocabulary }

  /// A policy with `N(0, 1/fan_in)` weights (output layer ×0.1), zero biases.
  public init(inputs: Int, hidden: Int = 128, vocabulary: Int, seed: UInt64) {
    self.inputs = inputs
    self.hidden = hidden
    self.vocabulary = vocabulary
    parameters = []
    var rng = Xoshiro256StarStar(seed: seed, stream: 0x90)
    let o = (w1: 0, b1: inputs * hidden, w2: inputs * hidden + hidden, b2: inputs * hidden + hidden + hidden * hidden,
             w3: inputs * hidden + 2 * hidden + hidden * hidden, b3: inputs * hidden + 2 * hidden + hidden * hidden + vocabulary * hidden)
    var p = [Float](repeating: 0, count: o.b3 + vocabulary)
    for i in 0..<(inputs * hidden) { p[o.w1 + i] = Float(rng.nextGaussian() / 3) }  // ~7 active inputs
    for i in 0..<(hidden * hidden) { p[o.w2 + i] = Float(rng.nextGaussian() / Double(hidden).squareRoot()) }
    for i in 0..<(vocabulary * hidden) { p[o.w3 + i] = Float(0.1 * rng.nextGaussian() / Double(hidden).squareRoot()) }
    parameters = p
  }

  /// Activations of one token, for the backward pass.
  public struct Trace {
    public var h1: [Float], h2: [Float], logits: [Float]
  }

  /// Forward pass of one token.
  public func forward(_ features: [Int]) -> Trace {
    let o = offsets, h = hidden, v = vocabulary
    var h1 = [Float](repeating: 0, count: h), h2 = h1, z = [Float](repeating: 0, count: v)
    parameters.withUnsafeBufferPointer { p in
      h1.withUnsafeMutableBufferPointer { a in
        for j in 0..<h { a[j] = p[o.b1 + j] }
        for f in features { for j in 0..<h { a[j] += p[o.w1 + f * h + j] } }
        vectorTanh(a.baseAddress!, h)
      }
      h1.withUnsafeBufferPointer { a in
        h2.withUnsafeMutableBufferPointer { b in
          for i in 0..<h { b[i] = dot(p.baseAddress! + o.w2 + i * h, a.baseAddress!, h) + p[o.b2 + i] }
          vectorTanh(b.baseAddress!, h)
        }
      }
      h2.withUnsafeBufferPointer { b in
        for k in 0..<v { z[k] = p[o.b3 + k] + dot(p.baseAddress! + o.w3 + k * h, b.baseAddress!, h) }
      }
    }
    return Trace(h1: h1, h2: h2, logits: z)
  }

  /// Adds `∂loss/∂θ` for one token with logit gradient `dz` to `g`.
  public func backward(_ features: [Int], _ trace: Trace, logitGradient dz: [Float], into g: inout [Float]) {
    let o = offsets, h = hidden, v = vocabulary
    var dh2 = [Float](repeating: 0, count: h), dh1 = dh2
    parameters.withUnsafeBufferPointer { pb in
      g.withUnsafeMutableBufferPointer { gb in
        trace.h1.withUnsafeBufferPointer { h1b in
          trace.h2.withUnsafeBufferPointer { h2b in
            dh2.withUnsafeMutableBufferPointer { d2b in
              dh1.withUnsafeMutableBufferPointer { d1b in
                let p = pb.baseAddress!, gr = gb.baseAddress!, h1 = h1b.baseAddress!, h2 = h2b.baseAddress!
                let d2 = d2b.baseAddress!, d1 = d1b.baseAddress!
                for k in 0..<v where dz[k] != 0 {
                  let d = dz[k]
                  gr[o.b3 + k] += d
                  let w = p + o.w3 + k * h, gw = gr + o.w3 + k * h
                  for j in 0..<h {
                    gw[j] += d * h2[j]
                    d2[j] += d * w[j]
                  }
                }
                for i in 0..<h { d2[i] *= 1 - h2[i] * h2[i] }
                for i in 0..<h {
                  let d = d2[i]
                  gr[o.b2 + i] += d
                  let w = p + o.w2 + i * h, gw = gr + o.w2 + i * h
                  for j in 0..<h {
                    gw[j] += d * h1[j]
                    d1[j] += d * w[j]
                  }
                }
                for j in 0..<h { d1[j] *= 1 - h1[j] * h1[j] }
                for j in 0..<h { gr[o.b1 + j] += d1[j] }
                for f in features {
                  let gw = gr + o.w1 + f * h
                  for j in 0..<h { gw[j] += d1[j] }
                }
              }
            }
          }
        }
      }
    }
  }

  // MARK: Files

  static let magic: [UInt8] = Array("LDPOLICY".utf8)

  /// The policy as bytes: magic, version 1, sizes, the parameters, and an FNV-1a checksum.
  public func encoded() -> Data {
    var d = Data(Self.magic)
    for x in [UInt32(1), UInt32(inputs), UInt32(hidden), UInt32(vocabulary)] { withUnsafeBytes(of: x.littleEndian) { d.append(contentsOf: $0) } }
    parameters.withUnsafeBytes { d.append(contentsOf: $0) }
    let sum = Self.checksum(d)
    withUnsafeBytes(of: sum.littleEndian) { d.append(contentsOf: $0) }
    return d
  }

  static func checksum(_ d: Data) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in d { hash = (hash ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    return hash
  }

  /// Reads a policy file written by ``encoded()``, refusing a corrupt or truncated one.
  public init(decoding d: Data, source: String = "policy") throws(RLVRError) {
    guard d.count >= 8 + 16 + 8, Array(d.prefix(8)) == Self.magic else { throw RLVRError("\(source) is not a logitdyn policy file") }
    func word(_ at: Int) -> Int { Int(d.subdata(in: at..<(at + 4)).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }.littleEndian) }
    guard word(8) == 1 else { throw RLVRError("\(source): unsupported policy file version \(word(8))") }
    let (i, h, v) = (word(12), word(16), word(20))
    guard i > 0, h > 0, v > 0, i < 1 << 20, h < 1 << 14, v < 1 << 16 else { throw RLVRError("\(source): corrupt header") }
    let count = i * h + h + h * h + h + v * h + v
    guard d.count == 24 + 4 * count + 8 else { throw RLVRError("\(source) is truncated or has trailing bytes (\(d.count) bytes, expected \(24 + 4 * count + 8))") }
    let stored = d.subdata(in: (d.count - 8)..<d.count).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian
    guard stored == Self.checksum(d.prefix(d.count - 8)) else { throw RLVRError("\(source) is corrupt (checksum mismatch)") }
    inputs = i
    hidden = h
    vocabulary = v
    parameters = d.subdata(in: 24..<(24 + 4 * count)).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    guard parameters.allSatisfy(\.isFinite) else { throw RLVRError("\(source) holds non-finite parameters") }
  }
}

/// Adam on `Float` parameters (`β₁ = 0.9`, `β₂ = 0.999`, `ε = 1e-8`), descending the loss.
public struct FloatAdam: Sendable {
  var m: [Float], v: [Float], t = 0
  public var rate: Float
  public init(count: Int, rate: Float) {
    m = [Float](repeating: 0, count: count)
    v = m
    self.rate = rate
  }

  public mutating func step(_ theta: inout [Float], _ g: [Float]) {
    t += 1
    let c1 = 1 - Float.pow(0.9, Float(t)), c2 = 1 - Float.pow(0.999, Float(t))
    for i in theta.indices {
      m[i] = 0.9 * m[i] + 0.1 * g[i]
      v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i]
      theta[i] -= rate * (m[i] / c1) / ((v[i] / c2).squareRoot() + 1e-8)
    }
  }
}
