"""Reference fixtures for dw-model's tests, made with Debian's python3-torch 1.13 / python3-torchvision 0.14.

Run from the repository root:  /usr/bin/python3 dw-model/src/test/python/make_fixtures.py
The outputs in dw-model/src/test/resources/fixtures/ are committed; the tests never run Python.

The tiny DW detector below is an independent PyTorch implementation written from docs/DW_SPEC.md §1 (torch.nn layers,
torchvision's deform_conv2d for the refinement, as the original's mmcv op), with mmdetection's parameter names.
"""
import json
import os
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.ops import deform_conv2d

OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "fixtures")
STRIDES = (8, 16, 32, 64, 128)


class Bottleneck(nn.Module):
    def __init__(self, inp, width, stride, downsample):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, width * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(width * 4)
        if downsample:
            self.downsample = nn.Sequential(nn.Conv2d(inp, width * 4, 1, stride, bias=False), nn.BatchNorm2d(width * 4))
        else:
            self.downsample = None

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = F.relu(self.bn2(self.conv2(h)))
        h = self.bn3(self.conv3(h))
        return F.relu(h + (x if self.downsample is None else self.downsample(x)))


class ResNet50(nn.Module):
    def __init__(self, base):
        super().__init__()
        self.conv1 = nn.Conv2d(3, base, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(base)
        inp = base
        for s, n in enumerate((3, 4, 6, 3)):
            width = base * 2 ** s
            blocks = []
            for b in range(n):
                stride = 2 if b == 0 and s > 0 else 1
                blocks.append(Bottleneck(inp, width, stride, b == 0))
                inp = width * 4
            setattr(self, "layer%d" % (s + 1), nn.Sequential(*blocks))

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
        outs = []
        for s in range(4):
            x = getattr(self, "layer%d" % (s + 1))(x)
            outs.append(x)
        return outs[1:]


class ConvModule(nn.Module):
    def __init__(self, inp, out, k, stride=1, gn_groups=None):
        super().__init__()
        self.conv = nn.Conv2d(inp, out, k, stride, k // 2, bias=True)
        if gn_groups:
            self.gn = nn.GroupNorm(gn_groups, out)

    def forward(self, x):
        x = self.conv(x)
        return F.relu(self.gn(x)) if hasattr(self, "gn") else x


class FPN(nn.Module):
    def __init__(self, ins, ch):
        super().__init__()
        self.lateral_convs = nn.ModuleList([ConvModule(c, ch, 1) for c in ins])
        self.fpn_convs = nn.ModuleList([ConvModule(ch, ch, 3) for _ in ins] + [ConvModule(ch, ch, 3, 2) for _ in range(2)])

    def forward(self, c):
        l = [m(x) for m, x in zip(self.lateral_convs, c)]
        l[1] = l[1] + F.interpolate(l[2], size=l[1].shape[-2:], mode="nearest")
        l[0] = l[0] + F.interpolate(l[1], size=l[0].shape[-2:], mode="nearest")
        p = [self.fpn_convs[i](l[i]) for i in range(3)]
        p.append(self.fpn_convs[3](p[2]))
        p.append(self.fpn_convs[4](F.relu(p[3])))
        return p


class Scale(nn.Module):
    def __init__(self, v):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(v, dtype=torch.float))

    def forward(self, x):
        return x * self.scale


class CenterPrior(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.mean = nn.Parameter(torch.zeros(c, 2), requires_grad=False)
        self.sigma = nn.Parameter(torch.ones(c, 2) + 0.11, requires_grad=False)


class DWHead(nn.Module):
    def __init__(self, inp, feat, stacked, groups, classes):
        super().__init__()
        self.cls_convs = nn.ModuleList([ConvModule(inp if i == 0 else feat, feat, 3, 1, groups) for i in range(stacked)])
        self.reg_convs = nn.ModuleList([ConvModule(inp if i == 0 else feat, feat, 3, 1, groups) for i in range(stacked)])
        self.conv_cls = nn.Conv2d(feat, classes, 3, padding=1)
        self.conv_reg = nn.Conv2d(feat, 4, 3, padding=1)
        self.conv_centerness = nn.Conv2d(feat, 1, 3, padding=1)
        self.reg_offset = nn.Conv2d(feat, 8, 3, padding=1)
        self.scales = nn.ModuleList([Scale(1.0) for _ in STRIDES])
        self.center_prior = CenterPrior(classes)

    def level(self, x, scale, s):
        c, r = x, x
        for m in self.cls_convs:
            c = m(c)
        for m in self.reg_convs:
            r = m(r)
        cls = self.conv_cls(c)
        obj = self.conv_centerness(r)
        d = F.relu(scale(self.conv_reg(r))) * s
        b, _, h, w = d.shape
        ys, xs = torch.meshgrid(torch.arange(h, dtype=d.dtype), torch.arange(w, dtype=d.dtype), indexing="ij")
        px, py = xs * s + s * 0.5, ys * s + s * 0.5
        boxes = torch.stack([px - d[:, 0], py - d[:, 1], px + d[:, 2], py + d[:, 3]], 1)
        o = self.reg_offset(r)
        dd = d / s
        off = torch.stack([o[:, 0], o[:, 1] - dd[:, 0], o[:, 2] - dd[:, 1], o[:, 3],
                           o[:, 4], o[:, 5] + dd[:, 2], o[:, 6] + dd[:, 3], o[:, 7]], 1)
        sampled = deform_conv2d(boxes.contiguous(), off.contiguous(), boxes.new_ones(4, 1, 1, 1))
        ref = torch.stack([px - sampled[:, 0], py - sampled[:, 1], sampled[:, 2] - px, sampled[:, 3] - py], 1)
        return cls, F.relu(ref), obj

    def forward(self, feats):
        return [self.level(x, self.scales[i], s) for i, (x, s) in enumerate(zip(feats, STRIDES))]


class TinyDW(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = ResNet50(4)
        self.neck = FPN([32, 64, 128], 16)
        self.bbox_head = DWHead(16, 16, 2, 4, 3)

    def forward(self, x):
        return self.bbox_head(self.neck(self.backbone(x)))


def randomize(model, gen):
    """Random weights and BN statistics so that every parameter and buffer influences the output."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("scale"):
                p.copy_(0.8 + 0.4 * torch.rand((), generator=gen))
            elif "center_prior" in name:
                continue
            elif p.dim() == 4:
                fan_in = p.shape[1] * p.shape[2] * p.shape[3]
                p.copy_(torch.randn(p.shape, generator=gen) * (1.0 / fan_in) ** 0.5)
            elif "bn" in name or "gn" in name or "downsample.1" in name:
                p.copy_((1.0 if name.endswith("weight") else 0.0) + 0.1 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
        model.bbox_head.conv_reg.bias.fill_(1.0)
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(0.1 * torch.randn(b.shape, generator=gen))
            elif name.endswith("running_var"):
                b.copy_(0.5 + torch.rand(b.shape, generator=gen))
            elif name.endswith("num_batches_tracked"):
                b.fill_(1234)


def tiny_detector():
    gen = torch.Generator().manual_seed(20221)
    model = TinyDW()
    randomize(model, gen)
    model.eval()
    x = torch.randn(1, 3, 64, 96, generator=gen)
    with torch.no_grad():
        outs = model(x)
    checkpoint = {
        "meta": {"mmcv_version": "1.4.6", "CLASSES": ("circle", "rectangle", "triangle"), "epoch": 12, "iter": 88000,
                 "hook_msgs": {"best_score": np.float64(0.421)}},
        "state_dict": OrderedDict(model.state_dict()),
        "optimizer": {"state": {}, "param_groups": [{"lr": 0.01, "momentum": 0.9, "weight_decay": 0.0001, "params": [0, 1]}]},
    }
    torch.save(checkpoint, os.path.join(OUT, "tiny_dw_r50_mmdet.pth"))
    io = OrderedDict(input=x)
    for l, (c, r, o) in enumerate(outs):
        io["cls_%d" % l], io["reg_%d" % l], io["obj_%d" % l] = c, r, o
    torch.save(io, os.path.join(OUT, "tiny_dw_r50_io.pth"))


def torchvision_layouts():
    """Key names and shapes of torchvision's ResNets, and a ResNet-18 state dict in torchvision's layout whose
    tensors are stride-0 views of one-element storages (tensor k holds the value k / 1000): small file, real layout."""
    layouts = {}
    for depth in (18, 50, 101):
        sd = getattr(torchvision.models, "resnet%d" % depth)().state_dict()
        layouts["resnet%d" % depth] = [[k, list(v.shape)] for k, v in sd.items()]
    with open(os.path.join(OUT, "torchvision_resnet_layouts.json"), "w") as f:
        json.dump(layouts, f)
    sd = torchvision.models.resnet18().state_dict()
    tiny = OrderedDict()
    for k, (name, v) in enumerate(sd.items()):
        tiny[name] = torch.tensor([k / 1000.0], dtype=v.dtype).expand(v.shape) if v.dim() > 0 else torch.tensor(k, dtype=v.dtype)
    torch.save(tiny, os.path.join(OUT, "torchvision_resnet18_const.pth"))


def kitchen_sink():
    """Every container and dtype the reader must handle, plus shared storages and non-contiguous views."""
    base = torch.arange(12, dtype=torch.float32)
    obj = OrderedDict()
    obj["f32"] = torch.tensor([[1.5, -2.25], [3.0, 4.125]])
    obj["f16"] = torch.tensor([0.5, -1.0, 65504.0], dtype=torch.float16)
    obj["bf16"] = torch.tensor([1.0, -3.5, 256.0], dtype=torch.bfloat16)
    obj["f64"] = torch.tensor([1e-300, 2.0], dtype=torch.float64)
    obj["i64"] = torch.tensor([-(2 ** 40), 7], dtype=torch.int64)
    obj["u8"] = torch.tensor([0, 255, 17], dtype=torch.uint8)
    obj["bool"] = torch.tensor([True, False, True])
    obj["scalar"] = torch.tensor(3.25)
    obj["view_slice"] = base[2:8].view(2, 3)
    obj["view_t"] = base.view(3, 4).t()
    obj["base"] = base
    obj["param"] = nn.Parameter(torch.tensor([9.0, 8.0]))
    obj["nested"] = {"tuple": (1, "two", 3.0, None, True, False), "list": [1, [2, 3]], "big": 2 ** 70, "neg": -5,
                     "unicode": "gr\u00fc\u00dfe"}
    torch.save(obj, os.path.join(OUT, "kitchen_sink.pth"))


def verify_java_written(path):
    """Loads a state dict that dw-java wrote and records what torch.load sees (run after the Java test made it)."""
    sd = torch.load(path)
    summary = OrderedDict((k, {"dtype": str(v.dtype), "shape": list(v.shape), "sum": float(v.double().sum())})
                          for k, v in sd.items())
    with open(path + ".torch_load.json", "w") as f:
        json.dump({"type": type(sd).__name__, "tensors": summary}, f, indent=1)
    print("torch.load read", len(sd), "tensors from", path)


if __name__ == "__main__":
    import sys
    if len(sys.argv) > 1 and sys.argv[1] == "verify":
        verify_java_written(sys.argv[2])
    else:
        os.makedirs(OUT, exist_ok=True)
        tiny_detector()
        torchvision_layouts()
        kitchen_sink()
        for name in sorted(os.listdir(OUT)):
            print(name, os.path.getsize(os.path.join(OUT, name)))
