#!/usr/bin/env python3
"""The "libtorch path" baselines for the dw-kernels goals, in plain PyTorch (no custom kernels).

Times, with the same sizes and input distributions as `dw_kernel_harness bench`:
  * torchvision.ops.nms (class-agnostic) and torchvision.ops.batched_nms (class-aware, 80 classes) at 5,000 and
    30,000 clustered boxes (scores with ties, IoU threshold 0.5);
  * the DW weighting of one batch of 2 images (800x1088 input -> P = 18,134 FPN points, G = 50, C = 80, float32),
    image after image, computed as dev.dwjava.core.dw.TorchDwAssigner does: inside mask over G x P, pairs via
    nonzero, center prior, IoU / GIoU of the decoded boxes, p_loc = exp(-5(1 - GIoU)),
    p_cls = sigmoid(cls[p, label]) * sigmoid(obj[p]), t = p_cls * p_loc,
    w = exp(5t) t prior / max(sum_gt exp(3t) t prior, 1e-12), u = c IoU^2 - c with c = 1/(0.25 - 1), min-max per GT
    with hi = min(1, max u), (u - lo + 1e-12) / (hi - lo + 1e-12), 1 where IoU < 0.5, the last-writer de-duplication
    of the P_neg entries (sort + unique_consecutive + scatter_reduce), and the per-GT diagnostics.
  * torchvision.ops.box_iou at 20,000 x 50 (the harness's pairwise IoU).
On CUDA the time of one run is measured with CUDA events around it (the median of --runs after --warmup); on the CPU,
wall clock. --dw-cases and --nms-sizes choose other sizes, --csv writes key,median_ms,min_ms,max_ms rows with the keys
of `dw_kernel_harness bench --csv` (gpu_check.sh joins them).

  python3 bench_torch.py                      # GPU, full sizes
  python3 bench_torch.py --device cpu --scale small
  python3 bench_torch.py --check-cases DIR    # run this DW implementation (and torchvision NMS, when present) on the
                                              # contract cases: the baseline must compute what the kernels compute
"""
import argparse
import glob
import os
import statistics
import struct
import sys
import time

import torch



def _f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


TWO_SIGMA_SQ = 2.0 * _f32(_f32(1.11) * _f32(1.11))  # DwConstants.TWO_SIGMA_SQUARED: 1.11f squared in float32, doubled
LOC_SCALE, POS_SHARPNESS, NORM_SHARPNESS = 5.0, 5.0, 3.0
NEG_IOU_THRESHOLD = 0.5
NEG_SLOPE = 1.0 / (0.5 ** 2 - 1.0)
EPS = 1e-12
BOX_EPS = 1e-6
STRIDES = (8, 16, 32, 64, 128)


# ---------------------------------------------------------------------------------------------------------------------
# The DW weighting in plain PyTorch (TorchDwAssigner)
# ---------------------------------------------------------------------------------------------------------------------

def aligned_overlaps(a, b, giou, eps=BOX_EPS):
    """mmdetection's aligned bbox_overlaps: areas without +1, union and enclosing area clamped below by eps."""
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    w = (torch.minimum(a[:, 2], b[:, 2]) - torch.maximum(a[:, 0], b[:, 0])).clamp_min(0)
    h = (torch.minimum(a[:, 3], b[:, 3]) - torch.maximum(a[:, 1], b[:, 1])).clamp_min(0)
    inter = w * h
    union = (area_a + area_b - inter).clamp_min(eps)
    iou = inter / union
    if not giou:
        return iou
    ew = (torch.maximum(a[:, 2], b[:, 2]) - torch.minimum(a[:, 0], b[:, 0])).clamp_min(0)
    eh = (torch.maximum(a[:, 3], b[:, 3]) - torch.minimum(a[:, 1], b[:, 1])).clamp_min(0)
    enclose = (ew * eh).clamp_min(eps)
    return iou - (enclose - union) / enclose


