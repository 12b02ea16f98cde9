// What the fused row kernels need and Swift cannot name or keep vectorised: a software
// prefetch, a 32-entry table lookup (AVX-512 `vpermt2ps`), the table `exp2` built on it, and
// lane reductions. Static inline functions, imported into Swift and inlined there; `float`
// and `int` vectors of 16 lanes (`ext_vector_type(16)`) are imported as `SIMD16<Float>` and
// `SIMD16<Int32>`. Written with C vector types, they reach LLVM as vector operations (Swift's
// lane-by-lane SIMD code relies on LLVM re-vectorising it, which inside the large kernel
// functions it sometimes did only in part).
//
// The header is compiled by the Swift compiler's Clang importer with the importing module's
// target CPU, so a module built with `-target-cpu native` on an AVX-512 machine gets the
// instructions and any other build gets the portable code below (same results).
#ifndef LOGITDYN_KERNEL_INTRINSICS_H
#define LOGITDYN_KERNEL_INTRINSICS_H

// Clang warns that 16-lane vector arguments "change the ABI" without AVX-512: true for calls
// across object files, moot for these static inline functions, which are always inlined.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wpsabi"

#if defined(__AVX512F__) || defined(__AVX2__) || defined(__F16C__)
#include <immintrin.h>
#endif

/// 16 `float` lanes; Swift sees `SIMD16<Float>`.
typedef float logitdyn_float16 __attribute__((ext_vector_type(16)));
/// 16 `int` lanes; Swift sees `SIMD16<Int32>`.
typedef int logitdyn_int16 __attribute__((ext_vector_type(16)));

/// 1 where this header is compiled for a CPU with AVX-512 (the instructions below are then
/// single instructions), else 0. A macro, so that Swift sees a literal it folds before
/// inlining (a function call here kept the kernels' inner functions from being inlined).
#if defined(__AVX512F__)
#define LOGITDYN_HAS_AVX512 1
#else
#define LOGITDYN_HAS_AVX512 0
#endif

/// 1 where this header is compiled for a CPU with AVX2 and FMA (x86-64-v3: Haswell, Zen and
/// later; also every AVX-512 CPU), where ``logitdyn_exp2_table8`` is fast and is the kernels'
/// `exp2` unless AVX-512 is there too, else 0. 0 also when `LOGITDYN_EXP2_POLYNOMIAL` is
/// defined (`LOGITDYN_EXP2=polynomial swift build`: the polynomial, for timing against it).
#if defined(__AVX2__) && defined(__FMA__) && !defined(LOGITDYN_EXP2_POLYNOMIAL)
#define LOGITDYN_HAS_AVX2_FMA 1
#else
#define LOGITDYN_HAS_AVX2_FMA 0
#endif

/// Asks the memory system to bring the cache line holding `address` into all cache levels,
/// for reading (`prefetcht0` on x86-64, `prfm pldl1keep` on arm64). A prefetch never faults,
/// so it may point past the end of a buffer.
static inline void logitdyn_prefetch_read(const void *address) {
  __builtin_prefetch(address, 0, 3);
}

/// `table[index & 31]` lane by lane from a 32-entry table held in two vectors, `low` (entries
/// 0-15) and `high` (16-31), without the AVX-512 instruction: a loop (slow: the kernels use a
/// polynomial `exp2` instead where `LOGITDYN_HAS_AVX512` is 0).
static inline logitdyn_float16 logitdyn_lookup32_portable(logitdyn_float16 low, logitdyn_float16 high,
                                                          logitdyn_int16 index) {
  logitdyn_float16 r;
  for (int i = 0; i < 16; i++) {
    int j = index[i] & 31;
    r[i] = j < 16 ? low[j] : high[j - 16];
  }
  return r;
}

/// `table[index & 31]` lane by lane (`vpermt2ps` with AVX-512, else
/// ``logitdyn_lookup32_portable``).
static inline logitdyn_float16 logitdyn_lookup32(logitdyn_float16 low, logitdyn_float16 high, logitdyn_int16 index) {
#if defined(__AVX512F__)
  return (logitdyn_float16)_mm512_permutex2var_ps((__m512)low, (__m512i)index, (__m512)high);
#else
  return logitdyn_lookup32_portable(low, high, index);
#endif
}

