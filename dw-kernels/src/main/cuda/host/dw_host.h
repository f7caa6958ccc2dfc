// The host build of the kernel sources, compiled by JavaCPP into the JNI library that
// dev.dwjava.kernels.host.HostLaunch loads. It registers every kernel with the grid emulator and exposes one entry
// point with cuLaunchKernel's parameter convention, so Java packs arguments the same way for both backends.
#pragma once

#include "../common/dw_emulator.hpp"
#include "../dw_kernels.cu"
#include "../dw_kernel_list.h"
#include "../launch/dw_plan.h"
#include "emulator_probes.cu"

#include <cstring>
#include <mutex>

namespace dw_host {

inline void register_all() {
#define DW_HOST_REGISTER(fn, synchronises, max_threads) DW_REGISTER_KERNEL(fn, synchronises, max_threads);
    DW_KERNELS(DW_HOST_REGISTER)
#undef DW_HOST_REGISTER
    DW_REGISTER_KERNEL(dw_probe_reverse_block, true, DW_MAX_BLOCK);
    DW_REGISTER_KERNEL(dw_probe_divergent_barrier, true, DW_MAX_BLOCK);
}

inline std::once_flag& registered() {
    static std::once_flag flag;
    return flag;
}

}  // namespace dw_host

// The parameter signature of a kernel ("" when unknown): the CUDA launcher checks its packing against it.
inline const char* dw_host_kernel_signature(const char* name) {
    std::call_once(dw_host::registered(), dw_host::register_all);
    auto it = dw_emu::registry().find(name);
    return it == dw_emu::registry().end() ? "" : it->second.signature.c_str();
}

// The most threads per block a kernel may be launched with (its launch bound), or 0 for an unknown name.
inline int dw_host_kernel_max_threads(const char* name) {
    std::call_once(dw_host::registered(), dw_host::register_all);
    auto it = dw_emu::registry().find(name);
    return it == dw_emu::registry().end() ? 0 : it->second.max_threads;
}

// The names of the library's kernels (dw_kernel_list.h), comma-separated, in list order (no probes).
inline const char* dw_host_kernel_names() {
#define DW_HOST_NAME(fn, synchronises, max_threads) "," #fn
    static const char* names = &(DW_KERNELS(DW_HOST_NAME))[1];
#undef DW_HOST_NAME
    return names;
}

// The launch plan of the DW weighting (launch/dw_plan.h) for a request in its text form, or "error: ..." — used by
// both Java launchers (the plan is host code, independent of where the kernels run).
inline const char* dw_host_plan_weighting(const char* request) {
    static thread_local std::string text;
    try {
        text = dw_plan::weighting_from_text(request);
    } catch (const std::exception& e) {
        text = std::string("error: ") + e.what();
    }
    return text.c_str();
}

// The kernel part of NMS (launch/dw_plan.h) for "N THRESHOLD [BUDGET]", or "error: ...".
inline const char* dw_host_plan_nms(const char* request) {
    static thread_local std::string text;
    try {
        text = dw_plan::nms_from_text(request);
    } catch (const std::exception& e) {
        text = std::string("error: ") + e.what();
    }
    return text.c_str();
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