def dw_assign(xy, strides, gt_boxes, gt_labels, cls_logits, obj_logits, distances, k=None):
    """One image, as TorchDwAssigner.assign. Returns (pair_point, pair_gt, pos_weight, neg_index, neg_value, neg_factor,
    inside_count, max_iou, num_good, sum_weight); the P_neg entries come sorted by their key point * C + class."""
    tss, loc_scale, pos_s, norm_s, neg_thr, slope, eps = k or (TWO_SIGMA_SQ, LOC_SCALE, POS_SHARPNESS, NORM_SHARPNESS,
                                                               NEG_IOU_THRESHOLD, NEG_SLOPE, EPS)
    num_gt = gt_boxes.shape[0]
    num_classes = cls_logits.shape[1]
    px, py = xy[:, 0].unsqueeze(0), xy[:, 1].unsqueeze(0)                         # (1, P)
    b = gt_boxes
    inside = ((px > b[:, 0:1]) & (py > b[:, 1:2]) & (b[:, 2:3] > px) & (b[:, 3:4] > py))  # (G, P)
    nz = inside.nonzero()                                                         # rows (gt, point), GT-major
    j, i = nz[:, 0], nz[:, 1]

    pair_xy = xy.index_select(0, i)
    pair_stride = strides.index_select(0, i)
    pair_box = gt_boxes.index_select(0, j)
    pair_label = gt_labels.index_select(0, j)

    # Gaussian center prior in units of the point's stride.
    cx = (pair_box[:, 0] + pair_box[:, 2]) / 2
    cy = (pair_box[:, 1] + pair_box[:, 3]) / 2
    dx = ((pair_xy[:, 0] - cx) / pair_stride).pow(2)
    dy = ((pair_xy[:, 1] - cy) / pair_stride).pow(2)
    prior = (-dx / tss).exp() * (-dy / tss).exp()

    # Decoded prediction and the target re-derived from the distances, x - (x - x1), as the original does.
    x, y = pair_xy[:, 0], pair_xy[:, 1]
    d = distances.index_select(0, i)
    predicted = torch.stack([x - d[:, 0], y - d[:, 1], x + d[:, 2], y + d[:, 3]], 1)
    enc = torch.stack([x - pair_box[:, 0], y - pair_box[:, 1], pair_box[:, 2] - x, pair_box[:, 3] - y], 1)
    target = torch.stack([x - enc[:, 0], y - enc[:, 1], x + enc[:, 2], y + enc[:, 3]], 1)
    iou = aligned_overlaps(predicted, target, False)
    giou_loss = 1 - aligned_overlaps(predicted, target, True)
    p_loc = (giou_loss * -loc_scale).exp()
    p_cls = cls_logits.reshape(-1).index_select(0, i * num_classes + pair_label).sigmoid() * \
        obj_logits.index_select(0, i).sigmoid()
    t = p_cls * p_loc

    # Positive weights (normalised per GT).
    numerator = (t * pos_s).exp() * t * prior
    norm_term = (t * norm_s).exp() * t * prior
    norm = torch.zeros(num_gt, dtype=t.dtype, device=t.device).index_add(0, j, norm_term).clamp_min(eps)
    pos_weight = numerator / norm.index_select(0, j)

    # Negative weights before de-duplication.
    u = iou.pow(2) * slope - slope
    lo = torch.full((num_gt,), float("inf"), dtype=u.dtype, device=u.device).scatter_reduce(0, j, u, "amin", include_self=True)
    hi = torch.full((num_gt,), float("-inf"), dtype=u.dtype, device=u.device).scatter_reduce(0, j, u, "amax", include_self=True)
    hi = hi.clamp_max(1)
    lo_j, hi_j = lo.index_select(0, j), hi.index_select(0, j)
    neg_per_pair = ((u - lo_j + eps) / (hi_j - lo_j + eps)).masked_fill(iou < neg_thr, 1)

    # Last writer wins per (point, class): the GT with the highest index.
    key = i * num_classes + pair_label
    if key.numel() == 0:
        neg_index, neg_value = key, neg_per_pair
    else:
        sorted_key, perm = key.sort(stable=True)
        run = torch.unique_consecutive(sorted_key, return_inverse=True)[1]
        sorted_j = j.index_select(0, perm)
        winner = torch.full((sorted_key.shape[0],), -1, dtype=j.dtype, device=j.device)
        winner = winner.scatter_reduce(0, run, sorted_j, "amax", include_self=True)
        keep = perm.index_select(0, (sorted_j == winner.index_select(0, run)).nonzero().squeeze(1))
        neg_index, neg_value = key.index_select(0, keep), neg_per_pair.index_select(0, keep)
    neg_factor = (1 - neg_value).sum()

    # Diagnostics.
    count = torch.zeros(num_gt, dtype=torch.long, device=j.device).index_add(0, j, torch.ones_like(j))
    max_iou = torch.full((num_gt,), float("-inf"), dtype=iou.dtype, device=iou.device).scatter_reduce(
        0, j, iou, "amax", include_self=True).masked_fill(count == 0, float("nan"))
    num_good = torch.zeros(num_gt, dtype=torch.long, device=j.device).index_add(0, j, (iou >= neg_thr).long())
    sum_weight = torch.zeros(num_gt, dtype=pos_weight.dtype, device=j.device).index_add(0, j, pos_weight)
    return i, j, pos_weight, neg_index, neg_value, neg_factor, count, max_iou, num_good, sum_weight