/// `2^y` lane by lane for `−127 ≤ y ≤ 127` (the caller clamps; `+0` at −127, below `2⁻¹²⁶`
/// between −127 and −126; NaN gives NaN) by a 32-entry table, needing AVX-512 to be fast:
/// `t = y + 1.5·2¹⁸` rounds `y` to `k` in steps of 1/32, the low bits of `t` holding `32k`
/// in two's complement; `r = y − k`, `|r| ≤ 1/64`; `vpermt2ps` picks entry `j = 32k mod 32`
/// of a table holding `bits(2^{j/32}) − j·2¹⁸`, and adding `bits(t) << 18 = ⌊k⌋·2²³ + j·2¹⁸`
/// (mod 2³²) restores the entry and adds `⌊k⌋` to its exponent: `S = 2^{⌊k⌋} 2^{j/32}`.
/// Then `2^y = S · 2^r ≈ S + (S r)(a + b r)`, `a`, `b` fitted for minimal relative error on
/// `[−1/64, 1/64]` (5.3e-8). Relative error below 2e-7 for `y ≥ −126`.
///
/// Written in C with vector types (the Swift version relied on LLVM re-vectorising Swift's
/// lane-by-lane SIMD code, which it did only partly in one of the kernels' loops: 7× slower).
static inline logitdyn_float16 logitdyn_exp2_table(logitdyn_float16 y) {
  const logitdyn_int16 low = {0x3F800000, 0x3F7ECD87, 0x3F7DAAC3, 0x3F7C980F, 0x3F7B95C2, 0x3F7AA43A, 0x3F79C3D3, 0x3F78F4F0, 0x3F7837F0, 0x3F778D3A, 0x3F76F532, 0x3F767043, 0x3F75FED7, 0x3F75A15B, 0x3F75583F, 0x3F7523F6};
  const logitdyn_int16 high = {0x3F7504F3, 0x3F74FBAF, 0x3F7508A4, 0x3F752C4D, 0x3F75672A, 0x3F75B9BE, 0x3F76248C, 0x3F76A81E, 0x3F7744FD, 0x3F77FBB8, 0x3F78CCDF, 0x3F79B907, 0x3F7AC0C7, 0x3F7BE4BA, 0x3F7D257D, 0x3F7E83B3};
  const logitdyn_float16 shifter = 393216.0f;  // 1.5 · 2¹⁸: its ulp is 1/32
  const logitdyn_float16 a = 0.6931573f, b = 0.24022475f;
  logitdyn_float16 t = y + shifter;
#if defined(__AVX512DQ__)
  // r = y − k in one instruction (`vreduceps`, keeping 5 fraction bits, rounding to nearest
  // even as the add above does): 4–6% faster kernels than `k = t − 1.5·2¹⁸`, `r = y − k`.
  logitdyn_float16 r = (logitdyn_float16)_mm512_reduce_ps((__m512)y, 0x50);
#else
  logitdyn_float16 k = t - shifter;
  logitdyn_float16 r = y - k;
#endif
  logitdyn_int16 bits = (logitdyn_int16)t;
  logitdyn_float16 entry = logitdyn_lookup32((logitdyn_float16)low, (logitdyn_float16)high, bits);
  logitdyn_float16 scaled = (logitdyn_float16)((logitdyn_int16)entry + (bits << 18));
  logitdyn_float16 p = __builtin_elementwise_fma(r, b, a);
  return __builtin_elementwise_fma(scaled * r, p, scaled);
}

/// 8 `float` lanes: one AVX register, half of `logitdyn_float16`.
typedef float logitdyn_float8 __attribute__((ext_vector_type(8)));
/// 8 `int` lanes.
typedef int logitdyn_int8 __attribute__((ext_vector_type(8)));

