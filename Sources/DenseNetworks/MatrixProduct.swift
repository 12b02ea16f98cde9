import KernelIntrinsics

/// Columns of one packed panel of the right operand and of one micro-kernel tile: 32 (two
/// 16-lane vectors) where the target has AVX-512, 16 elsewhere (AVX2+FMA: one `SIMD16` is two
/// 8-lane registers).
@usableFromInline
let panelWidth = targetHasAVX512 ? 32 : 16

/// Whether the module is compiled for a CPU with AVX-512 (a constant the optimiser folds).
@usableFromInline
var targetHasAVX512: Bool {
  @inline(__always) get { LOGITDYN_HAS_AVX512 != 0 }
}

/// Rows of one micro-kernel tile: 8 with AVX-512 (16 accumulators of the 32 registers), 6
/// with AVX2 (12 of the 16 registers, two for the panel, one for the broadcast).
@usableFromInline
let tileRows = targetHasAVX512 ? 8 : 6

/// Matrix products in the three shapes training needs, `C = op(A)·op(B)`:
///
/// - ``multiply(_:_:into:accumulate:bias:activation:scratch:)``: `C (+)= A·B` (forward pass,
///   `Y = σ(X·W + b)` with the bias and activation fused into the store);
/// - ``multiplyTransposingA(_:_:into:accumulate:scratch:)``: `C (+)= Aᵀ·B` (weight gradient
///   `∂W = Xᵀ·δ`);
/// - ``multiplyTransposingB(_:_:into:accumulate:scratch:)``: `C (+)= A·Bᵀ` (input gradient
///   `∂X = δ·Wᵀ`).
///
/// Scheme (as in BLIS/GotoBLAS, without the outer cache blocking our small matrices do not
/// need): the right operand is packed once into panels of ``panelWidth`` columns, `k` rows
/// each, zero-padded (a transposed operand is transposed while packing); a register-blocked
/// micro-kernel then computes a tile of ``tileRows`` × ``panelWidth`` of `C` in registers,
/// one broadcast of `A(i, p)` and one fused multiply-add per vector and row for every `p`,
/// reading `A` through strides so that `A` and `Aᵀ` cost the same. Row and column edges run
/// the same kernel (missing rows repeat the last one and are not stored; padded columns are
/// not stored), so every element of `C` is one fixed-order sum `Σ_p A(i,p) B(p,j)` in `Float`
/// with fused multiply-adds, the same whatever the shapes around it. Subnormal values are
/// flushed to zero during a product (FTZ/DAZ on x86-64): below `1.2e-38` they carry nothing a
/// training step can use, and each would cost a microcode assist.
///
/// - Complexity: `2mnk` flops, `k·n` values packed.
public enum MatrixProduct {
  /// `C = A·B` or `C += A·B`, then `C ← σ(C + b)` where a bias or activation is given.
  ///
  /// - Parameters:
  ///   - a: `m × k`.
  ///   - b: `k × n`.
  ///   - c: `m × n`.
  ///   - bias: `n` values added to every row (after the product and any accumulation).
  @inlinable
  public static func multiply(
    _ a: MatrixView, _ b: MatrixView, into c: MutableMatrixView, accumulate: Bool = false,
    bias: UnsafePointer<Float>? = nil, activation: Activation = .identity, scratch: ProductScratch
  ) {
    precondition(a.columns == b.rows && c.rows == a.rows && c.columns == b.columns, "A·B: shapes \(a.rows)×\(a.columns) · \(b.rows)×\(b.columns) → \(c.rows)×\(c.columns)")
    product(m: a.rows, n: b.columns, k: a.columns, a: a.base, aRowStep: a.stride, aDepthStep: 1,
            b: b.base, bDepthStep: b.stride, bColumnStep: 1, c: c, accumulate: accumulate, bias: bias, activation: activation, scratch: scratch)
  }

  /// `C = Aᵀ·B` or `C += Aᵀ·B`.
  ///
  /// - Parameters:
  ///   - a: `k × m` (its transpose is multiplied).
  ///   - b: `k × n`.
  ///   - c: `m × n`.
  @inlinable
  public static func multiplyTransposingA(
    _ a: MatrixView, _ b: MatrixView, into c: MutableMatrixView, accumulate: Bool = false, scratch: ProductScratch
  ) {
    precondition(a.rows == b.rows && c.rows == a.columns && c.columns == b.columns, "Aᵀ·B: shapes (\(a.rows)×\(a.columns))ᵀ · \(b.rows)×\(b.columns) → \(c.rows)×\(c.columns)")
    product(m: a.columns, n: b.columns, k: a.rows, a: a.base, aRowStep: 1, aDepthStep: a.stride,
            b: b.base, bDepthStep: b.stride, bColumnStep: 1, c: c, accumulate: accumulate, bias: nil, activation: .identity, scratch: scratch)
  }

