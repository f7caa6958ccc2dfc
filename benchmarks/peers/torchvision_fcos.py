#!/usr/bin/env python3
"""The PyTorch peer of `bin/dw bench train-step` and `bin/dw bench inference`: torchvision's FCOS-R50-FPN, set up
as the DW configs train (frozen batch norms, stem and layer1 frozen, P3-P7 with P6/P7 from P5... as torchvision builds
them), on the same random inputs: images of one size, `--gts` random boxes per image, SGD with momentum 0.9, the same
warm-up (2 steps) and measured iterations, and the same thread count.

Usage: python3 torchvision_fcos.py train-step|inference [--batch B] [--size HxW] [--iters N] [--gts G] [--threads T]
Prints one JSON object with the median milliseconds (step_ms_median or forward_ms_median, post-processing included for
inference, as torchvision's forward does it). Optional: never part of the tests.
"""
import argparse
import json
import statistics
import time

import torch
from torchvision.models import resnet50
from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor
from torchvision.models.detection.fcos import FCOS
from torchvision.ops import misc as misc_nn_ops
from torchvision.ops.feature_pyramid_network import LastLevelP6P7


def build(h, w, classes):
    backbone = resnet50(weights=None, norm_layer=misc_nn_ops.FrozenBatchNorm2d)
    # layer2-4 trainable (mmdetection's frozen_stages=1), P3-P7 out of C3-C5
    backbone = _resnet_fpn_extractor(backbone, 3, returned_layers=[2, 3, 4], extra_blocks=LastLevelP6P7(256, 256))
    # min/max size equal to the input, so that torchvision's transform keeps the size (no resize)
    return FCOS(backbone, num_classes=classes, min_size=min(h, w), max_size=max(h, w),
                image_mean=[0.0, 0.0, 0.0], image_std=[1.0, 1.0, 1.0])


def targets(gen, batch, h, w, gts, classes):
    out = []
    for _ in range(batch):
        bw = 16 + torch.rand(gts, generator=gen) * w / 3
        bh = 16 + torch.rand(gts, generator=gen) * h / 3
        x = torch.rand(gts, generator=gen) * (w - bw)
        y = torch.rand(gts, generator=gen) * (h - bh)
        out.append({"boxes": torch.stack([x, y, x + bw, y + bh], 1),
                    "labels": torch.randint(0, classes, (gts,), generator=gen)})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["train-step", "inference"])
    ap.add_argument("--batch", type=int, default=None)
    ap.add_argument("--size", default=None)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--gts", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--classes", type=int, default=80)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    batch = a.batch or (2 if a.mode == "train-step" else 1)
    h, w = (int(v) for v in (a.size or ("512x512" if a.mode == "train-step" else "800x1216")).split("x"))
    model = build(h, w, a.classes)
    gen = torch.Generator().manual_seed(0)
    times = []
    if a.mode == "train-step":
        model.train()
        params = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.SGD(params, lr=1e-4, momentum=0.9, weight_decay=1e-4)
        for k in range(-2, a.iters):
            images = list(torch.randn(batch, 3, h, w, generator=gen))
            t = targets(gen, batch, h, w, a.gts, a.classes)
            t0 = time.perf_counter()
            losses = model(images, t)
            loss = sum(losses.values())
            opt.zero_grad()
            loss.backward()
            opt.step()
            if k >= 0:
                times.append((time.perf_counter() - t0) * 1000)
        key = "step_ms_median"
    else:
        model.eval()
        with torch.no_grad():
            for k in range(-2, a.iters):
                images = list(torch.randn(batch, 3, h, w, generator=gen))
                t0 = time.perf_counter()
                model(images)
                if k >= 0:
                    times.append((time.perf_counter() - t0) * 1000)
        key = "forward_ms_median"
    print(json.dumps({"peer": "torchvision FCOS-R50-FPN", "torch": torch.__version__, "input": f"{batch}x3x{h}x{w}",
                      "threads": a.threads, key: statistics.median(times), "all_ms": times}))


if __name__ == "__main__":
    main()