/// `table[index & 7]` lane by lane for 16 lanes (two `vpermps` with AVX2, else a loop).
static inline logitdyn_float16 logitdyn_lookup8(logitdyn_float8 table, logitdyn_int16 index) {
  logitdyn_float16 r;
#if defined(__AVX2__)
  r.lo = (logitdyn_float8)_mm256_permutevar8x32_ps((__m256)table, (__m256i)index.lo);
  r.hi = (logitdyn_float8)_mm256_permutevar8x32_ps((__m256)table, (__m256i)index.hi);
#else
  for (int i = 0; i < 16; i++) r[i] = table[index[i] & 7];
#endif
  return r;
}

/// `2^y` lane by lane for `−127 ≤ y ≤ 127` (the caller clamps; `+0` at −127, below `2⁻¹²⁶`
/// between −127 and −126; NaN gives NaN) by an 8-entry table, for AVX2+FMA CPUs without
/// AVX-512: `t = y + 1.5·2²⁰` rounds `y` to `k` in steps of 1/8, the low bits of `t` holding
/// `8k` in two's complement; `r = y − k`, `|r| ≤ 1/16`; `vpermps` (which reads the low 3 bits
/// of each index) picks entry `j = 8k mod 8` of a table holding `bits(2^{j/8}) − j·2²⁰`, and
/// adding `bits(t) << 20 = ⌊k⌋·2²³ + j·2²⁰` (mod 2³²) restores the entry and adds `⌊k⌋` to
/// its exponent: `S = 2^{⌊k⌋} 2^{j/8}`. Then `2^y = S · 2^r ≈ S + (S r)(c₁ + r(c₂ + r c₃))`,
/// `c₁, c₂, c₃` fitted (Lawson's iteration on 20001 points) for minimal relative error of
/// `1 + r(c₁ + c₂ r + c₃ r²)` on `[−1/16, 1/16]`: 2.5e-8 in exact arithmetic, 1.3e-7 with
/// the Float rounding of the table entry and the three multiply-adds (2·10⁶ random `y`,
/// numpy float64 reference); the tests bound it by 1.5e-7 over the whole range.
///
/// Per 8 lanes: two adds and a subtraction (`t`, `k`, `r`), one `vpermps`, one shift and one
/// integer add, one multiply and three multiply-adds: 10 operations, against 13 for the
/// degree-5 polynomial of the portable path (whose NaN blend this needs not: `r` is NaN
/// when `y` is, and so is the result). On two 8-lane halves of the 16-lane vector. Without
/// AVX2 the lookup is a loop (same results, slow: only the tests call it there).
static inline logitdyn_float16 logitdyn_exp2_table8(logitdyn_float16 y) {
  const logitdyn_int8 table = {0x3F800000, 0x3F7B95C2, 0x3F7837F0, 0x3F75FED7, 0x3F7504F3, 0x3F75672A, 0x3F7744FD, 0x3F7AC0C7};
  const logitdyn_float16 shifter = 1572864.0f;  // 1.5 · 2²⁰: its ulp is 1/8
  const logitdyn_float16 c1 = 0x1.62e432p-1f, c2 = 0x1.ec0c32p-3f, c3 = 0x1.c6a004p-5f;
  logitdyn_float16 t = y + shifter;
  logitdyn_float16 k = t - shifter;
  logitdyn_float16 r = y - k;
  logitdyn_int16 bits = (logitdyn_int16)t;
  logitdyn_float16 entry = logitdyn_lookup8((logitdyn_float8)table, bits);
  logitdyn_float16 scaled = (logitdyn_float16)((logitdyn_int16)entry + (bits << 20));
  logitdyn_float16 p = __builtin_elementwise_fma(__builtin_elementwise_fma(r, c3, c2), r, c1);
  return __builtin_elementwise_fma(scaled * r, p, scaled);
}

/// 16 half-precision values from `p` (unaligned) as `float`, exactly: two `vcvtph2ps` with
/// F16C, one with AVX-512, else the compiler's `_Float16` conversion. (Swift's
/// `SIMD16<Float>(SIMD16<Float16>)` was a call into the standard library per vector inside
/// the kernel: f16 rows ran a quarter slower than bf16 ones.)
static inline logitdyn_float16 logitdyn_load_half16(const void *p) {
  logitdyn_float16 r;
#if defined(__AVX512F__)
  r = (logitdyn_float16)_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p));