# ---------------------------------------------------------------------------------------------------------------------
# Inputs (the distributions of dw_kernel_harness / the Java tests' RandomInputs)
# ---------------------------------------------------------------------------------------------------------------------

def fpn_points(h, w, dtype, device):
    xys, strides = [], []
    for s in STRIDES:
        lh, lw = -(-h // s), -(-w // s)
        xs = torch.arange(lw, dtype=dtype, device=device) * s + s * 0.5
        ys = torch.arange(lh, dtype=dtype, device=device) * s + s * 0.5
        gx = xs.unsqueeze(0).expand(lh, lw).reshape(-1)
        gy = ys.unsqueeze(1).expand(lh, lw).reshape(-1)
        xys.append(torch.stack([gx, gy], 1))
        strides.append(torch.full((lh * lw,), float(s), dtype=dtype, device=device))
    return torch.cat(xys), torch.cat(strides)


def dw_image(g, h, w, num_gt, num_classes, xy, dtype, device):
    """GT boxes of a few classes (a fifth near-copies of an earlier box), noisy true distances for inside points."""
    boxes = torch.zeros(num_gt, 4, dtype=torch.float64)
    labels = torch.zeros(num_gt, dtype=torch.long)
    for k in range(num_gt):
        if k > 0 and torch.randint(5, (1,), generator=g).item() == 0:
            src = torch.randint(k, (1,), generator=g).item()
            boxes[k] = boxes[src] + torch.randn(4, generator=g, dtype=torch.float64) * 3
            labels[k] = labels[src]
        else:
            bw = 8 + torch.rand(1, generator=g, dtype=torch.float64).item() * w * 0.6
            bh = 8 + torch.rand(1, generator=g, dtype=torch.float64).item() * h * 0.6
            x1 = torch.rand(1, generator=g, dtype=torch.float64).item() * (w - bw)
            y1 = torch.rand(1, generator=g, dtype=torch.float64).item() * (h - bh)
            boxes[k] = torch.tensor([x1, y1, x1 + bw, y1 + bh], dtype=torch.float64)
            labels[k] = torch.randint(min(num_classes, 3), (1,), generator=g).item()
    pts = xy.cpu().double()
    p = pts.shape[0]
    dist = 1 + torch.randn(p, 4, generator=g, dtype=torch.float64).abs() * 40
    for k in range(num_gt):
        noise = 0.02 + 0.3 * torch.rand(1, generator=g, dtype=torch.float64).item()
        b = boxes[k]
        x, y = pts[:, 0], pts[:, 1]
        ins = (x > b[0]) & (y > b[1]) & (x < b[2]) & (y < b[3])
        truth = torch.stack([x - b[0], y - b[1], b[2] - x, b[3] - y], 1)
        jitter = (noise * torch.randn(p, 4, generator=g, dtype=torch.float64)).exp()
        dist = torch.where(ins.unsqueeze(1), truth * jitter, dist)
    cls = -2 + 1.5 * torch.randn(p, num_classes, generator=g, dtype=torch.float64)
    obj = torch.randn(p, generator=g, dtype=torch.float64)
    to = dict(dtype=dtype, device=device)
    return boxes.to(**to), labels.to(device), cls.to(**to), obj.to(**to), dist.to(**to)


def random_boxes(g, n, dtype, device):
    """(n, 4) boxes in clusters of ~20, 2% with zero width; coordinates in [0, 1000)."""
    clusters = max(1, n // 20)
    c = torch.rand(clusters, 4, generator=g, dtype=torch.float64)
    centres = torch.stack([c[:, 0] * 900 + 50, c[:, 1] * 900 + 50, 10 + c[:, 2] * 120, 10 + c[:, 3] * 120], 1)
    pick = centres[torch.randint(clusters, (n,), generator=g)]
    r = torch.randn(n, 4, generator=g, dtype=torch.float64)
    cx = pick[:, 0] + r[:, 0] * pick[:, 2] * 0.15
    cy = pick[:, 1] + r[:, 1] * pick[:, 3] * 0.15
    bw = pick[:, 2] * (0.2 * r[:, 2]).exp()
    bh = pick[:, 3] * (0.2 * r[:, 3]).exp()
    bw = torch.where(torch.randint(50, (n,), generator=g) == 0, torch.zeros_like(bw), bw)
    return torch.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], 1).to(dtype=dtype, device=device)


