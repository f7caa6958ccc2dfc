package dev.dwjava.model.nn;

import org.bytedeco.pytorch.Tensor;

/**
 * mmcv's ConvModule naming: a child {@code conv} and, optionally, a child {@code gn} followed by ReLU
 * (head towers), or the conv alone (FPN lateral and output convs).
 */
public final class ConvModule extends Layer {
    public final Conv2d conv;
    private final GroupNorm gn;

    public ConvModule(Conv2d conv, GroupNorm gn) {
        this.conv = child("conv", conv);
        this.gn = gn == null ? null : child("gn", gn);
    }

    /** conv, then GroupNorm + ReLU when present. */
    public Tensor forward(Tensor x) {
        Tensor h = conv.forward(x);
        return gn == null ? h : gn.forward(h).relu();
    }
}
