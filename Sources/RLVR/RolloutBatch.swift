import DenseNetworks
import Foundation
import SeededRandom

/// Many responses generated together, stored flat, sequence-major: token `t` of sequence `s`
/// is row `s·L + t`.
public struct RolloutBatch: Sendable {
  /// Sequences, answer length `L`, vocabulary `V`, active features per token `A`.
  public let sequences: Int, length: Int, vocabulary: Int, active: Int
  /// The prompt of each sequence.
  public var prompts: [Prompt]
  /// `[s·L + t][A]`: the active features of every token.
  public var features: [Int32]
  /// `[s·L + t]`: the sampled tokens.
  public var tokens: [Int]
  /// `[s·L + t][V]`: the logits (temperature 1) before any update.
  public var logits: [Float]
  /// `[s·L + t]`: `log π(token)` and the entropy of `π = softmax(z/T)`.
  public var logProbs: [Double], entropies: [Double]
  /// `[s]`: whether the verifier accepts the answer.
  public var correct: [Bool]

  /// Room for `sequences` responses.
  init(sequences: Int, length: Int, vocabulary: Int, active: Int) {
    self.sequences = sequences
    self.length = length
    self.vocabulary = vocabulary
    self.active = active
    let n = sequences * length
    prompts = []
    features = [Int32](repeating: 0, count: n * active)
    tokens = [Int](repeating: 0, count: n)
    logits = [Float](repeating: 0, count: n * vocabulary)
    logProbs = [Double](repeating: 0, count: n)
    entropies = logProbs
    correct = [Bool](repeating: false, count: sequences)
  }

  /// The answer of sequence `s`.
  public func answer(_ s: Int) -> ArraySlice<Int> { tokens[(s * length)..<((s + 1) * length)] }

  /// Sequence `s` as a ``Rollout``.
  public func rollout(_ s: Int) -> Rollout {
    let l = length, v = vocabulary, a = active
    return Rollout(
      prompt: prompts[s], tokens: Array(answer(s)),
      features: (0..<l).map { t in features[((s * l + t) * a)..<((s * l + t + 1) * a)].map(Int.init) },
      logits: (0..<l).map { t in Array(logits[((s * l + t) * v)..<((s * l + t + 1) * v)]) },
      logProbs: Array(logProbs[(s * l)..<((s + 1) * l)]), entropies: Array(entropies[(s * l)..<((s + 1) * l)]), correct: correct[s])
  }
}

/// The batched engine of a run: one ``NetworkWorkspace`` for the policy and the buffers
/// around it. Generation runs all sequences of a batch together, position by position (one
/// product per layer and position for the whole batch, then sampling from the rows);
/// training passes run whole mini-batches of tokens.
final class PolicyEngine {
  let task: SequenceTask
  let active: Int, vocabulary: Int, length: Int
  let workspace: NetworkWorkspace
  /// Feature rows of one step of generation, or of a gathered mini-batch.
  var rowFeatures: [Int32]
  /// `∂loss/∂z` rows.
  var logitGradient: [Float]
  /// The distinct rows of the last forward pass, and `∂loss/∂z` summed over each one's copies.
  let distinct: DistinctRows
  let distinctGradient: UnsafeMutablePointer<Float>
  /// Whether passes run the distinct rows of a batch only (``RLVRSettings/shareIdenticalStates``).
  let sharesStates: Bool
  /// The softmax of one row, and of a second row (the entropy change compares two).
  let row: RowSoftmax, otherRow: RowSoftmax

  init(task: SequenceTask, policy: SequencePolicy, maxRows: Int, sharesStates: Bool = true) {
    self.task = task
    self.sharesStates = sharesStates
    active = SequencePolicy.activeFeatures(task)
    vocabulary = task.vocabulary
    length = task.answerLength
    workspace = NetworkWorkspace(policy.shape(active: active), maxRows: maxRows)
    rowFeatures = [Int32](repeating: 0, count: maxRows * active)
    logitGradient = [Float](repeating: 0, count: maxRows * vocabulary)
    distinct = DistinctRows(active: active, maxRows: maxRows)
    distinctGradient = .allocate(capacity: maxRows * vocabulary)
    row = RowSoftmax(count: vocabulary)
    otherRow = RowSoftmax(count: vocabulary)
  }

  deinit {
    distinctGradient.deallocate()
    row.deallocate()
    otherRow.deallocate()
  }

  var maxRows: Int { workspace.maxRows }

  /// Forward pass of `rows` rows of ``rowFeatures``: of their distinct rows only where the
  /// engine shares states (``DistinctRows``; the logits are bit-identical either way). Read a
  /// row's logits with ``logits(_:)``.
  func forward(_ policy: SequencePolicy, rows: Int) {
    policy.parameters.withUnsafeBufferPointer { p in
      rowFeatures.withUnsafeBufferPointer { f in
        if sharesStates {
          let u = distinct.build(f.baseAddress!, rows: rows)
          workspace.forward(p.baseAddress!, .oneHot(distinct.rows), rows: u)
        } else {
          workspace.forward(p.baseAddress!, .oneHot(f.baseAddress!), rows: rows)
        }
      }
    }
  }

