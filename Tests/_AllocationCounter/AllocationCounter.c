#include "AllocationCounter.h"
#include <stddef.h>
#if defined(__linux__)
#include <features.h>
#endif

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define LOGITDYN_NO_COUNTING 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define LOGITDYN_NO_COUNTING 1
#endif

#if defined(__linux__) && defined(__GLIBC__) && !defined(LOGITDYN_NO_COUNTING)

static __thread __attribute__((tls_model("initial-exec"))) int counting;
static __thread __attribute__((tls_model("initial-exec"))) long count;

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

void *malloc(size_t n) {
  if (counting) count++;
  return __libc_malloc(n);
}
void *calloc(size_t a, size_t b) {
  if (counting) count++;
  return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n) {
  if (counting) count++;
  return __libc_realloc(p, n);
}
void free(void *p) { __libc_free(p); }
void *memalign(size_t alignment, size_t n) {
  if (counting) count++;
  return __libc_memalign(alignment, n);
}
void *aligned_alloc(size_t alignment, size_t n) {
  if (counting) count++;
  return __libc_memalign(alignment, n);
}
int posix_memalign(void **out, size_t alignment, size_t n) {
  if (counting) count++;
  if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return 22; /* EINVAL */
  void *p = __libc_memalign(alignment, n);
  if (p == NULL && n != 0) return 12; /* ENOMEM */
  *out = p;
  return 0;
}

int logitdyn_allocation_counting_available(void) { return 1; }
void logitdyn_allocation_counting_begin(void) {
  count = 0;
  counting = 1;
}
long logitdyn_allocation_counting_end(void) {
  counting = 0;
  return count;
}

#else

int logitdyn_allocation_counting_available(void) { return 0; }
void logitdyn_allocation_counting_begin(void) {}
long logitdyn_allocation_counting_end(void) { return -1; }

#endif
