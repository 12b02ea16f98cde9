// A software prefetch for the fused row kernels. Swift has no prefetch of its own; this
// static inline function is imported into Swift and inlined there as one instruction
// (`prefetcht0` on x86-64, `prfm pldl1keep` on arm64). A prefetch never faults, so it may
// point past the end of a buffer.
#ifndef LOGITDYN_KERNEL_PREFETCH_H
#define LOGITDYN_KERNEL_PREFETCH_H

/// Asks the memory system to bring the cache line holding `address` into all cache levels,
/// for reading.
static inline void logitdyn_prefetch_read(const void *address) {
  __builtin_prefetch(address, 0, 3);
}

#endif
