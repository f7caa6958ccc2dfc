"""Reference values of modulated deformable convolution (DCNv2) for dw-model's tests, from torchvision 0.14's
deform_conv2d (the same sampling rule as mmcv's ModulatedDeformConv2d: bilinear, zero outside, offsets as (dy, dx)
per kernel tap), in float64, with the gradients of a random linear functional of the output.

Also a tiny DW detector with DCNv2 where the DCN config puts it (the 3x3 conv of every bottleneck of layer2..4, and
the last conv of both head towers), built on the independent model of make_fixtures.py, with mmdetection's names.

Run from the repository root:  /usr/bin/python3 dw-model/src/test/python/make_dcn_fixtures.py
The outputs in dw-model/src/test/resources/fixtures/ (dcn_cases.pth, tiny_dw_r50_dcn_mmdet.pth,
tiny_dw_r50_dcn_io.pth) are committed; the tests never run Python.
"""
import os
import sys
from collections import OrderedDict

import torch
import torch.nn as nn
from torchvision.ops import deform_conv2d

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402  (the independent tiny DW model)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "resources", "fixtures")
OUT = os.path.join(FIXTURES, "dcn_cases.pth")


class ModulatedDeformConvPack(nn.Module):
    """mmcv's ModulatedDeformConv2dPack: conv_offset predicts 18 offsets (dy, dx per tap) and 9 mask logits."""

    def __init__(self, inp, out, stride, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out, inp, 3, 3))
        if bias:
            self.bias = nn.Parameter(torch.zeros(out))
        else:
            self.register_parameter("bias", None)
        self.conv_offset = nn.Conv2d(inp, 27, 3, stride, 1, bias=True)
        self.stride = stride

    def forward(self, x):
        o1, o2, mask = torch.chunk(self.conv_offset(x), 3, dim=1)
        return deform_conv2d(x, torch.cat((o1, o2), 1), self.weight, self.bias, stride=self.stride, padding=1,
                             mask=torch.sigmoid(mask))


def tiny_dcn_detector():
    model = mf.TinyDW()
    for s in (2, 3, 4):
        for block in getattr(model.backbone, "layer%d" % s):
            c = block.conv2
            block.conv2 = ModulatedDeformConvPack(c.in_channels, c.out_channels, c.stride[0], False)
    for tower in (model.bbox_head.cls_convs, model.bbox_head.reg_convs):
        c = tower[-1].conv
        tower[-1].conv = ModulatedDeformConvPack(c.in_channels, c.out_channels, 1, True)
    gen = torch.Generator().manual_seed(20222)
    mf.randomize(model, gen)
    model.eval()
    x = torch.randn(1, 3, 64, 96, generator=gen)
    with torch.no_grad():
        outs = model(x)
    torch.save({"meta": {"mmcv_version": "1.4.6"}, "state_dict": OrderedDict(model.state_dict())},
               os.path.join(FIXTURES, "tiny_dw_r50_dcn_mmdet.pth"))
    io = OrderedDict(input=x)
    for l, (c, r, o) in enumerate(outs):
        io["cls_%d" % l], io["reg_%d" % l], io["obj_%d" % l] = c, r, o
    torch.save(io, os.path.join(FIXTURES, "tiny_dw_r50_dcn_io.pth"))


def case(prefix, cases, stride, b, c, h, w, o, offset_scale):
    x = torch.randn(b, c, h, w, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(o, c, 3, 3, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(o, dtype=torch.float64, requires_grad=True)
    ho, wo = (h + 2 - 3) // stride + 1, (w + 2 - 3) // stride + 1
    # Large offsets send some taps outside the map (zero) and across its border (partly zero).
    offset = (torch.randn(b, 18, ho, wo, dtype=torch.float64) * offset_scale).requires_grad_()
    mask_logits = torch.randn(b, 9, ho, wo, dtype=torch.float64, requires_grad=True)
    y = deform_conv2d(x, offset, weight, bias, stride=stride, padding=1, mask=torch.sigmoid(mask_logits))
    g = torch.randn_like(y)
    (y * g).sum().backward()
    for name, t in [("x", x), ("weight", weight), ("bias", bias), ("offset", offset), ("mask_logits", mask_logits)]:
        cases[prefix + name] = t.detach()
        cases[prefix + "grad_" + name] = t.grad
    cases[prefix + "y"] = y.detach()
    cases[prefix + "g"] = g


def main():
    torch.manual_seed(0)
    cases = OrderedDict()
    case("s1_", cases, 1, 2, 5, 7, 9, 6, 2.5)
    case("s2_", cases, 2, 1, 4, 9, 8, 3, 3.0)
    torch.save(cases, OUT)
    tiny_dcn_detector()


if __name__ == "__main__":
    main()
