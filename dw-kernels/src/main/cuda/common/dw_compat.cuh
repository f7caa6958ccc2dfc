// One kernel source, two builds. Under nvcc (__CUDACC__) this header only adds small helpers; under a host C++
// compiler it supplies the CUDA built-ins that our kernels use, backed by the grid emulator (dw_emulator.hpp):
// every thread of every block runs, and __syncthreads() switches between the block's threads so shared-memory
// phases stay separated exactly as on a GPU. Kernels may use only what is defined here.
#pragma once

#include <cstdint>

#ifdef __CUDACC__

#define DW_SHARED __shared__
#define DW_DEVICE __device__ __forceinline__

#else  // host emulation

#include <cmath>
#include <algorithm>

#define __global__
#define __host__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(...)
// A block's threads run on one OS thread and blocks run one after another, so a function-local static is
// exactly one copy per block, as shared memory is. thread_local keeps concurrent launches from different JVM
// threads apart.
#define DW_SHARED static thread_local
#define DW_DEVICE inline

struct uint3 { unsigned int x, y, z; };
struct dim3 {
    unsigned int x, y, z;
    dim3(unsigned int x_ = 1, unsigned int y_ = 1, unsigned int z_ = 1) : x(x_), y(y_), z(z_) {}
};

namespace dw_emu {
struct ThreadCoords {
    uint3 thread{0, 0, 0};
    uint3 block{0, 0, 0};
    dim3 block_dim;
    dim3 grid_dim;
};
// The coordinates of the emulated thread that is running now; the emulator sets them before resuming a thread.
inline thread_local ThreadCoords current;
void syncthreads();  // defined by the emulator
}  // namespace dw_emu

#define threadIdx (dw_emu::current.thread)
#define blockIdx (dw_emu::current.block)
#define blockDim (dw_emu::current.block_dim)
#define gridDim (dw_emu::current.grid_dim)
#define __syncthreads() dw_emu::syncthreads()

// Emulated threads never run concurrently, so plain read-modify-write is atomic here.
template <typename T> inline T atomicAdd(T* address, T value) { T old = *address; *address = old + value; return old; }
inline unsigned long long atomicOr(unsigned long long* address, unsigned long long value) {
    unsigned long long old = *address; *address = old | value; return old;
}
template <typename T> inline T __ldg(const T* p) { return *p; }
inline int __popcll(unsigned long long v) { return __builtin_popcountll(v); }
using std::exp; using std::sqrt; using std::fmin; using std::fmax;

#endif  // __CUDACC__

// Width of an NMS mask word.
#define DW_MASK_BITS 64

// The most threads per block each kernel is compiled for (__launch_bounds__), one source of truth for every build:
// nvcc gets them as launch bounds (so CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK is at most this value), the host
// registry records them as each kernel's limit (dw_host_kernel_max_threads), and the launchers never exceed them.
// DW_GT_WEIGHTS_F64_MAX_BLOCK: dw_gt_weights_f64 needs 76 registers per thread unbounded; 1024 threads would need
// 77,824 of a multiprocessor's 65,536 registers (no launch), and a bound of 1024 forces 64 registers and spills.
// At 512 it keeps its registers and does not spill (ptxas -v, sm_80 and sm_90).
#define DW_MAX_BLOCK 1024
#define DW_GT_WEIGHTS_F32_MAX_BLOCK 1024
#define DW_GT_WEIGHTS_F64_MAX_BLOCK 512
// dw_nms_mask runs one thread per row box of a 64-box tile.
#define DW_NMS_MASK_BLOCK 64
