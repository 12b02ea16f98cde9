/// A row batch of network input: dense rows, or the active one-hot indices of each row.
@frozen
public enum NetworkInput: @unchecked Sendable {
  /// `rows × features` values.
  case dense(MatrixView)
  /// `rows × active` indices, row-major, each in `0 ..< features`.
  case oneHot(UnsafePointer<Int32>)
}

/// The forward and backward passes of a ``NetworkShape`` over batches of up to ``maxRows``
/// rows, with every buffer they need allocated once, here: a pass allocates nothing.
///
/// Forward: `h_l = σ_l(h_{l−1} W_l + b_l)`, one fused product per layer
/// (``MatrixProduct/multiply(_:_:into:accumulate:bias:activation:scratch:)``), the first layer a
/// gather-sum of rows for one-hot input. Backward, from `δ_L = ∂loss/∂z` (the caller's
/// loss: this module knows none): `∂W_l = h_{l−1}ᵀ δ_l` (a scatter-add of `δ₁` rows for
/// one-hot input), `∂b_l = Σ_rows δ_l`, `δ_{l−1} = (δ_l W_lᵀ) ⊙ σ'(h_{l−1})`.
///
/// A workspace holds the activations of the last forward pass, which the backward pass uses:
/// one owner at a time.
///
/// - Complexity: forward `Σ_l 2 m n_{l−1} n_l` flops for `m` rows (the first layer
///   `m · active · n₁` adds for one-hot input); backward about twice that.
public final class NetworkWorkspace: @unchecked Sendable {
  /// The network.
  public let shape: NetworkShape
  /// The most rows of a batch.
  public let maxRows: Int
  @usableFromInline let widths: [Int]
  @usableFromInline let weightOffsets: [Int], biasOffsets: [Int]
  /// `h_l` of the last forward pass, `l = 1 … L` (the last is the logits).
  @usableFromInline let outputs: [Matrix]
  /// `δ_l` of the hidden layers during a backward pass.
  @usableFromInline let deltas: [Matrix]
  @usableFromInline let scratch: ProductScratch
  /// Rows of the last forward pass.
  public private(set) var rows = 0

  /// Buffers for batches of up to `maxRows` rows.
  public init(_ shape: NetworkShape, maxRows: Int) {
    precondition(maxRows >= 1, "a workspace needs room for at least one row")
    self.shape = shape
    self.maxRows = maxRows
    let w = shape.widths
    widths = w
    weightOffsets = (0..<shape.layerCount).map { shape.weightOffset($0) }
    biasOffsets = (0..<shape.layerCount).map { shape.biasOffset($0) }
    outputs = (1..<w.count).map { Matrix(rows: maxRows, columns: w[$0]) }
    deltas = (1..<max(1, w.count - 1)).map { Matrix(rows: maxRows, columns: w[$0]) }
    var most = 1
    for l in 0..<shape.layerCount {
      // Packed right operands: W_l (forward), δ_l (weight gradient, depth = rows), W_lᵀ (input gradient).
      most = max(most, ProductScratch.required(k: w[l], n: w[l + 1]), ProductScratch.required(k: maxRows, n: w[l + 1]),
                 ProductScratch.required(k: w[l + 1], n: w[l]))
    }
    scratch = ProductScratch(k: most, n: 1)
    _ = scratch.buffer(most)
  }

  /// The logits `z = h_L` of the last forward pass (`rows × outputs`).
  public var logits: MatrixView { MatrixView(outputs[outputs.count - 1].base, rows: rows, columns: widths[widths.count - 1]) }

  /// `h_l` of the last forward pass, `1 ≤ l ≤ L`.
  public func layerOutput(_ l: Int) -> MatrixView { MatrixView(outputs[l - 1].base, rows: rows, columns: widths[l]) }

  /// Runs the network on `rows` rows of `input` with `parameters` (``NetworkShape/parameterCount``
  /// values) and returns the logits.
  @discardableResult
  public func forward(_ parameters: UnsafePointer<Float>, _ input: NetworkInput, rows m: Int) -> MatrixView {
    precondition(m >= 0 && m <= maxRows, "a batch of \(m) rows in a workspace for \(maxRows)")
    rows = m
    let layers = shape.layerCount
    for l in 0..<layers {
      let out = MutableMatrixView(outputs[l].base, rows: m, columns: widths[l + 1])
      let w = MatrixView(parameters + weightOffsets[l], rows: widths[l], columns: widths[l + 1])
      let b = parameters + biasOffsets[l]
      let act = l == layers - 1 ? Activation.identity : shape.activation
      if l == 0 {
        switch input {
        case .dense(let x):
          precondition(x.rows >= m && x.columns == widths[0], "dense input of \(x.rows)×\(x.columns) for \(m) rows of \(widths[0]) features")
          MatrixProduct.multiply(MatrixView(x.base, rows: m, columns: x.columns, stride: x.stride), w, into: out, bias: b, activation: act, scratch: scratch)
        case .oneHot(let indices):
          guard case .oneHot(let features, let active) = shape.input else { preconditionFailure("one-hot input for a network with dense input") }
          OneHotLayer.forward(indices: indices, active: active, features: features, rows: m, weights: w.base, bias: b, activation: act, into: out)
        }
      } else {
        MatrixProduct.multiply(layerOutput(l), w, into: out, bias: b, activation: act, scratch: scratch)
      }
    }
    return logits
  }

