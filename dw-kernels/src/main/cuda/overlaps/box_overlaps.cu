// Pairwise IoU / GIoU of two box sets, mmdetection's bbox_overlaps semantics (docs/DW_SPEC.md §3.3): areas without +1,
// union and enclosing area clamped below by eps. One thread per (i, j); out is row-major (N, M).
#pragma once

#include "../common/dw_compat.cuh"

namespace dw {

template <typename T>
DW_DEVICE T overlap(const T* a, const T* b, bool giou, T eps) {
    T area_a = (a[2] - a[0]) * (a[3] - a[1]);
    T area_b = (b[2] - b[0]) * (b[3] - b[1]);
    T w = fmax(fmin(a[2], b[2]) - fmax(a[0], b[0]), T(0));
    T h = fmax(fmin(a[3], b[3]) - fmax(a[1], b[1]), T(0));
    T inter = w * h;
    T uni = fmax(area_a + area_b - inter, eps);
    T iou = inter / uni;
    if (!giou) return iou;
    T ew = fmax(fmax(a[2], b[2]) - fmin(a[0], b[0]), T(0));
    T eh = fmax(fmax(a[3], b[3]) - fmin(a[1], b[1]), T(0));
    T enclose = fmax(ew * eh, eps);
    return iou - (enclose - uni) / enclose;
}

template <typename T>
DW_DEVICE void pairwise_overlaps(const T* a, const T* b, int64_t n, int64_t m, int32_t giou, T eps, T* out) {
    int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (idx >= n * m) return;
    int64_t i = idx / m, j = idx - i * m;
    out[idx] = overlap(a + 4 * i, b + 4 * j, giou != 0, eps);
}

}  // namespace dw

extern "C" __global__ void __launch_bounds__(DW_MAX_BLOCK) dw_pairwise_overlaps_f32(const float* a, const float* b, int64_t n, int64_t m,
                                                    int32_t giou, float eps, float* out) {
    dw::pairwise_overlaps(a, b, n, m, giou, eps, out);
}
extern "C" __global__ void __launch_bounds__(DW_MAX_BLOCK) dw_pairwise_overlaps_f64(const double* a, const double* b, int64_t n, int64_t m,
                                                    int32_t giou, double eps, double* out) {
    dw::pairwise_overlaps(a, b, n, m, giou, eps, out);
}
