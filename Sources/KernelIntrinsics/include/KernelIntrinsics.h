// Three instructions the fused row kernels need and Swift cannot name: a software prefetch,
// `p · 2ⁿ` by the exponent (AVX-512 `vscalefps`) and a 32-entry table lookup (AVX-512
// `vpermt2ps`). Static inline functions, imported into Swift and inlined there as single
// instructions; `float` and `int` vectors of 16 lanes (`ext_vector_type(16)`) are imported
// as `SIMD16<Float>` and `SIMD16<Int32>`.
//
// The header is compiled by the Swift compiler's Clang importer with the importing module's
// target CPU, so a module built with `-target-cpu native` on an AVX-512 machine gets the
// instructions and any other build gets the portable code below (same results; for `p · 2ⁿ`
// both round once, except for results below 2⁻¹⁸⁹, which are 0 to within 2⁻¹⁴⁹ either way).
#ifndef LOGITDYN_KERNEL_INTRINSICS_H
#define LOGITDYN_KERNEL_INTRINSICS_H

#if defined(__AVX512F__)
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

/// Asks the memory system to bring the cache line holding `address` into all cache levels,
/// for reading (`prefetcht0` on x86-64, `prfm pldl1keep` on arm64). A prefetch never faults,
/// so it may point past the end of a buffer.
static inline void logitdyn_prefetch_read(const void *address) {
  __builtin_prefetch(address, 0, 3);
}

/// `p · 2^⌊n⌋` lane by lane, without the AVX-512 instruction: `⌊n⌋` clamped to `[−300, 300]`
/// (beyond, the result is 0 or ∞ for `|p| ∈ [2⁻²⁰, 2²⁰]`) and split as `⌊n⌋ = a + a + b` with
/// `a = trunc(⌊n⌋/3)`, each power of two built in the exponent bits, so that `p · 2ᵃ · 2ᵃ` is
/// exact (for `n ≥ −189`) and only the last product rounds. A NaN `p` gives NaN.
static inline logitdyn_float16 logitdyn_scale2_portable(logitdyn_float16 p, logitdyn_float16 n) {
  const logitdyn_float16 lo = -300.0f, hi = 300.0f;
  logitdyn_float16 k = __builtin_elementwise_floor(__builtin_elementwise_min(__builtin_elementwise_max(n, lo), hi));
  logitdyn_int16 a = __builtin_convertvector(k * (1.0f / 3.0f), logitdyn_int16);
  logitdyn_int16 b = __builtin_convertvector(k, logitdyn_int16) - 2 * a;
  logitdyn_float16 pa = (logitdyn_float16)((a + 127) << 23);
  logitdyn_float16 pb = (logitdyn_float16)((b + 127) << 23);
  return ((p * pa) * pa) * pb;
}

/// `p · 2^⌊n⌋` lane by lane (`vscalefps` with AVX-512, else ``logitdyn_scale2_portable``):
/// one rounding, overflow to ±∞, underflow through the subnormals to 0. `n = −∞` gives 0
/// for finite `p`, `n = +∞` gives ±∞ for nonzero `p`.
static inline logitdyn_float16 logitdyn_scale2(logitdyn_float16 p, logitdyn_float16 n) {
#if defined(__AVX512F__)
  return (logitdyn_float16)_mm512_scalef_ps((__m512)p, (__m512)n);
#else
  return logitdyn_scale2_portable(p, n);
#endif
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

#endif
