// Class-aware greedy NMS as bitmasks, with the suppression pass on the device.
//
// Boxes arrive grouped by class and, inside a class, by descending score (ties: input order).
// dw_nms_class_end: class_end[i] = the end (exclusive) of box i's class run (a binary search in the sorted labels).
// The mask is computed and consumed in strips of row tiles, so that its memory is bounded (strip rows × words × 8
// bytes, not n²/8): for the strip of row tiles [row_tile0, row_tile0 + gridDim.y):
// dw_nms_mask: block (x, y) of 64 threads compares the 64 boxes of row tile row_tile0 + y with the 64 boxes of column
// tile x and writes, for each row box i, a 64-bit word whose bit k says "box 64x + k comes after i, has i's class and
// IoU(i, it) > threshold", at row i − 64·row_tile0 of the strip. Tiles left of the diagonal are never read and not
// written; tiles whose class ranges do not meet are written as zeros without comparing anything.
// dw_nms_gather_keep: one block walks the strip's 64-box words in order, with the "removed" bitset of all words in
// shared memory, loaded from and stored back to `removed` (global memory, zero before the first strip) so that it
// carries over from strip to strip. For word w, the block loads the diagonal words of its 64 rows into shared memory,
// one thread resolves the 64 keep decisions in registers, then all threads OR the rows of the kept boxes into the
// bitset, up to the end of each box's class. Three barriers per 64 boxes, and nothing but the keep flags leaves the
// device.
//
// IoU is decided in double precision as inter > thr·(area_i + area_j − inter), areas without +1: the same test as
// the CPU implementation (dev.dwjava.core.box.CpuNms), so both keep the same boxes.
#pragma once

#include "../common/dw_compat.cuh"

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

DW_DEVICE void nms_class_end(const int64_t* sorted_labels, int64_t n, int64_t* class_end) {
    int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n) return;
    int64_t label = sorted_labels[i], lo = i + 1, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (sorted_labels[mid] > label) hi = mid; else lo = mid + 1;
    }
    class_end[i] = lo;
}

template <typename T>
DW_DEVICE void nms_mask(const T* boxes, const int64_t* labels, int64_t n, double threshold, int64_t row_tile0,
                        uint64_t* mask) {
    // No shared-memory tile: the block's threads read the same column box at the same time, which the L1 cache
    // broadcasts, and the kernel stays barrier-free.
    int64_t words = (n + DW_NMS_TILE - 1) / DW_NMS_TILE;
    int64_t row_tile = row_tile0 + blockIdx.y, col_tile = blockIdx.x;
    int64_t i = row_tile * DW_NMS_TILE + threadIdx.x;
    if (col_tile < row_tile || i >= n) return;
    int64_t col0 = col_tile * DW_NMS_TILE;
    int64_t col_count = n - col0 < DW_NMS_TILE ? n - col0 : DW_NMS_TILE;
    int64_t row_last = (row_tile + 1) * DW_NMS_TILE < n ? (row_tile + 1) * DW_NMS_TILE - 1 : n - 1;
    uint64_t bits = 0;
    if (labels[col0] <= labels[row_last]) {  // classes ascend, so otherwise no column box shares a row box's class
        const T* box = boxes + 4 * i;
        int64_t label = labels[i];
        for (int64_t k = col_tile == row_tile ? threadIdx.x + 1 : 0; k < col_count; k++) {  // only boxes after i
            if (labels[col0 + k] == label && suppresses(box, boxes + 4 * (col0 + k), threshold)) {
                bits |= uint64_t(1) << k;
            }
        }
    }
    mask[(i - row_tile0 * DW_NMS_TILE) * words + col_tile] = bits;
}

DW_DEVICE void nms_gather_keep(const uint64_t* mask, const int64_t* class_end, int64_t n, int64_t word_begin,
                               int64_t word_end, uint64_t* removed_global, uint8_t* keep) {
    DW_SHARED uint64_t removed[DW_NMS_MAX_WORDS];
    DW_SHARED uint64_t diagonal[DW_NMS_TILE];
    DW_SHARED uint64_t kept_bits;
    int64_t words = (n + DW_NMS_TILE - 1) / DW_NMS_TILE;
    if (words > DW_NMS_MAX_WORDS) return;  // callers split larger inputs (uniform over the block: no barrier skipped)
    const int64_t row0 = word_begin * DW_NMS_TILE;  // the strip's first row
    for (int64_t w = word_begin + threadIdx.x; w < words; w += blockDim.x) removed[w] = removed_global[w];
    __syncthreads();
    for (int64_t w = word_begin; w < word_end; w++) {
        int64_t base = w * DW_NMS_TILE;
        int count = n - base < DW_NMS_TILE ? static_cast<int>(n - base) : DW_NMS_TILE;
        for (int b = threadIdx.x; b < count; b += blockDim.x) diagonal[b] = mask[(base + b - row0) * words + w];
        __syncthreads();
        if (threadIdx.x == 0) {
            uint64_t gone = removed[w], kept = 0;
            for (int b = 0; b < count; b++) {
                if (!((gone >> b) & 1)) {
                    kept |= uint64_t(1) << b;
                    gone |= diagonal[b];  // a kept box removes the later boxes of this word it suppresses
                }
            }
            kept_bits = kept;
        }
        __syncthreads();
        uint64_t kept = kept_bits;
        for (int b = threadIdx.x; b < count; b += blockDim.x) keep[base + b] = (kept >> b) & 1;
        // Each thread owns the words w + 1 + threadIdx.x + k·blockDim.x, so no two threads write one word.
        for (int b = 0; b < count; b++) {
            if (!((kept >> b) & 1)) continue;
            int64_t i = base + b;
            int64_t last_word = (class_end[i] - 1) / DW_NMS_TILE;
            for (int64_t v = w + 1 + threadIdx.x; v <= last_word; v += blockDim.x) removed[v] |= mask[(i - row0) * words + v];
        }
        __syncthreads();
    }
    // Words before word_end are final; the later ones carry the strip's removals to the next strip.
    for (int64_t w = word_end + threadIdx.x; w < words; w += blockDim.x) removed_global[w] = removed[w];
}

}  // namespace dw

extern "C" __global__ void __launch_bounds__(DW_MAX_BLOCK) dw_nms_class_end(const int64_t* sorted_labels, int64_t n,
                                                                          int64_t* class_end) {
    dw::nms_class_end(sorted_labels, n, class_end);
}
extern "C" __global__ void __launch_bounds__(DW_NMS_MASK_BLOCK) dw_nms_mask_f32(const float* boxes, const int64_t* labels,
                                                                           int64_t n, double threshold,
                                                                           int64_t row_tile0, uint64_t* mask) {
    dw::nms_mask(boxes, labels, n, threshold, row_tile0, mask);
}
extern "C" __global__ void __launch_bounds__(DW_NMS_MASK_BLOCK) dw_nms_mask_f64(const double* boxes, const int64_t* labels,
                                                                           int64_t n, double threshold,
                                                                           int64_t row_tile0, uint64_t* mask) {
    dw::nms_mask(boxes, labels, n, threshold, row_tile0, mask);
}
extern "C" __global__ void __launch_bounds__(DW_MAX_BLOCK) dw_nms_gather_keep(const uint64_t* mask, const int64_t* class_end,
                                                                            int64_t n, int64_t word_begin,
                                                                            int64_t word_end, uint64_t* removed,
                                                                            uint8_t* keep) {
    dw::nms_gather_keep(mask, class_end, n, word_begin, word_end, removed, keep);
}
