// Probe kernels for the emulator's own tests (host build only; not part of the fatbin). They pin down the semantics
// the real kernels rely on: a barrier separates the phases of a block, shared memory is one copy per block, and a
// barrier that some threads skip is reported instead of silently passing.
#pragma once

#include "../common/dw_compat.cuh"

// out[b·B + t] = in[b·B + (B − 1 − t)] through shared memory: correct only if every write of the block happens before
// any read (the barrier) and each block has its own shared array.
extern "C" __global__ void dw_probe_reverse_block(const float* in, float* out) {
    DW_SHARED float tile[1024];
    unsigned t = threadIdx.x, b = blockIdx.x, n = blockDim.x;
    tile[t] = in[b * n + t];
    __syncthreads();
    out[b * n + t] = tile[n - 1 - t];
}

// Thread 0 leaves before the barrier the others wait at: undefined on a GPU, an error under the emulator.
extern "C" __global__ void dw_probe_divergent_barrier(float* out) {
    if (threadIdx.x == 0) return;
    __syncthreads();
    out[threadIdx.x] = 1;
}