def random_scores(g, n, dtype, device):
    """Scores in (0, 1), a quarter rounded to 1/64 (ties)."""
    s = torch.rand(n, generator=g, dtype=torch.float64)
    tied = torch.randint(4, (n,), generator=g) == 0
    s = torch.where(tied, (torch.rand(n, generator=g, dtype=torch.float64) * 64).round() / 64, s)
    return s.to(dtype=dtype, device=device)


# ---------------------------------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------------------------------

def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn, device, runs, warmup):
    for _ in range(warmup):
        fn()
    synchronize(device)
    ms = []
    for _ in range(runs):
        if device.type == "cuda":
            start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            stop.record()
            stop.synchronize()
            ms.append(start.elapsed_time(stop))
        else:
            t0 = time.perf_counter()
            fn()
            ms.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ms), min(ms), max(ms)


def load_torchvision_ops():
    try:
        from torchvision.ops import batched_nms, box_iou, nms  # noqa: F401
        return nms, batched_nms, box_iou
    except Exception as e:  # ImportError, or a torchvision build that does not match torch
        print(f"torchvision.ops unavailable ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}): "
              f"skipping the NMS baselines", file=sys.stderr)
        return None, None, None


def parse_dw_cases(text):
    cases = []
    for item in text.split(","):
        g, _, b = item.partition(":")
        cases.append((int(g), int(b)))
    return cases


