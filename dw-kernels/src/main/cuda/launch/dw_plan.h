// The launch layer shared by the Java launchers (through the host library, host/dw_host.h) and the harness: for the
// DW weighting of a batch it decides everything but the memory — the GT layout to upload, the buffer sizes and the
// views into them, the launches in order with their grids, blocks and arguments, and what is read to the host in
// between. Host code only (no kernel); both executors map its buffers to their memory (libtorch tensors, harness
// buffers) and launch by name with cuLaunchKernel's parameter convention.
//
// For NMS it plans the kernel part (after the sorts, which each side does with its own library): the class-run ends,
// then per strip of row tiles (the mask bounded by a memory budget) the mask and gather launches.
//
// The weighting has two phases, with the one host read of the batch between them:
//   phase 1 (sizes only)          the layout (gt_image, gt_end, image_gt_begin), COUNTS (2·G int32, zeroed) and the
//                                 dw_count_inside launch; then the executor reads COUNTS
//   phase 2 (sizes and counts)    LONGS / REALS / INTS sizes, per-image views, the other four launches
#pragma once

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace dw_plan {

// The buffers a plan refers to. Element types: XY, STRIDES, GT_BOXES, CLS, OBJ, DIST, REALS: the batch's (float32 or
// float64); GT_LABELS, LAYOUT, LONGS: int64; COUNTS, INTS: int32.
// NMS: SORTED_BOXES the batch's type; SORTED_LABELS, NMS_LONGS (class ends, then the removed bitset), MASK: int64
// (the mask's uint64 words); KEEP: uint8.
enum Buffer : int {
    XY, STRIDES, GT_BOXES, GT_LABELS, CLS, OBJ, DIST, LAYOUT, COUNTS, LONGS, REALS, INTS,
    SORTED_BOXES, SORTED_LABELS, NMS_LONGS, MASK, KEEP, NUM_BUFFERS
};

struct Arg {
    char kind;           // 'T' a view of a buffer, 'l' int64, 'r' a real of the batch's type, 'd' a double
    int buffer = -1;     // 'T'
    int64_t offset = 0;  // 'T': first element
    int64_t count = 0;   // 'T': elements (0: an empty view, passed as a null pointer)
    int64_t i = 0;       // 'l'
    double r = 0;        // 'r', 'd'
};

struct Launch {
    std::string family;   // kernel name, without the dtype suffix when typed (dw_count_inside → dw_count_inside_f32)
    int64_t grid_x = 1;   // blocks, or with per_thread > 0: ceil(per_thread / block)
    int64_t per_thread = 0;
    std::vector<Arg> args;
    int64_t grid_y = 1;
    int fixed_block = 0;  // > 0: this block size, not the caller's (dw_nms_mask: one thread per tile row)
    bool typed = true;    // the kernel exists per dtype (_f32 / _f64)
};

// A view of one image's outputs: offsets and sizes in elements.
struct ImageViews {
    int64_t gt_begin, gt_count;              // into COUNTS (inside), and LONGS/REALS per-GT views below
    int64_t pair_begin, pairs, negatives;    // n_b and m_b
};

struct Plan {
    std::vector<int64_t> layout;         // phase 1: LAYOUT's contents
    int64_t counts = 0;                  // COUNTS elements (zeroed before phase 1)
    int64_t longs = 0, reals = 0, ints = 0;
    // phase 2: where the outputs are (elements)
    int64_t pair_point = 0, pair_gt = 0, neg_index = 0, num_good = 0;             // LONGS
    int64_t pos_weight = 0, neg_value = 0, max_iou = 0, sum_weight = 0, factor = 0;  // REALS
    std::vector<ImageViews> images;
    std::vector<Launch> launches;
    int64_t mask = 0, nms_longs = 0;  // NMS: MASK and NMS_LONGS elements (the removed bitset, zeroed, at nms_longs − words)
};

// The DwConstants the kernels take, in DwConstants' order (dev.dwjava.core.dw.DwConstants).
struct Constants {
    double two_sigma_sq, loc_scale, pos_sharpness, norm_sharpness, neg_iou_threshold, neg_slope, eps;
};

inline Arg view(int buffer, int64_t offset, int64_t count) {
    Arg a{'T'};
    a.buffer = buffer;
    a.offset = offset;
    a.count = count;
    return a;
}
inline Arg i64(int64_t v) { Arg a{'l'}; a.i = v; return a; }
inline Arg real(double v) { Arg a{'r'}; a.r = v; return a; }
inline Arg f64(double v) { Arg a{'d'}; a.r = v; return a; }

constexpr int64_t kNmsTile = 64;                       // DW_NMS_TILE
constexpr int64_t kNmsMaxBoxes = 2048LL * kNmsTile;    // the gather's shared bitset (DW_NMS_MAX_WORDS words)
constexpr int64_t kNmsMaskBudgetBytes = 64LL << 20;    // KernelNms.MASK_BUDGET_BYTES

// Row tiles per mask strip for n boxes under the budget: at least one.
inline int64_t nms_tiles_per_strip(int64_t n, int64_t budget) {
    int64_t words = (n + kNmsTile - 1) / kNmsTile;
    return std::max<int64_t>(1, std::min<int64_t>(words, budget / (kNmsTile * words * 8)));
}

// The kernel part of class-aware NMS over n boxes grouped by class in descending score (SORTED_BOXES, SORTED_LABELS):
// class-run ends into NMS_LONGS[0, n), the removed bitset at NMS_LONGS[n, n + words) (zeroed by the executor), then
// per strip the mask (MASK, at most the budget) and the gather into KEEP (zeroed).
inline Plan nms(int64_t n, double threshold, int64_t budget = kNmsMaskBudgetBytes) {
    if (n < 1 || n > kNmsMaxBoxes) throw std::invalid_argument("NMS plans 1 to " + std::to_string(kNmsMaxBoxes) + " boxes");
    Plan p;
    const int64_t words = (n + kNmsTile - 1) / kNmsTile, strip = nms_tiles_per_strip(n, budget);
    p.nms_longs = n + words;
    p.mask = std::min<int64_t>(n, strip * kNmsTile) * words;
    Launch ends{"dw_nms_class_end", 0, n, {view(SORTED_LABELS, 0, n), i64(n), view(NMS_LONGS, 0, n)}};
    ends.typed = false;
    p.launches.push_back(ends);
    for (int64_t tile0 = 0; tile0 < words; tile0 += strip) {
        const int64_t tiles = std::min<int64_t>(strip, words - tile0);
        Launch mask{"dw_nms_mask", words, 0,
                    {view(SORTED_BOXES, 0, 4 * n), view(SORTED_LABELS, 0, n), i64(n), f64(threshold), i64(tile0),
                     view(MASK, 0, p.mask)}};
        mask.grid_y = tiles;
        mask.fixed_block = static_cast<int>(kNmsTile);
        p.launches.push_back(mask);
        Launch gather{"dw_nms_gather_keep", 1, 0,
                      {view(MASK, 0, p.mask), view(NMS_LONGS, 0, n), i64(n), i64(tile0), i64(tile0 + tiles),
                       view(NMS_LONGS, n, words), view(KEEP, 0, n)}};
        gather.typed = false;
        p.launches.push_back(gather);
    }
    return p;
}

// Phase 1: gt_begin has B + 1 entries (image b's GTs are [gt_begin[b], gt_begin[b + 1])); nothing is launched when
// the batch has no GT.
inline Plan weighting_phase1(int64_t num_points, const std::vector<int64_t>& gt_begin) {
    if (gt_begin.size() < 2 || gt_begin[0] != 0) throw std::invalid_argument("gt_begin needs B + 1 entries from 0");
    Plan p;
    const int64_t batch = static_cast<int64_t>(gt_begin.size()) - 1, g = gt_begin.back();
    p.layout.assign(static_cast<size_t>(2 * g + batch + 1), 0);
    for (int64_t b = 0; b < batch; b++) {
        for (int64_t k = gt_begin[b]; k < gt_begin[b + 1]; k++) {
            p.layout[k] = b;
            p.layout[g + k] = gt_begin[b + 1];
        }
    }
    for (int64_t b = 0; b <= batch; b++) p.layout[2 * g + b] = gt_begin[b];
    p.counts = 2 * g;
    if (g == 0) return p;
    p.launches.push_back({"dw_count_inside", g, 0,
                          {view(XY, 0, 2 * num_points), i64(num_points), view(GT_BOXES, 0, 4 * g), view(GT_LABELS, 0, g),
                           view(LAYOUT, g, g), view(COUNTS, 0, g), view(COUNTS, g, g)}});
    return p;
}

// Phase 2, from the counts read after phase 1 (inside counts then kept counts, G each).
inline Plan weighting_phase2(int64_t num_points, int64_t num_classes, const std::vector<int64_t>& gt_begin,
                             const std::vector<int64_t>& counts, const Constants& k) {
    Plan p = weighting_phase1(num_points, gt_begin);
    p.launches.clear();
    const int64_t batch = static_cast<int64_t>(gt_begin.size()) - 1, g = gt_begin.back();
    if (static_cast<int64_t>(counts.size()) != 2 * g) throw std::invalid_argument("counts needs 2·G entries");
    int64_t n = 0;
    for (int64_t b = 0; b < batch; b++) {
        ImageViews v{gt_begin[b], gt_begin[b + 1] - gt_begin[b], n, 0, 0};
        for (int64_t q = gt_begin[b]; q < gt_begin[b + 1]; q++) {
            v.pairs += counts[q];
            v.negatives += counts[g + q];
        }
        n += v.pairs;
        p.images.push_back(v);
    }
    // All outputs of the batch in three buffers.
    p.pair_point = 0, p.pair_gt = n, p.neg_index = 2 * n, p.num_good = 3 * n, p.longs = 3 * n + g;
    const int64_t pair_iou = 0;
    p.pos_weight = n;
    const int64_t neg_per_pair = 2 * n;
    p.neg_value = 3 * n, p.max_iou = 4 * n, p.sum_weight = 4 * n + g, p.factor = 4 * n + 2 * g;
    p.reals = 4 * n + 2 * g + batch;
    p.ints = n;  // keep flags
    if (g == 0) return p;
    const Arg gt_image = view(LAYOUT, 0, g), gt_end = view(LAYOUT, g, g), image_gt_begin = view(LAYOUT, 2 * g, batch + 1);
    const Arg inside = view(COUNTS, 0, g), pair_point = view(LONGS, p.pair_point, n), pair_gt = view(LONGS, p.pair_gt, n);
    if (n > 0) {
        p.launches.push_back({"dw_collect_pairs", g, 0,
                              {view(XY, 0, 2 * num_points), i64(num_points), view(GT_BOXES, 0, 4 * g), inside, pair_point,
                               pair_gt}});
    }
    p.launches.push_back({"dw_gt_weights", g, 0,
                          {view(XY, 0, 2 * num_points), view(STRIDES, 0, num_points), view(GT_BOXES, 0, 4 * g),
                           view(GT_LABELS, 0, g), gt_image, i64(num_points), view(CLS, 0, batch * num_points * num_classes),
                           i64(num_classes), view(OBJ, 0, batch * num_points), view(DIST, 0, 4 * batch * num_points),
                           inside, pair_point, real(k.two_sigma_sq), real(k.loc_scale), real(k.pos_sharpness),
                           real(k.norm_sharpness), real(k.neg_iou_threshold), real(k.neg_slope), real(k.eps),
                           view(REALS, pair_iou, n), view(REALS, p.pos_weight, n), view(REALS, neg_per_pair, n),
                           view(REALS, p.max_iou, g), view(LONGS, p.num_good, g), view(REALS, p.sum_weight, g)}});
    if (n > 0) {
        p.launches.push_back({"dw_neg_keep", 0, n,
                              {view(XY, 0, 2 * num_points), view(GT_BOXES, 0, 4 * g), view(GT_LABELS, 0, g), gt_end,
                               pair_point, pair_gt, i64(n), view(INTS, 0, n)}});
    }
    p.launches.push_back({"dw_neg_compact", batch, 0,
                          {view(GT_LABELS, 0, g), i64(num_classes), image_gt_begin, inside, pair_point, pair_gt,
                           view(REALS, neg_per_pair, n), view(INTS, 0, n), view(LONGS, p.neg_index, n),
                           view(REALS, p.neg_value, n), view(REALS, p.factor, batch)}});
    return p;
}

// The plan as text, for the Java executor (one token list per line):
//   layout V...            sizes longs L reals R ints I counts C
//   outputs pair_point pair_gt neg_index num_good pos_weight neg_value max_iou sum_weight factor   (offsets)
//   image GT_BEGIN GT_COUNT PAIR_BEGIN PAIRS NEGATIVES
//   nms MASK NMS_LONGS
//   launch FAMILY GRID_X PER_THREAD GRID_Y FIXED_BLOCK TYPED ARG...   with ARG  T:BUFFER:OFFSET:COUNT | l:V | r:V | d:V
inline std::string to_text(const Plan& p) {
    std::ostringstream o;
    o.precision(17);
    o << "layout";
    for (int64_t v : p.layout) o << ' ' << v;
    o << "\nsizes " << p.longs << ' ' << p.reals << ' ' << p.ints << ' ' << p.counts << "\noutputs " << p.pair_point << ' '
      << p.pair_gt << ' ' << p.neg_index << ' ' << p.num_good << ' ' << p.pos_weight << ' ' << p.neg_value << ' '
      << p.max_iou << ' ' << p.sum_weight << ' ' << p.factor << '\n';
    for (const ImageViews& v : p.images) {
        o << "image " << v.gt_begin << ' ' << v.gt_count << ' ' << v.pair_begin << ' ' << v.pairs << ' ' << v.negatives << '\n';
    }
    o << "nms " << p.mask << ' ' << p.nms_longs << '\n';
    for (const Launch& l : p.launches) {
        o << "launch " << l.family << ' ' << l.grid_x << ' ' << l.per_thread << ' ' << l.grid_y << ' ' << l.fixed_block << ' '
          << (l.typed ? 1 : 0);
        for (const Arg& a : l.args) {
            if (a.kind == 'T') o << " T:" << a.buffer << ':' << a.offset << ':' << a.count;
            else if (a.kind == 'r' || a.kind == 'd') o << ' ' << a.kind << ':' << a.r;
            else o << ' ' << a.kind << ':' << a.i;
        }
        o << '\n';
    }
    return o.str();
}

// The request of the Java executor: "P C B gt_begin[0..B] k0..k6 [counts[0..2G)]" (k: the Constants in order) →
// phase 1 without counts, phase 2 with them.
inline std::string weighting_from_text(const std::string& request) {
    std::istringstream in(request);
    int64_t num_points = 0, num_classes = 0, batch = 0;
    in >> num_points >> num_classes >> batch;
    if (!in || batch < 1) throw std::invalid_argument("bad plan request: " + request);
    std::vector<int64_t> gt_begin(static_cast<size_t>(batch + 1));
    for (auto& v : gt_begin) in >> v;
    Constants k{};
    in >> k.two_sigma_sq >> k.loc_scale >> k.pos_sharpness >> k.norm_sharpness >> k.neg_iou_threshold >> k.neg_slope >> k.eps;
    if (!in) throw std::invalid_argument("bad plan request: " + request);
    std::vector<int64_t> counts;
    for (int64_t v; in >> v;) counts.push_back(v);
    if (!in.eof()) throw std::invalid_argument("bad plan request: " + request);
    return to_text(counts.empty() ? weighting_phase1(num_points, gt_begin)
                                  : weighting_phase2(num_points, num_classes, gt_begin, counts, k));
}

// "N THRESHOLD [BUDGET]" → the NMS plan as text.
inline std::string nms_from_text(const std::string& request) {
    std::istringstream in(request);
    int64_t n = 0, budget = kNmsMaskBudgetBytes;
    double threshold = 0;
    in >> n >> threshold;
    if (!in) throw std::invalid_argument("bad plan request: " + request);
    if (!(in >> budget)) budget = kNmsMaskBudgetBytes;
    return to_text(nms(n, threshold, budget));
}

}  // namespace dw_plan
