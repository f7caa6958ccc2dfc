// The one list of the library's kernels (an X-macro): X(name, synchronises, max_threads_per_block).
//   synchronises           the kernel calls __syncthreads() (the host emulator runs its blocks as fibers)
//   max_threads_per_block  its __launch_bounds__ constant (dw_compat.cuh); the launchers never exceed it
// It feeds the host registry (host/dw_host.h), the harness's per-kernel limits (harness/dw_kernel_harness.cu) and, as
// the kernels the fatbin must contain, the check that every listed kernel is defined (dw_kernels.cu includes every
// source; a listed name without a definition does not compile). To add a kernel: see README.md in this folder.
#pragma once

#include "common/dw_compat.cuh"

#define DW_KERNELS(X)                                                 \
    X(dw_pairwise_overlaps_f32, false, DW_MAX_BLOCK)                  \
    X(dw_pairwise_overlaps_f64, false, DW_MAX_BLOCK)                  \
    X(dw_pair_priors_f32, false, DW_MAX_BLOCK)                        \
    X(dw_pair_priors_f64, false, DW_MAX_BLOCK)                        \
    X(dw_nms_class_end, false, DW_MAX_BLOCK)                          \
    X(dw_nms_mask_f32, false, DW_NMS_MASK_BLOCK)                      \
    X(dw_nms_mask_f64, false, DW_NMS_MASK_BLOCK)                      \
    X(dw_nms_gather_keep, true, DW_MAX_BLOCK)                         \
    X(dw_count_inside_f32, true, DW_MAX_BLOCK)                        \
    X(dw_count_inside_f64, true, DW_MAX_BLOCK)                        \
    X(dw_collect_pairs_f32, true, DW_MAX_BLOCK)                       \
    X(dw_collect_pairs_f64, true, DW_MAX_BLOCK)                       \
    X(dw_gt_weights_f32, true, DW_GT_WEIGHTS_F32_MAX_BLOCK)           \
    X(dw_gt_weights_f64, true, DW_GT_WEIGHTS_F64_MAX_BLOCK)           \
    X(dw_neg_keep_f32, false, DW_MAX_BLOCK)                           \
    X(dw_neg_keep_f64, false, DW_MAX_BLOCK)                           \
    X(dw_neg_compact_f32, true, DW_MAX_BLOCK)                         \
    X(dw_neg_compact_f64, true, DW_MAX_BLOCK)