def bench(args, device):
    full = args.scale == "full"
    rows = []  # (key, name, size, median, min, max, note)
    if "dw" in args.only:
        h, w = (800, 1088) if full else (320, 480)
        num_classes = 80
        xy, strides = fpn_points(h, w, torch.float32, device)
        for num_gt, batch in parse_dw_cases(args.dw_cases or ("50:2" if full else "20:2")):
            g = torch.Generator().manual_seed(args.seed)
            images = [dw_image(g, h, w, num_gt, num_classes, xy, torch.float32, device) for _ in range(batch)]
            out = []

            def run():
                out.clear()
                for boxes, labels, cls, obj, dist in images:
                    out.append(dw_assign(xy, strides, boxes, labels, cls, obj, dist))

            med, lo, hi = timed(run, device, args.runs, args.warmup)
            note = f"n={sum(o[0].numel() for o in out)} pairs, m={sum(o[3].numel() for o in out)}, image after image"
            rows.append((f"dw G={num_gt} B={batch}", "dw_weighting torch f32",
                         f"{h}x{w} P={xy.shape[0]} G={num_gt} C={num_classes} batch {batch}", med, lo, hi, note))

    nms, batched_nms, box_iou = load_torchvision_ops()
    if "nms" in args.only and nms is not None:
        sizes = [int(v) for v in (args.nms_sizes or ("5000,30000" if full else "1000,3000")).split(",")]
        for n in sizes:
            for classes in (80, 1):
                g = torch.Generator().manual_seed(args.seed + n * 7 + classes)
                boxes = random_boxes(g, n, torch.float32, device)
                scores = random_scores(g, n, torch.float32, device)
                labels = torch.randint(classes, (n,), generator=g).to(device)
                kept = []
                if classes > 1:
                    fn = lambda: kept.append(batched_nms(boxes, scores, labels, 0.5))  # noqa: E731
                    name = "torchvision batched_nms"
                else:
                    fn = lambda: kept.append(nms(boxes, scores, 0.5))  # noqa: E731
                    name = "torchvision nms"
                med, lo, hi = timed(fn, device, args.runs, args.warmup)
                rows.append((f"nms N={n} C={classes}", name, f"N={n} classes={classes} thr=0.5", med, lo, hi,
                             f"kept={kept[-1].numel()}"))
    if "iou" in args.only and box_iou is not None:
        n, m = (20000, 50) if full else (2000, 50)
        g = torch.Generator().manual_seed(args.seed + 99)
        a = random_boxes(g, n, torch.float32, device)
        b = random_boxes(g, m, torch.float32, device)
        med, lo, hi = timed(lambda: box_iou(a, b), device, args.runs, args.warmup)
        rows.append((f"iou {n}x{m}", "torchvision box_iou", f"{n}x{m}", med, lo, hi, ""))

    print(f"\n{'benchmark':<26} {'size':<44} {'median ms':>10} {'min ms':>10} {'max ms':>10}  notes")
    print("-" * 120)
    for _, name, size, med, lo, hi, note in rows:
        print(f"{name:<26} {size:<44} {med:10.3f} {lo:10.3f} {hi:10.3f}  {note}")
    print(f"\n{args.warmup} warm-up + {args.runs} timed runs, scale {args.scale}, seed {args.seed}")
    if args.csv:
        with open(args.csv, "w") as f:
            for key, _, _, med, lo, hi, _ in rows:
                f.write(f"{key},{med},{lo},{hi}\n")


# ---------------------------------------------------------------------------------------------------------------------
# Contract cases (.dwcase): the baseline must compute what the kernels compute
# ---------------------------------------------------------------------------------------------------------------------

DTYPES = {0: (torch.float32, 4), 1: (torch.float64, 8), 2: (torch.int64, 8), 3: (torch.int32, 4), 4: (torch.uint8, 1)}