  /// Adds (or, without `accumulate`, writes) `∂loss/∂θ` to `gradient` for the batch of the
  /// last forward pass, given `∂loss/∂z` (`rows × outputs`). `parameters` and `input` must be
  /// those of that forward pass.
  public func backward(
    _ parameters: UnsafePointer<Float>, _ input: NetworkInput, outputGradient: MatrixView,
    into gradient: UnsafeMutablePointer<Float>, accumulate: Bool = false
  ) {
    let m = rows, layers = shape.layerCount
    precondition(outputGradient.rows == m && outputGradient.columns == widths[layers], "output gradient of \(outputGradient.rows)×\(outputGradient.columns) for \(m) rows of \(widths[layers]) outputs")
    var delta = outputGradient
    for l in stride(from: layers - 1, through: 0, by: -1) {
      let nIn = widths[l], nOut = widths[l + 1]
      let gw = MutableMatrixView(gradient + weightOffsets[l], rows: nIn, columns: nOut)
      if l == 0, case .oneHot(let indices) = input {
        guard case .oneHot(_, let active) = shape.input else { preconditionFailure("one-hot input for a network with dense input") }
        if !accumulate { gw.base.update(repeating: 0, count: nIn * nOut) }
        OneHotLayer.backward(indices: indices, active: active, rows: m, delta: delta, into: gw.base)
      } else {
        let x: MatrixView
        if l == 0, case .dense(let d) = input { x = MatrixView(d.base, rows: m, columns: d.columns, stride: d.stride) } else { x = layerOutput(l) }
        MatrixProduct.multiplyTransposingA(x, delta, into: gw, accumulate: accumulate, scratch: scratch)
      }
      ColumnSums.add(delta, into: gradient + biasOffsets[l], accumulate: accumulate)
      guard l > 0 else { break }
      let w = MatrixView(parameters + weightOffsets[l], rows: nIn, columns: nOut)
      let next = MutableMatrixView(deltas[l - 1].base, rows: m, columns: nIn)
      MatrixProduct.multiplyTransposingB(delta, w, into: next, scratch: scratch)
      ActivationGradient.apply(shape.activation, to: next, output: layerOutput(l))
      delta = next.view
    }
  }
}

/// The one-hot input layer: a gather-sum of weight rows, and its scatter-add backward pass.
enum OneHotLayer {
  /// `out[r] = σ(b + Σ_{f ∈ active(r)} W[f])`.
  static func forward(
    indices: UnsafePointer<Int32>, active: Int, features: Int, rows: Int, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
    activation: Activation, into out: MutableMatrixView
  ) {
    let n = out.columns
    for r in 0..<rows {
      let row = out.base + r * out.stride, idx = indices + r * active
      for f in 0..<active { precondition(idx[f] >= 0 && Int(idx[f]) < features, "one-hot index \(idx[f]) outside 0..<\(features)") }
      var j = 0
      while j + 16 <= n {
        var s = load16(bias + j)
        for f in 0..<active { s += load16(weights + Int(idx[f]) * n + j) }
        UnsafeMutableRawPointer(row + j).storeBytes(of: activation.apply(s), as: SIMD16<Float>.self)
        j += 16
      }
      if j < n {
        var s = SIMD16<Float>()
        for t in 0..<(n - j) {
          var v = bias[j + t]
          for f in 0..<active { v += weights[Int(idx[f]) * n + j + t] }
          s[t] = v
        }
        let a = activation.apply(s)
        for t in 0..<(n - j) { row[j + t] = a[t] }
      }
    }
  }

  /// `∂W[f] += δ[r]` for every active `f` of every row `r`.
  static func backward(indices: UnsafePointer<Int32>, active: Int, rows: Int, delta: MatrixView, into gw: UnsafeMutablePointer<Float>) {
    let n = delta.columns
    for r in 0..<rows {
      let d = delta.base + r * delta.stride, idx = indices + r * active
      for f in 0..<active {
        addRow(d, into: gw + Int(idx[f]) * n, count: n)
      }
    }
  }
}

/// `∂b = Σ_rows δ` (rows added in order, 16 columns at a time).
enum ColumnSums {
  static func add(_ delta: MatrixView, into out: UnsafeMutablePointer<Float>, accumulate: Bool) {
    let n = delta.columns
    if !accumulate { out.update(repeating: 0, count: n) }
    for r in 0..<delta.rows {
      addRow(delta.base + r * delta.stride, into: out, count: n)
    }
  }
}

/// `out[j] += x[j]` for `j < n`, 16 lanes at a time.
@inline(__always)
func addRow(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count n: Int) {
  var j = 0
  while j + 16 <= n {
    UnsafeMutableRawPointer(out + j).storeBytes(of: load16(out + j) + load16(x + j), as: SIMD16<Float>.self)
    j += 16
  }
  while j < n {
    out[j] += x[j]
    j += 1
  }
}

/// `δ ← δ ⊙ σ'(h)` in place, `σ'` written in terms of the layer output `h`.
enum ActivationGradient {
  static func apply(_ activation: Activation, to delta: MutableMatrixView, output h: MatrixView) {
    guard activation != .identity else { return }
    let n = delta.columns
    for r in 0..<delta.rows {
      let d = delta.base + r * delta.stride, y = h.base + r * h.stride
      var j = 0
      while j + 16 <= n {
        UnsafeMutableRawPointer(d + j).storeBytes(of: activation.backward(load16(d + j), output: load16(y + j)), as: SIMD16<Float>.self)
        j += 16
      }
      while j < n {
        d[j] = activation.backward(SIMD16<Float>(repeating: d[j]), output: SIMD16<Float>(repeating: y[j]))[0]
        j += 1
      }
    }
  }
}
