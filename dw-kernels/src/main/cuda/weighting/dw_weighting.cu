// Fused DW weighting of a batch of images (docs/DW_SPEC.md §3.1–3.6) over the (point, GT) pairs whose point is strictly
// inside the GT box. Nothing of size P × G or P × G × C is materialised; every per-GT statistic is a block reduction in
// a fixed order, so results are deterministic and do not depend on how many images share a launch. The GTs of all
// images are concatenated (G in all, image b's at [gt_begin_b, gt_begin_{b+1})); every image has the same P points
// (one input size per batch), and its predictions sit at b·P in the stacked (B, P, ·) inputs. Per GT g, gt_image[g]
// is its image and gt_end[g] the end of its image's GTs. Five launches, all with one-dimensional blocks of a
// power-of-two size:
//
//   dw_count_inside      grid G   counts[g] = number of points strictly inside box g; kept[g] = how many of them no
//                                 later GT of g's image and class also contains (g writes their final P_neg)
//   (host)                        one read of counts and kept: n_b and m_b size every output of the batch
//   dw_collect_pairs     grid G   pair_point / pair_gt of box g's inside points, in point order, at Σ_{k<g} counts[k]
//   dw_gt_weights        grid G   per pair: IoU, positive weight w (§3.5), P_neg before de-duplication (§3.6);
//                                 per GT: max IoU, #IoU ≥ 0.5, Σ w (diagnostics)
//   dw_neg_keep          grid n   keep[k] = 1 unless a later GT g' > g of pair k's image and class also contains its
//                                 point (that GT's write wins, as in the original's sequential scatter)
//   dw_neg_compact       grid B   block b writes image b's kept entries in pair order (index i·C + c, value) from the
//                                 start of its pairs, and Σ (1 − P_neg); it also turns pair_gt into the GT index
//                                 within the image. It only scans flags
//
// The constants come from the caller (dev.dwjava.core.dw.DwConstants) so there is one source of truth.
#pragma once

#include "../common/dw_block.cuh"
#include "../common/dw_compat.cuh"
#include "../overlaps/box_overlaps.cu"
#include "../priors/pair_priors.cu"

