// Per (point, GT) pair quantities: the DW Gaussian center prior (docs/DW_SPEC.md §3.2) and the FCOS centerness target.
// One thread per pair.
#pragma once

#include "../common/dw_compat.cuh"

namespace dw {

// exp(−dx²/2σ²)·exp(−dy²/2σ²) with d the offset from the box centre in units of the point's stride.
template <typename T>
DW_DEVICE T center_prior(T x, T y, T stride, const T* box, T two_sigma_sq) {
    T cx = (box[0] + box[2]) / T(2);
    T cy = (box[1] + box[3]) / T(2);
    T dx = (x - cx) / stride;
    T dy = (y - cy) / stride;
    return exp(-(dx * dx) / two_sigma_sq) * exp(-(dy * dy) / two_sigma_sq);
}

// sqrt(min(l, r)/max(l, r) · min(t, b)/max(t, b)) of the point's distances to the box sides.
template <typename T>
DW_DEVICE T centerness(T x, T y, const T* box) {
    T l = x - box[0], t = y - box[1], r = box[2] - x, b = box[3] - y;
    return sqrt((fmin(l, r) / fmax(l, r)) * (fmin(t, b) / fmax(t, b)));
}

template <typename T>
DW_DEVICE void pair_priors(const T* xy, const T* stride, const T* boxes, int64_t n, T two_sigma_sq, T* prior,
                           T* ctr) {
    int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (k >= n) return;
    T x = xy[2 * k], y = xy[2 * k + 1];
    prior[k] = center_prior(x, y, stride[k], boxes + 4 * k, two_sigma_sq);
    ctr[k] = centerness(x, y, boxes + 4 * k);
}

}  // namespace dw

extern "C" __global__ void __launch_bounds__(DW_MAX_BLOCK) dw_pair_priors_f32(const float* xy, const float* stride, const float* boxes, int64_t n,
                                              float two_sigma_sq, float* prior, float* ctr) {
    dw::pair_priors(xy, stride, boxes, n, two_sigma_sq, prior, ctr);
}
extern "C" __global__ void __launch_bounds__(DW_MAX_BLOCK) dw_pair_priors_f64(const double* xy, const double* stride, const double* boxes,
                                              int64_t n, double two_sigma_sq, double* prior, double* ctr) {
    dw::pair_priors(xy, stride, boxes, n, two_sigma_sq, prior, ctr);
}
