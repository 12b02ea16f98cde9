// KernelIntrinsics is header-only (see include/KernelIntrinsics.h); SwiftPM needs one source file.
#include "KernelIntrinsics.h"