  /// The logits of row `r` of the last forward pass.
  @inline(__always)
  func logits(_ r: Int) -> UnsafePointer<Float> {
    let z = workspace.logits
    return UnsafePointer(z.base + (sharesStates ? Int(distinct.representative[r]) : r) * z.stride)
  }

  /// Adds (or writes) `∂loss/∂θ` for the last forward pass, from the `rows` rows of
  /// ``logitGradient`` (summed over each distinct row's copies where the engine shares states).
  func backward(_ policy: SequencePolicy, into gradient: inout [Float], accumulate: Bool) {
    let v = vocabulary
    policy.parameters.withUnsafeBufferPointer { p in
      rowFeatures.withUnsafeBufferPointer { f in
        logitGradient.withUnsafeBufferPointer { d in
          gradient.withUnsafeMutableBufferPointer { g in
            if sharesStates {
              distinct.sumRows(d.baseAddress!, columns: v, into: distinctGradient)
              workspace.backward(p.baseAddress!, .oneHot(distinct.rows), outputGradient: MatrixView(distinctGradient, rows: distinct.count, columns: v),
                                 into: g.baseAddress!, accumulate: accumulate)
            } else {
              workspace.backward(p.baseAddress!, .oneHot(f.baseAddress!), outputGradient: MatrixView(d.baseAddress!, rows: workspace.rows, columns: v),
                                 into: g.baseAddress!, accumulate: accumulate)
            }
          }
        }
      }
    }
  }

  /// Writes the features of position `t` of a sequence with `prompt` and `history` (the
  /// tokens before `t`) to `out` (``SequencePolicy/features(_:prompt:history:position:)``).
  @inline(__always)
  func writeFeatures(prompt: Prompt, history: UnsafePointer<Int>, position t: Int, to out: UnsafeMutablePointer<Int32>) {
    let base = task.promptDimension, slot = vocabulary + 1
    var j = 0
    for f in prompt.features { out[j] = Int32(f); j += 1 }
    for k in 0..<4 {
      let token = t - 1 - k >= 0 ? history[t - 1 - k] : vocabulary
      out[j] = Int32(base + k * slot + token)
      j += 1
    }
    out[j] = Int32(base + 4 * slot + t)
  }

  /// Generates one response per prompt at `temperature`, drawing from `rng` row by row at
  /// each position.
  func generate(_ policy: SequencePolicy, prompts: [Prompt], temperature: Double, rng: inout Xoshiro256StarStar) -> RolloutBatch {
    let n = prompts.count, l = length, v = vocabulary, a = active
    var batch = RolloutBatch(sequences: n, length: l, vocabulary: v, active: a)
    batch.prompts = prompts
    let beta = 1 / temperature
    batch.tokens.withUnsafeMutableBufferPointer { tokens in
      batch.features.withUnsafeMutableBufferPointer { features in
        batch.logits.withUnsafeMutableBufferPointer { logits in
          var start = 0
          while start < n {
            let rows = min(maxRows, n - start)
            for t in 0..<l {
              rowFeatures.withUnsafeMutableBufferPointer { f in
                for r in 0..<rows {
                  let s = start + r
                  writeFeatures(prompt: prompts[s], history: UnsafePointer(tokens.baseAddress! + s * l), position: t, to: f.baseAddress! + r * a)
                  (features.baseAddress! + (s * l + t) * a).update(from: f.baseAddress! + r * a, count: a)
                }
              }
              forward(policy, rows: rows)
              for r in 0..<rows {
                let s = start + r, row = s * l + t, z = self.logits(r)
                (logits.baseAddress! + row * v).update(from: z, count: v)
                let (token, lp, h) = sample(z, beta: beta, &rng)
                tokens[row] = token
                batch.logProbs[row] = lp
                batch.entropies[row] = h
              }
            }
            start += rows
          }
        }
      }
    }
    for s in 0..<n { batch.correct[s] = task.verify(prompts[s], Array(batch.answer(s))) }
    return batch
  }

  /// Samples from `softmax(βz)` by inversion (the first `a` with `u < p₀ + … + p_a`, as
  /// ``Xoshiro256StarStar/nextCategorical(_:)``), computed in `Double` (``RowSoftmax``);
  /// returns the token, its log-probability and the entropy.
  @inline(__always)
  func sample(_ z: UnsafePointer<Float>, beta: Double, _ rng: inout Xoshiro256StarStar) -> (Int, Double, Double) {
    let logS = row(z, beta: beta)
    let token = rng.nextCategorical(UnsafeBufferPointer(start: row.probabilities, count: vocabulary))
    return (token, row.shifted[token] - logS, row.entropy(logPartition: logS))
  }
}