  /// `C = A·Bᵀ` or `C += A·Bᵀ`.
  ///
  /// - Parameters:
  ///   - a: `m × k`.
  ///   - b: `n × k` (its transpose is multiplied).
  ///   - c: `m × n`.
  @inlinable
  public static func multiplyTransposingB(
    _ a: MatrixView, _ b: MatrixView, into c: MutableMatrixView, accumulate: Bool = false, scratch: ProductScratch
  ) {
    precondition(a.columns == b.columns && c.rows == a.rows && c.columns == b.rows, "A·Bᵀ: shapes \(a.rows)×\(a.columns) · (\(b.rows)×\(b.columns))ᵀ → \(c.rows)×\(c.columns)")
    product(m: a.rows, n: b.rows, k: a.columns, a: a.base, aRowStep: a.stride, aDepthStep: 1,
            b: b.base, bDepthStep: 1, bColumnStep: b.stride, c: c, accumulate: accumulate, bias: nil, activation: .identity, scratch: scratch)
  }

  /// The general product: `A(i, p) = a[i·aRowStep + p·aDepthStep]`,
  /// `B(p, j) = b[p·bDepthStep + j·bColumnStep]`.
  @usableFromInline
  static func product(
    m: Int, n: Int, k: Int, a: UnsafePointer<Float>, aRowStep: Int, aDepthStep: Int,
    b: UnsafePointer<Float>, bDepthStep: Int, bColumnStep: Int, c: MutableMatrixView, accumulate: Bool,
    bias: UnsafePointer<Float>?, activation: Activation, scratch: ProductScratch
  ) {
    guard m > 0, n > 0 else { return }
    // Subnormal operands or results (tiny gradients late in training) would cost a microcode
    // assist per operation: flushed to zero for the product (the thread's mode is restored).
    let control = logitdyn_flush_subnormals()
    defer { logitdyn_restore_float_control(control) }
    let nr = panelWidth, panels = (n + nr - 1) / nr
    let packed = scratch.buffer(max(1, k * panels * nr))
    pack(n: n, k: k, b: b, depthStep: bDepthStep, columnStep: bColumnStep, into: packed)
    for p in 0..<panels {
      let j0 = p * nr, width = min(nr, n - j0)
      var bias0 = SIMD16<Float>(), bias1 = SIMD16<Float>()
      if let bias {
        for j in 0..<width { if j < 16 { bias0[j] = bias[j0 + j] } else { bias1[j - 16] = bias[j0 + j] } }
      }
      let store = TileStore(columns: width, accumulate: accumulate, hasBias: bias != nil, bias0: bias0, bias1: bias1, activation: activation)
      let panel = UnsafePointer(packed + p * k * nr)
      var i = 0
      while i < m {
        let rows = min(tileRows, m - i)
        let tileA = a + i * aRowStep, tileC = c.base + i * c.stride + j0
        if targetHasAVX512 {
          kernel8x32(tileA, aRowStep, aDepthStep, rows, panel, k, tileC, c.stride, store)
        } else {
          kernel6x16(tileA, aRowStep, aDepthStep, rows, panel, k, tileC, c.stride, store)
        }
        i += tileRows
      }
    }
  }

  /// Packs `B` (`k × n`) into panels of ``panelWidth`` columns: panel `q` holds
  /// `B(p, q·w + j)` at `[p·w + j]`, zero past column `n`.
  @usableFromInline
  static func pack(n: Int, k: Int, b: UnsafePointer<Float>, depthStep: Int, columnStep: Int, into out: UnsafeMutablePointer<Float>) {
    let nr = panelWidth, panels = (n + nr - 1) / nr
    for q in 0..<panels {
      let j0 = q * nr, width = min(nr, n - j0), dst = out + q * k * nr
      if columnStep == 1 && width == nr {
        for p in 0..<k {
          let src = b + p * depthStep + j0
          for j in Swift.stride(from: 0, to: nr, by: 16) {
            UnsafeMutableRawPointer(dst + p * nr + j).storeBytes(of: UnsafeRawPointer(src + j).loadUnaligned(as: SIMD16<Float>.self), as: SIMD16<Float>.self)
          }
        }
      } else if columnStep == 1 {
        for p in 0..<k {
          let src = b + p * depthStep + j0, row = dst + p * nr
          for j in 0..<width { row[j] = src[j] }
          for j in width..<nr { row[j] = 0 }
        }
      } else {
        // Transposed operand: read along its rows (contiguous in p), write down the panel.
        for j in 0..<nr {
          if j < width {
            let src = b + (j0 + j) * columnStep
            for p in 0..<k { dst[p * nr + j] = src[p * depthStep] }
          } else {
            for p in 0..<k { dst[p * nr + j] = 0 }
          }
        }
      }
    }
  }
}