namespace dw {

template <typename T>
struct DwConstantsT {
    T two_sigma_sq, loc_scale, pos_sharpness, norm_sharpness, neg_iou_threshold, neg_slope, eps;
};

template <typename T>
DW_DEVICE bool strictly_inside(T x, T y, const T* box) {
    return x > box[0] && y > box[1] && box[2] > x && box[3] > y;
}

// The contiguous run [begin, end) of n items owned by this thread.
DW_DEVICE void thread_range(int64_t n, int64_t* begin, int64_t* end) {
    int64_t per = (n + blockDim.x - 1) / blockDim.x;
    *begin = per * threadIdx.x < n ? per * threadIdx.x : n;
    *end = *begin + per < n ? *begin + per : n;
}

// Whether pair (p, g) writes the final P_neg of entry (p, label g): no later GT of g's image (they end at gt_end) and
// of the same class contains p.
template <typename T>
DW_DEVICE bool written_last(const T* xy, const T* gt_boxes, const int64_t* gt_labels, int64_t gt_end, int64_t p,
                            int64_t g) {
    T x = xy[2 * p], y = xy[2 * p + 1];
    int64_t label = gt_labels[g];
    for (int64_t later = g + 1; later < gt_end; later++) {
        if (gt_labels[later] == label && strictly_inside(x, y, gt_boxes + 4 * later)) return false;
    }
    return true;
}

// counts[g] and kept[g] (see the top of this file); kept[g] ≤ counts[g], and Σ kept over an image is its m.
template <typename T>
DW_DEVICE void count_inside(const T* xy, int64_t num_points, const T* gt_boxes, const int64_t* gt_labels,
                            const int64_t* gt_end, int32_t* counts, int32_t* kept) {
    DW_SHARED int64_t scratch[1024];
    int64_t g = blockIdx.x;
    const T* box = gt_boxes + 4 * g;
    int64_t end = gt_end[g];
    int64_t local = 0, local_kept = 0;
    for (int64_t p = threadIdx.x; p < num_points; p += blockDim.x) {
        if (strictly_inside(xy[2 * p], xy[2 * p + 1], box)) {
            local++;
            local_kept += written_last(xy, gt_boxes, gt_labels, end, p, g);
        }
    }
    int64_t total = block_reduce(local, scratch, Sum{});
    int64_t total_kept = block_reduce(local_kept, scratch, Sum{});
    if (threadIdx.x == 0) {
        counts[g] = static_cast<int32_t>(total);
        kept[g] = static_cast<int32_t>(total_kept);
    }
}

template <typename T>
DW_DEVICE void collect_pairs(const T* xy, int64_t num_points, const T* gt_boxes, const int32_t* counts,
                             int64_t* pair_point, int64_t* pair_gt) {
    DW_SHARED int64_t reduce_scratch[1024];
    DW_SHARED int scan_scratch[1024];
    int64_t g = blockIdx.x;
    const T* box = gt_boxes + 4 * g;
    int64_t base = block_prefix_of(counts, g, reduce_scratch);
    // Each thread owns a contiguous run of points: count, one block-wide scan of the counts, then write. Pairs come
    // out in point order without atomics, with a constant number of barriers per block.
    int64_t begin, end;
    thread_range(num_points, &begin, &end);
    int local = 0;
    for (int64_t p = begin; p < end; p++) local += strictly_inside(xy[2 * p], xy[2 * p + 1], box);
    int total;
    int64_t out = base + block_exclusive_scan(local, scan_scratch, &total);
    for (int64_t p = begin; p < end; p++) {
        if (strictly_inside(xy[2 * p], xy[2 * p + 1], box)) {
            pair_point[out] = p;
            pair_gt[out] = g;
            out++;
        }
    }
}

template <typename T>
DW_DEVICE T sigmoid(T x) { return T(1) / (T(1) + exp(-x)); }

template <typename T>
DW_DEVICE void gt_weights(const T* xy, const T* strides, const T* gt_boxes, const int64_t* gt_labels,
                          const int64_t* gt_image, int64_t num_points, const T* cls_logits, int64_t num_classes,
                          const T* obj_logits, const T* distances, const int32_t* counts, const int64_t* pair_point,
                          DwConstantsT<T> k, T* pair_iou, T* pos_weight, T* neg_value, T* max_iou, int64_t* num_good,
                          T* sum_weight) {
    DW_SHARED int64_t count_scratch[1024];
    DW_SHARED T scratch[1024];
    int64_t g = blockIdx.x;
    // This GT's image: its predictions start at b·P in the stacked inputs.
    int64_t image_point0 = gt_image[g] * num_points;
    cls_logits += image_point0 * num_classes;
    obj_logits += image_point0;
    distances += 4 * image_point0;
    int64_t begin = block_prefix_of(counts, g, count_scratch);
    int64_t count = counts[g];
    const T* box = gt_boxes + 4 * g;
    int64_t label = gt_labels[g];

    // Pass 1: per-pair scores; numerator and u are parked in the output arrays until the GT's sums are known.
    T norm_local = 0, u_min = T(INFINITY), u_max = T(-INFINITY), iou_max = T(-INFINITY);
    int64_t good_local = 0;
    for (int64_t q = threadIdx.x; q < count; q += blockDim.x) {
        int64_t pair = begin + q;
        int64_t p = pair_point[pair];
        T x = xy[2 * p], y = xy[2 * p + 1];
        const T* d = distances + 4 * p;
        T predicted[4] = {x - d[0], y - d[1], x + d[2], y + d[3]};
        // The target is re-derived from the distances to the sides, x − (x − x1), as the original does.
        T target[4] = {x - (x - box[0]), y - (y - box[1]), x + (box[2] - x), y + (box[3] - y)};
        T iou = overlap(predicted, target, false, T(1e-6));
        T giou_loss = T(1) - overlap(predicted, target, true, T(1e-6));
        T p_loc = exp(giou_loss * -k.loc_scale);
        T p_cls = sigmoid(cls_logits[p * num_classes + label]) * sigmoid(obj_logits[p]);
        T t = p_cls * p_loc;
        T prior = center_prior(x, y, strides[p], box, k.two_sigma_sq);
        T numerator = exp(t * k.pos_sharpness) * t * prior;
        norm_local += exp(t * k.norm_sharpness) * t * prior;
        T u = iou * iou * k.neg_slope - k.neg_slope;
        u_min = fmin(u_min, u);
        u_max = fmax(u_max, u);
        iou_max = fmax(iou_max, iou);
        good_local += iou >= k.neg_iou_threshold;
        pair_iou[pair] = iou;
        pos_weight[pair] = numerator;
        neg_value[pair] = u;
    }
    T norm = fmax(block_reduce(norm_local, scratch, Sum{}), k.eps);
    T lo = block_reduce(u_min, scratch, Min{});
    T hi = fmin(block_reduce(u_max, scratch, Max{}), T(1));
    T best = block_reduce(iou_max, scratch, Max{});
    int64_t good = block_reduce(good_local, count_scratch, Sum{});

    // Pass 2: normalise. Each thread revisits exactly the pairs it wrote in pass 1.
    T weight_local = 0;
    for (int64_t q = threadIdx.x; q < count; q += blockDim.x) {
        int64_t pair = begin + q;
        T w = pos_weight[pair] / norm;
        pos_weight[pair] = w;
        weight_local += w;
        T u = neg_value[pair];
        neg_value[pair] = pair_iou[pair] < k.neg_iou_threshold ? T(1) : (u - lo + k.eps) / (hi - lo + k.eps);
    }
    T weight_sum = block_reduce(weight_local, scratch, Sum{});
    if (threadIdx.x == 0) {
        max_iou[g] = count > 0 ? best : T(NAN);
        num_good[g] = good;
        sum_weight[g] = weight_sum;
    }
}

template <typename T>
DW_DEVICE void neg_keep(const T* xy, const T* gt_boxes, const int64_t* gt_labels, const int64_t* gt_end,
                        const int64_t* pair_point, const int64_t* pair_gt, int64_t num_pairs, int32_t* keep) {
    int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (k >= num_pairs) return;
    int64_t g = pair_gt[k];
    keep[k] = written_last(xy, gt_boxes, gt_labels, gt_end[g], pair_point[k], g);
}

// Block b: image b, whose GTs are [image_gt_begin[b], image_gt_begin[b + 1]) and whose pairs start at the sum of the
// earlier GTs' counts. Its kept entries go to out_index / out_value from that start; out_factor[b] = Σ (1 − P_neg).
template <typename T>
DW_DEVICE void neg_compact(const int64_t* gt_labels, int64_t num_classes, const int64_t* image_gt_begin,
                           const int32_t* counts, const int64_t* pair_point, int64_t* pair_gt, const T* neg_value,
                           const int32_t* keep, int64_t* out_index, T* out_value, T* out_factor) {
    DW_SHARED int64_t count_scratch[1024];
    DW_SHARED int scan_scratch[1024];
    DW_SHARED T scratch[1024];
    int64_t b = blockIdx.x;
    int64_t gt_begin = image_gt_begin[b], gt_end = image_gt_begin[b + 1];
    int64_t first = block_prefix_of(counts, gt_begin, count_scratch);
    int64_t num_pairs = block_prefix_of(counts + gt_begin, gt_end - gt_begin, count_scratch);
    const int32_t* image_keep = keep + first;
    int64_t begin, end;
    thread_range(num_pairs, &begin, &end);
    int local = 0;
    for (int64_t pair = begin; pair < end; pair++) local += image_keep[pair];
    int total;
    int64_t out = first + block_exclusive_scan(local, scan_scratch, &total);
    T factor_local = 0;
    for (int64_t pair = begin; pair < end; pair++) {
        int64_t g = pair_gt[first + pair];
        if (image_keep[pair]) {
            T v = neg_value[first + pair];
            out_index[out] = pair_point[first + pair] * num_classes + gt_labels[g];
            out_value[out] = v;
            factor_local += T(1) - v;
            out++;
        }
        pair_gt[first + pair] = g - gt_begin;  // this thread's own pair, read above: the GT index within the image
    }
    T factor = block_reduce(factor_local, scratch, Sum{});
    if (threadIdx.x == 0) out_factor[b] = factor;
}

}  // namespace dw