#elif defined(__F16C__)
  r.lo = (logitdyn_float8)_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
  r.hi = (logitdyn_float8)_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p + 1));
#else
  typedef _Float16 logitdyn_half16 __attribute__((ext_vector_type(16)));
  logitdyn_half16 h;
  __builtin_memcpy(&h, p, sizeof h);
  r = __builtin_convertvector(h, logitdyn_float16);
#endif
  return r;
}

/// 4 and 2 `float` lanes, the halves of `logitdyn_float8` in the reductions below.
typedef float logitdyn_float4 __attribute__((ext_vector_type(4)));
typedef float logitdyn_float2 __attribute__((ext_vector_type(2)));

/// The sum of the 16 lanes by a pairwise tree: halves added lane by lane,
/// `((v.lo + v.hi).lo + (v.lo + v.hi).hi) …`, down to one value (a fixed order: the same
/// result on every call).
///
/// The reductions are written in C with vector types: as Swift code on `lowHalf` and
/// `highHalf` with `replacing(with:where:)`, LLVM turned each maximum into some 80 scalar and
/// mask instructions inside the kernel, once per chunk (7–10% of the fused kernel's time).
static inline float logitdyn_tree_sum(logitdyn_float16 v) {
  logitdyn_float8 a = v.lo + v.hi;
  logitdyn_float4 b = a.lo + a.hi;
  logitdyn_float2 c = b.lo + b.hi;
  return c.x + c.y;
}

/// The maximum of the 16 lanes by the same tree (`maxNum`: NaN lanes are ignored; NaN only if
/// every lane is NaN).
static inline float logitdyn_tree_max(logitdyn_float16 v) {
  logitdyn_float8 a = __builtin_elementwise_max(v.lo, v.hi);
  logitdyn_float4 b = __builtin_elementwise_max(a.lo, a.hi);
  logitdyn_float2 c = __builtin_elementwise_max(b.lo, b.hi);
  return __builtin_elementwise_max(c.x, c.y);
}

/// The minimum of the 16 lanes by the same tree (`minNum`: NaN lanes are ignored).
static inline float logitdyn_tree_min(logitdyn_float16 v) {
  logitdyn_float8 a = __builtin_elementwise_min(v.lo, v.hi);
  logitdyn_float4 b = __builtin_elementwise_min(a.lo, a.hi);
  logitdyn_float2 c = __builtin_elementwise_min(b.lo, b.hi);
  return __builtin_elementwise_min(c.x, c.y);
}

/// 8 `double` lanes; Swift sees `SIMD8<Double>`.
typedef double logitdyn_double8 __attribute__((ext_vector_type(8)));

/// `√x` on 8 lanes (one `vsqrtpd`; Swift's `SIMD8<Double>.squareRoot()` is lowered lane by
/// lane and drags the code around it to scalar instructions).
static inline logitdyn_double8 logitdyn_sqrt8(logitdyn_double8 x) { return __builtin_elementwise_sqrt(x); }

/// Sets the calling thread's floating-point control to flush subnormal results to zero and
/// to read subnormal inputs as zero (x86-64 MXCSR bits FTZ 0x8000 and DAZ 0x0040; nothing
/// elsewhere) and returns the previous control word for ``logitdyn_restore_float_control``.
/// A subnormal `float` (below 1.2e-38) in a matrix product costs a microcode assist of about
/// a hundred cycles per operation on these cores.
#if defined(__x86_64__)
#include <xmmintrin.h>
static inline unsigned int logitdyn_flush_subnormals(void) {
  unsigned int old = _mm_getcsr();
  _mm_setcsr(old | 0x8040u);
  return old;
}
/// Restores a control word saved by ``logitdyn_flush_subnormals``.
static inline void logitdyn_restore_float_control(unsigned int saved) { _mm_setcsr(saved); }
#else
static inline unsigned int logitdyn_flush_subnormals(void) { return 0; }
static inline void logitdyn_restore_float_control(unsigned int saved) { (void)saved; }
#endif

#pragma clang diagnostic pop

#endif