/// How a tile is written back: how many of its columns exist, whether it adds to `C`, and the
/// fused bias and activation.
@usableFromInline
struct TileStore {
  @usableFromInline let columns: Int
  @usableFromInline let accumulate: Bool, hasBias: Bool
  @usableFromInline let bias0: SIMD16<Float>, bias1: SIMD16<Float>
  @usableFromInline let activation: Activation

  @usableFromInline
  init(columns: Int, accumulate: Bool, hasBias: Bool, bias0: SIMD16<Float>, bias1: SIMD16<Float>, activation: Activation) {
    self.columns = columns
    self.accumulate = accumulate
    self.hasBias = hasBias
    self.bias0 = bias0
    self.bias1 = bias1
    self.activation = activation
  }

  /// Writes 16 values `v` of a row to `c` (columns `offset ..< offset + 16` of the tile).
  @inline(__always) @usableFromInline
  func write(_ v: SIMD16<Float>, _ c: UnsafeMutablePointer<Float>, offset: Int, bias: SIMD16<Float>) {
    let valid = columns - offset
    guard valid > 0 else { return }
    var x = v
    if valid >= 16 {
      if accumulate { x += UnsafeRawPointer(c).loadUnaligned(as: SIMD16<Float>.self) }
      if hasBias { x += bias }
      x = activation.apply(x)
      UnsafeMutableRawPointer(c).storeBytes(of: x, as: SIMD16<Float>.self)
    } else {
      if accumulate { for j in 0..<valid { x[j] += c[j] } }
      if hasBias { x += bias }
      x = activation.apply(x)
      for j in 0..<valid { c[j] = x[j] }
    }
  }
}

@inline(__always) @usableFromInline
func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self) }

