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
