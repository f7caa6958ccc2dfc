// The host build of the kernel sources, compiled by JavaCPP into the JNI library that
// dev.dwjava.kernels.host.HostLaunch loads. It registers every kernel with the grid emulator and exposes one entry
// point with cuLaunchKernel's parameter convention, so Java packs arguments the same way for both backends.
#pragma once

#include "../dw_emulator.hpp"
#include "../dw_kernels.cu"
#include "emulator_probes.cu"

#include <cstring>
#include <mutex>

namespace dw_host {

inline void register_all() {
    DW_REGISTER_KERNEL(dw_pairwise_overlaps_f32, false);
    DW_REGISTER_KERNEL(dw_pairwise_overlaps_f64, false);
    DW_REGISTER_KERNEL(dw_pair_priors_f32, false);
    DW_REGISTER_KERNEL(dw_pair_priors_f64, false);
    DW_REGISTER_KERNEL(dw_nms_mask_f32, false);
    DW_REGISTER_KERNEL(dw_nms_mask_f64, false);
    DW_REGISTER_KERNEL(dw_nms_gather_keep, true);
    DW_REGISTER_KERNEL(dw_count_inside_f32, true);
    DW_REGISTER_KERNEL(dw_count_inside_f64, true);
    DW_REGISTER_KERNEL(dw_collect_pairs_f32, true);
    DW_REGISTER_KERNEL(dw_collect_pairs_f64, true);
    DW_REGISTER_KERNEL(dw_gt_weights_f32, true);
    DW_REGISTER_KERNEL(dw_gt_weights_f64, true);
    DW_REGISTER_KERNEL(dw_neg_keep_f32, false);
    DW_REGISTER_KERNEL(dw_neg_keep_f64, false);
    DW_REGISTER_KERNEL(dw_neg_compact_f32, true);
    DW_REGISTER_KERNEL(dw_neg_compact_f64, true);
    DW_REGISTER_KERNEL(dw_probe_reverse_block, true);
    DW_REGISTER_KERNEL(dw_probe_divergent_barrier, true);
}

}  // namespace dw_host

// The parameter signature of a kernel ("" when unknown): the CUDA launcher checks its packing against it.
inline const char* dw_host_kernel_signature(const char* name) {
    static std::once_flag registered;
    std::call_once(registered, dw_host::register_all);
    auto it = dw_emu::registry().find(name);
    return it == dw_emu::registry().end() ? "" : it->second.signature.c_str();
}

// Runs a kernel on the CPU. Returns 0, or −1 with a message in error (NUL-terminated, truncated to capacity).
inline int dw_host_launch(const char* name, const char* signature, int grid_x, int grid_y, int grid_z, int block_x,
                          int block_y, int block_z, void** params, char* error, int error_capacity) {
    dw_host_kernel_signature(name);  // registers the kernels once
    try {
        dw_emu::launch(name, signature, dim3(grid_x, grid_y, grid_z), dim3(block_x, block_y, block_z), params);
        return 0;
    } catch (const std::exception& e) {
        if (error && error_capacity > 0) {
            std::strncpy(error, e.what(), error_capacity - 1);
            error[error_capacity - 1] = 0;
        }
        return -1;
    }
}