/// The AVX-512 micro-kernel: a tile of 8 rows × 32 columns in 16 vector accumulators; for each
/// `p`, two panel vectors and eight broadcasts feed sixteen fused multiply-adds. Rows past
/// `rows` read the last real row and are not stored.
@usableFromInline
func kernel8x32(
  _ a: UnsafePointer<Float>, _ rs: Int, _ ds: Int, _ rows: Int, _ panel: UnsafePointer<Float>, _ k: Int,
  _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ store: TileStore
) {
  let a0 = a, a1 = a + min(1, rows - 1) * rs, a2 = a + min(2, rows - 1) * rs, a3 = a + min(3, rows - 1) * rs
  let a4 = a + min(4, rows - 1) * rs, a5 = a + min(5, rows - 1) * rs, a6 = a + min(6, rows - 1) * rs, a7 = a + min(7, rows - 1) * rs
  var c00 = SIMD16<Float>(), c01 = SIMD16<Float>(), c10 = SIMD16<Float>(), c11 = SIMD16<Float>()
  var c20 = SIMD16<Float>(), c21 = SIMD16<Float>(), c30 = SIMD16<Float>(), c31 = SIMD16<Float>()
  var c40 = SIMD16<Float>(), c41 = SIMD16<Float>(), c50 = SIMD16<Float>(), c51 = SIMD16<Float>()
  var c60 = SIMD16<Float>(), c61 = SIMD16<Float>(), c70 = SIMD16<Float>(), c71 = SIMD16<Float>()
  var bp = panel, off = 0
  for _ in 0..<k {
    let b0 = load16(bp), b1 = load16(bp + 16)
    var x = SIMD16<Float>(repeating: a0[off]); c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
    x = SIMD16<Float>(repeating: a1[off]); c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1)
    x = SIMD16<Float>(repeating: a2[off]); c20 = c20.addingProduct(x, b0); c21 = c21.addingProduct(x, b1)
    x = SIMD16<Float>(repeating: a3[off]); c30 = c30.addingProduct(x, b0); c31 = c31.addingProduct(x, b1)
    x = SIMD16<Float>(repeating: a4[off]); c40 = c40.addingProduct(x, b0); c41 = c41.addingProduct(x, b1)
    x = SIMD16<Float>(repeating: a5[off]); c50 = c50.addingProduct(x, b0); c51 = c51.addingProduct(x, b1)
    x = SIMD16<Float>(repeating: a6[off]); c60 = c60.addingProduct(x, b0); c61 = c61.addingProduct(x, b1)
    x = SIMD16<Float>(repeating: a7[off]); c70 = c70.addingProduct(x, b0); c71 = c71.addingProduct(x, b1)
    bp += 32
    off += ds
  }
  let b0 = store.bias0, b1 = store.bias1
  store.write(c00, c, offset: 0, bias: b0); store.write(c01, c + 16, offset: 16, bias: b1)
  guard rows > 1 else { return }
  store.write(c10, c + ldc, offset: 0, bias: b0); store.write(c11, c + ldc + 16, offset: 16, bias: b1)
  guard rows > 2 else { return }
  store.write(c20, c + 2 * ldc, offset: 0, bias: b0); store.write(c21, c + 2 * ldc + 16, offset: 16, bias: b1)
  guard rows > 3 else { return }
  store.write(c30, c + 3 * ldc, offset: 0, bias: b0); store.write(c31, c + 3 * ldc + 16, offset: 16, bias: b1)
  guard rows > 4 else { return }
  store.write(c40, c + 4 * ldc, offset: 0, bias: b0); store.write(c41, c + 4 * ldc + 16, offset: 16, bias: b1)
  guard rows > 5 else { return }
  store.write(c50, c + 5 * ldc, offset: 0, bias: b0); store.write(c51, c + 5 * ldc + 16, offset: 16, bias: b1)
  guard rows > 6 else { return }
  store.write(c60, c + 6 * ldc, offset: 0, bias: b0); store.write(c61, c + 6 * ldc + 16, offset: 16, bias: b1)
  guard rows > 7 else { return }
  store.write(c70, c + 7 * ldc, offset: 0, bias: b0); store.write(c71, c + 7 * ldc + 16, offset: 16, bias: b1)
}

/// The AVX2+FMA micro-kernel: a tile of 6 rows × 16 columns in six 16-lane accumulators
/// (twelve 8-lane registers); for each `p`, one panel vector and six broadcasts feed six
/// 16-lane (twelve 8-lane) fused multiply-adds. Rows past `rows` read the last real row and
/// are not stored.
@usableFromInline
func kernel6x16(
  _ a: UnsafePointer<Float>, _ rs: Int, _ ds: Int, _ rows: Int, _ panel: UnsafePointer<Float>, _ k: Int,
  _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ store: TileStore
) {
  let a0 = a, a1 = a + min(1, rows - 1) * rs, a2 = a + min(2, rows - 1) * rs
  let a3 = a + min(3, rows - 1) * rs, a4 = a + min(4, rows - 1) * rs, a5 = a + min(5, rows - 1) * rs
  var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>()
  var c3 = SIMD16<Float>(), c4 = SIMD16<Float>(), c5 = SIMD16<Float>()
  var bp = panel, off = 0
  for _ in 0..<k {
    let b = load16(bp)
    c0 = c0.addingProduct(SIMD16<Float>(repeating: a0[off]), b)
    c1 = c1.addingProduct(SIMD16<Float>(repeating: a1[off]), b)
    c2 = c2.addingProduct(SIMD16<Float>(repeating: a2[off]), b)
    c3 = c3.addingProduct(SIMD16<Float>(repeating: a3[off]), b)
    c4 = c4.addingProduct(SIMD16<Float>(repeating: a4[off]), b)
    c5 = c5.addingProduct(SIMD16<Float>(repeating: a5[off]), b)
    bp += 16
    off += ds
  }
  let b0 = store.bias0
  store.write(c0, c, offset: 0, bias: b0)
  guard rows > 1 else { return }
  store.write(c1, c + ldc, offset: 0, bias: b0)
  guard rows > 2 else { return }
  store.write(c2, c + 2 * ldc, offset: 0, bias: b0)
  guard rows > 3 else { return }
  store.write(c3, c + 3 * ldc, offset: 0, bias: b0)
  guard rows > 4 else { return }
  store.write(c4, c + 4 * ldc, offset: 0, bias: b0)
  guard rows > 5 else { return }
  store.write(c5, c + 5 * ldc, offset: 0, bias: b0)
}
