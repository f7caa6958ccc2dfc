// Block-wide reductions and scans over one-dimensional blocks whose size is a power of two (at most 1024).
// Every thread of the block must call them (they synchronise). `scratch` is shared memory of blockDim.x entries.
#pragma once

#include "dw_compat.cuh"

namespace dw {

struct Sum { template <typename T> DW_DEVICE T operator()(T a, T b) const { return a + b; } };
struct Min { template <typename T> DW_DEVICE T operator()(T a, T b) const { return b < a ? b : a; } };
struct Max { template <typename T> DW_DEVICE T operator()(T a, T b) const { return b > a ? b : a; } };

// Tree reduction in a fixed order, so the result does not depend on timing (deterministic sums).
template <typename T, typename Op>
DW_DEVICE T block_reduce(T value, T* scratch, Op op) {
    unsigned t = threadIdx.x;
    scratch[t] = value;
    __syncthreads();
    for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
        if (t < half) scratch[t] = op(scratch[t], scratch[t + half]);
        __syncthreads();
    }
    T result = scratch[0];
    __syncthreads();  // scratch is reused by the next call
    return result;
}

// Exclusive prefix sum of one int per thread (Hillis–Steele); *total receives the block's sum.
DW_DEVICE int block_exclusive_scan(int value, int* scratch, int* total) {
    unsigned t = threadIdx.x;
    scratch[t] = value;
    __syncthreads();
    for (unsigned offset = 1; offset < blockDim.x; offset *= 2) {
        int add = t >= offset ? scratch[t - offset] : 0;
        __syncthreads();
        scratch[t] += add;
        __syncthreads();
    }
    int inclusive = scratch[t];
    *total = scratch[blockDim.x - 1];
    __syncthreads();
    return inclusive - value;
}

// Sum of counts[0 .. end), computed by the whole block.
DW_DEVICE int64_t block_prefix_of(const int32_t* counts, int64_t end, int64_t* scratch) {
    int64_t partial = 0;
    for (int64_t k = threadIdx.x; k < end; k += blockDim.x) partial += counts[k];
    return block_reduce(partial, scratch, Sum{});
}

}  // namespace dw
