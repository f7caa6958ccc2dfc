"""Reference values of modulated deformable convolution (DCNv2) for dw-model's tests, from torchvision 0.14's
deform_conv2d (the same sampling rule as mmcv's ModulatedDeformConv2d: bilinear, zero outside, offsets as (dy, dx)
per kernel tap), in float64, with the gradients of a random linear functional of the output.

Run from the repository root:  /usr/bin/python3 dw-model/src/test/python/make_dcn_fixtures.py
The output dw-model/src/test/resources/fixtures/dcn_cases.pth is committed; the tests never run Python.
"""
import os
from collections import OrderedDict

import torch
from torchvision.ops import deform_conv2d

OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "fixtures", "dcn_cases.pth")


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


if __name__ == "__main__":
    main()
