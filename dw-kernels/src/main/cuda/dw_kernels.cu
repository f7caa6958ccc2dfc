// The translation unit nvcc compiles into the fatbin (and the host build includes): every kernel of dw-kernels, one
// folder per op. Every kernel of the list in dw_kernel_list.h must be defined here (checked below).
#include "overlaps/box_overlaps.cu"
#include "priors/pair_priors.cu"
#include "nms/nms.cu"
#include "weighting/dw_weighting.cu"

#include "dw_kernel_list.h"

#ifndef __CUDA_ARCH__
// A listed kernel that is not defined (or misspelt) does not compile.
#define DW_CHECK_LISTED(fn, synchronises, max_threads) \
    static_assert(sizeof(&fn) > 0 && (max_threads) >= 1 && (max_threads) <= 1024, #fn " must be a kernel with a bound in [1, 1024]");
DW_KERNELS(DW_CHECK_LISTED)
#undef DW_CHECK_LISTED
#endif
