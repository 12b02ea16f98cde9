// KernelPrefetch is header-only (see include/KernelPrefetch.h); SwiftPM needs one source file.
#include "KernelPrefetch.h"