#define DW_WEIGHTING_KERNELS(T, SUFFIX, GT_WEIGHTS_MAX)                                                          \
    extern "C" __global__ void __launch_bounds__(DW_MAX_BLOCK) dw_count_inside_##SUFFIX(                           \
        const T* xy, int64_t num_points, const T* gt_boxes, const int64_t* gt_labels, const int64_t* gt_end,      \
        int32_t* counts, int32_t* kept) {                                                                        \
        dw::count_inside(xy, num_points, gt_boxes, gt_labels, gt_end, counts, kept);                             \
    }                                                                                                            \
    extern "C" __global__ void __launch_bounds__(DW_MAX_BLOCK) dw_collect_pairs_##SUFFIX(                          \
        const T* xy, int64_t num_points, const T* gt_boxes, const int32_t* counts, int64_t* pair_point,           \
        int64_t* pair_gt) {                                                                                      \
        dw::collect_pairs(xy, num_points, gt_boxes, counts, pair_point, pair_gt);                                \
    }                                                                                                            \
    extern "C" __global__ void __launch_bounds__(GT_WEIGHTS_MAX) dw_gt_weights_##SUFFIX(                           \
        const T* xy, const T* strides, const T* gt_boxes, const int64_t* gt_labels, const int64_t* gt_image,      \
        int64_t num_points, const T* cls_logits, int64_t num_classes, const T* obj_logits, const T* distances,    \
        const int32_t* counts, const int64_t* pair_point, T two_sigma_sq, T loc_scale, T pos_sharpness,           \
        T norm_sharpness, T neg_iou_threshold, T neg_slope, T eps, T* pair_iou, T* pos_weight, T* neg_value,       \
        T* max_iou, int64_t* num_good, T* sum_weight) {                                                          \
        dw::DwConstantsT<T> k{two_sigma_sq, loc_scale, pos_sharpness, norm_sharpness, neg_iou_threshold, neg_slope, \
                              eps};                                                                              \
        dw::gt_weights(xy, strides, gt_boxes, gt_labels, gt_image, num_points, cls_logits, num_classes, obj_logits, \
                       distances, counts, pair_point, k, pair_iou, pos_weight, neg_value, max_iou, num_good,       \
                       sum_weight);                                                                              \
    }                                                                                                            \
    extern "C" __global__ void __launch_bounds__(DW_MAX_BLOCK) dw_neg_keep_##SUFFIX(                               \
        const T* xy, const T* gt_boxes, const int64_t* gt_labels, const int64_t* gt_end, const int64_t* pair_point, \
        const int64_t* pair_gt, int64_t num_pairs, int32_t* keep) {                                              \
        dw::neg_keep(xy, gt_boxes, gt_labels, gt_end, pair_point, pair_gt, num_pairs, keep);                     \
    }                                                                                                            \
    extern "C" __global__ void __launch_bounds__(DW_MAX_BLOCK) dw_neg_compact_##SUFFIX(                            \
        const int64_t* gt_labels, int64_t num_classes, const int64_t* image_gt_begin, const int32_t* counts,      \
        const int64_t* pair_point, int64_t* pair_gt, const T* neg_value, const int32_t* keep, int64_t* out_index,  \
        T* out_value, T* out_factor) {                                                                           \
        dw::neg_compact(gt_labels, num_classes, image_gt_begin, counts, pair_point, pair_gt, neg_value, keep,      \
                        out_index, out_value, out_factor);                                                       \
    }

DW_WEIGHTING_KERNELS(float, f32, DW_GT_WEIGHTS_F32_MAX_BLOCK)
DW_WEIGHTING_KERNELS(double, f64, DW_GT_WEIGHTS_F64_MAX_BLOCK)