def read_case(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"DWCASE1\n":
        raise ValueError(f"{path}: not a .dwcase file")
    pos = 8
    (count,) = struct.unpack_from("<i", data, pos)
    pos += 4
    arrays = {}
    for _ in range(count):
        (length,) = struct.unpack_from("<i", data, pos)
        pos += 4
        name = data[pos:pos + length].decode("ascii")
        pos += length
        code, ndim = struct.unpack_from("<ii", data, pos)
        pos += 8
        dims = struct.unpack_from(f"<{ndim}q", data, pos)
        pos += 8 * ndim
        dtype, item = DTYPES[code]
        numel = 1
        for d in dims:
            numel *= d
        raw = bytearray(data[pos:pos + numel * item])
        pos += numel * item
        t = torch.frombuffer(raw, dtype=dtype) if numel else torch.empty(0, dtype=dtype)
        arrays[name] = t.reshape(dims)
    return arrays


def close(expected, got, tol):
    if tuple(expected.shape) != tuple(got.shape):
        return float("inf")
    if expected.numel() == 0:
        return 0.0
    e, g = expected.double().cpu(), got.double().cpu()
    both_nan = e.isnan() & g.isnan()
    diff = (e - g).abs().masked_fill(both_nan, 0).nan_to_num(float("inf"))
    return diff.max().item()


def check_cases(args, device):
    _, batched_nms, _ = load_torchvision_ops()
    files = sorted(glob.glob(os.path.join(args.check_cases, "*.dwcase")))
    if not files:
        print(f"no .dwcase files in {args.check_cases}", file=sys.stderr)
        return 2
    failed = passed = 0
    for path in files:
        name = os.path.basename(path)[:-len(".dwcase")]
        kind = name.split("_")[0]
        if kind not in ("dw", "nms"):
            continue
        c = {k: v.to(device) for k, v in read_case(path).items()}
        tol = 2e-5 if any(v.dtype == torch.float32 for v in c.values()) else 1e-10
        problems = []
        if kind == "nms":
            if batched_nms is None:
                continue
            keep = batched_nms(c["boxes"], c["scores"], c["labels"], float(c["threshold"][0]))
            # torchvision decides in the boxes' precision; the kernels (and CpuNms) in double: report, do not fail.
            same = keep.cpu().tolist() == c["expect_keep"].cpu().tolist()
            print(f"{name:<36} {'SAME' if same else 'DIFFERS'}  torchvision kept {keep.numel()}, "
                  f"expected {c['expect_keep'].numel()}")
            continue
        k = tuple(c["constants"].cpu().tolist())
        dt = c["distances"].dtype
        k = tuple(torch.tensor(v, dtype=dt).item() for v in k)
        out = dw_assign(c["xy"], c["strides"], c["gt_boxes"], c["gt_labels"], c["cls_logits"], c["obj_logits"],
                        c["distances"], k)
        i, j, w, ni, nv, nf, count, max_iou, good, sw = out
        order = ni.sort(stable=True)[1]
        m = max(1, ni.numel())
        checks = [("pair_point", i, 0), ("pair_gt", j, 0), ("pos_weight", w, tol), ("neg_index", ni[order], 0),
                  ("neg_value", nv[order], tol), ("neg_factor", nf.reshape(1), tol * m),
                  ("inside_count", count, 0), ("max_iou", max_iou, tol), ("num_good", good, 0),
                  ("sum_weight", sw, tol * 10)]
        worst = 0.0
        for key, got, t in checks:
            err = close(c["expect_" + key], got, t)
            worst = max(worst, err if t == 0 else err / t)
            if err > t:
                problems.append(f"{key}: max |diff| {err:.3g} > {t:.3g}")
        ok = not problems
        passed += ok
        failed += not ok
        print(f"{name:<36} {'PASS' if ok else 'FAIL'}  worst err/tol {worst:.3g}")
        for p in problems:
            print(f"    {p}")
    print(f"bench_torch check: {passed} passed, {failed} failed")
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", help="cuda (default when "
                    "available) or cpu")
    ap.add_argument("--scale", choices=("small", "full"), default=None,
                    help="full: the goal sizes (default on cuda); small: quick sizes (default on cpu)")
    ap.add_argument("--runs", type=int, default=None, help="timed runs (default 30 on cuda, 3 on cpu)")
    ap.add_argument("--warmup", type=int, default=None, help="warm-up runs (default 5 on cuda, 1 on cpu)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--only", default="dw,nms,iou", help="comma-separated subset of dw,nms,iou")
    ap.add_argument("--dw-cases", default=None, help="G:B,... DW cases (default 50:2 full, 20:2 small)")
    ap.add_argument("--nms-sizes", default=None, help="N,... NMS sizes (default 5000,30000 full, 1000,3000 small)")
    ap.add_argument("--csv", default=None, help="also write key,median_ms,min_ms,max_ms rows to this file")
    ap.add_argument("--check-cases", metavar="DIR", help="run the DW baseline (and torchvision NMS) on the contract "
                    "cases in DIR instead of timing")
    args = ap.parse_args()
    device = torch.device(args.device)
    on_gpu = device.type == "cuda"
    args.scale = args.scale or ("full" if on_gpu else "small")
    args.runs = args.runs or (30 if on_gpu else 3)
    args.warmup = args.warmup if args.warmup is not None else (5 if on_gpu else 1)
    args.only = set(args.only.split(","))
    desc = torch.cuda.get_device_name(device) if on_gpu else "cpu"
    print(f"torch {torch.__version__} on {desc}")
    if args.check_cases:
        return check_cases(args, device)
    torch.set_grad_enabled(False)
    bench(args, device)
    return 0


if __name__ == "__main__":
    sys.exit(main())
