// Class-aware greedy NMS as bitmasks, with the suppression pass on the device.
//
// Boxes arrive sorted by descending score. dw_nms_mask: block (x, y) of 64 threads compares the 64 boxes of row tile y with the
// 64 boxes of column tile x and writes, for each row box i, a 64-bit word whose bit k says "box 64x + k comes after
// i, has i's label and IoU(i, it) > threshold". Only tiles with x >= y are computed: the gather pass reads no other.
// dw_nms_gather_keep: one block walks the boxes in score order, keeping a box unless an earlier kept box removed it,
// and ORs each kept box's mask row into the shared "removed" bitset. Nothing but the keep flags leaves the device.
//
// IoU is decided in double precision as inter > thr·(area_i + area_j − inter), areas without +1: the same test as
// the CPU implementation (dev.dwjava.core.box.CpuNms), so both keep the same boxes.
#pragma once

#include "dw_compat.cuh"

#define DW_NMS_TILE 64
// The removed bitset lives in shared memory: 2048 words cover 131,072 boxes (16 KiB).
#define DW_NMS_MAX_WORDS 2048

namespace dw {

template <typename T>
DW_DEVICE bool suppresses(const T* a, const T* b, double threshold) {
    double w = fmax(0.0, fmin(double(a[2]), double(b[2])) - fmax(double(a[0]), double(b[0])));
    double h = fmax(0.0, fmin(double(a[3]), double(b[3])) - fmax(double(a[1]), double(b[1])));
    double inter = w * h;
    double area_a = (double(a[2]) - double(a[0])) * (double(a[3]) - double(a[1]));
    double area_b = (double(b[2]) - double(b[0])) * (double(b[3]) - double(b[1]));
    return inter > threshold * (area_a + area_b - inter);
}

template <typename T>
DW_DEVICE void nms_mask(const T* boxes, const int64_t* labels, int64_t n, double threshold, uint64_t* mask) {
    // No shared-memory tile: the block's threads read the same column box at the same time, which the L1 cache
    // broadcasts, and the kernel stays barrier-free.
    int64_t words = (n + DW_NMS_TILE - 1) / DW_NMS_TILE;
    int64_t row_tile = blockIdx.y, col_tile = blockIdx.x;
    int64_t i = row_tile * DW_NMS_TILE + threadIdx.x;
    if (col_tile < row_tile || i >= n) return;
    int64_t col0 = col_tile * DW_NMS_TILE;
    int64_t col_count = n - col0 < DW_NMS_TILE ? n - col0 : DW_NMS_TILE;
    const T* box = boxes + 4 * i;
    int64_t label = labels[i];
    uint64_t bits = 0;
    for (int64_t k = col_tile == row_tile ? threadIdx.x + 1 : 0; k < col_count; k++) {  // only boxes after i
        if (labels[col0 + k] == label && suppresses(box, boxes + 4 * (col0 + k), threshold)) bits |= uint64_t(1) << k;
    }
    mask[i * words + col_tile] = bits;
}

DW_DEVICE void nms_gather_keep(const uint64_t* mask, int64_t n, uint8_t* keep) {
    DW_SHARED uint64_t removed[DW_NMS_MAX_WORDS];
    int64_t words = (n + DW_NMS_TILE - 1) / DW_NMS_TILE;
    for (int64_t w = threadIdx.x; w < words; w += blockDim.x) removed[w] = 0;
    __syncthreads();
    for (int64_t i = 0; i < n; i++) {
        int64_t word = i / DW_NMS_TILE;
        // Bit i can only be set by boxes before i, whose rows were merged in earlier iterations (barrier below);
        // this iteration's writes touch bits after i only, so every thread reads the same decision.
        bool kept = !((removed[word] >> (i % DW_NMS_TILE)) & 1);
        if (threadIdx.x == 0) keep[i] = kept ? 1 : 0;
        if (kept) {
            for (int64_t w = word + threadIdx.x; w < words; w += blockDim.x) removed[w] |= mask[i * words + w];
        }
        __syncthreads();
    }
}

}  // namespace dw

extern "C" __global__ void dw_nms_mask_f32(const float* boxes, const int64_t* labels, int64_t n, double threshold,
                                           uint64_t* mask) {
    dw::nms_mask(boxes, labels, n, threshold, mask);
}
extern "C" __global__ void dw_nms_mask_f64(const double* boxes, const int64_t* labels, int64_t n, double threshold,
                                           uint64_t* mask) {
    dw::nms_mask(boxes, labels, n, threshold, mask);
}
extern "C" __global__ void dw_nms_gather_keep(const uint64_t* mask, int64_t n, uint8_t* keep) {
    dw::nms_gather_keep(mask, n, keep);
}
