// Counts heap allocations made by the calling thread, for tests that check that a code path
// allocates nothing (the engine's training steps). The test executable defines malloc,
// calloc, realloc, posix_memalign, aligned_alloc and memalign itself (an executable's
// definitions take precedence over libc's), counts each call made by a thread that has
// counting switched on, and forwards to glibc's own entry points (__libc_malloc, …). The
// counters are thread-local, so tests running in parallel do not see each other's
// allocations. Under AddressSanitizer (which intercepts these functions itself) nothing is
// defined and `logitdyn_allocation_counting_available` returns 0.
#ifndef LOGITDYN_ALLOCATION_COUNTER_H
#define LOGITDYN_ALLOCATION_COUNTER_H

/// 1 where allocations are counted (glibc, no sanitizer), else 0.
int logitdyn_allocation_counting_available(void);
/// Starts counting this thread's allocations from zero.
void logitdyn_allocation_counting_begin(void);
/// Stops counting and returns the number of allocation calls this thread made since begin.
long logitdyn_allocation_counting_end(void);

#endif
