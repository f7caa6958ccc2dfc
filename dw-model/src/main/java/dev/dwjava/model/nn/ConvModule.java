package dev.dwjava.model.nn;

import org.bytedeco.pytorch.Tensor;

/**
 * mmcv's ConvModule naming: a child {@code conv} and, optionally, a child {@code gn} followed by ReLU
 * (head towers), or the conv alone (FPN lateral and output convs).
 */
public final class ConvModule extends Layer {
    /** The plain conv, or null when this module's conv is deformable. */
    public final Conv2d conv;
    /** The DCNv2 conv (same child name {@code conv}), or null. */
    public final ModulatedDeformConv2d deformConv;
    private final GroupNorm gn;

    /** With a plain conv; {@code gn} null gives the conv alone (no norm, no ReLU). */
    public ConvModule(Conv2d conv, GroupNorm gn) {
        this.conv = child("conv", conv);
        this.deformConv = null;
        this.gn = gn == null ? null : child("gn", gn);
    }

    /** With a DCNv2 conv, as the DCN config's last head-tower convs. */
    public ConvModule(ModulatedDeformConv2d conv, GroupNorm gn) {
        this.conv = null;
        this.deformConv = child("conv", conv);
        this.gn = gn == null ? null : child("gn", gn);
    }

    /** GroupNorm + ReLU of this module's conv output {@code h} (h itself without a norm). */
    public Tensor normalize(Tensor h) {
        return gn == null ? h : gn.forward(h).relu_();
    }

    /** conv, then GroupNorm + ReLU when present. */
    public Tensor forward(Tensor x) {
        Tensor h = conv != null ? conv.forward(x) : deformConv.forward(x);
        return gn == null ? h : gn.forward(h).relu_();
    }

    /**
     * {@link #forward} of each input (the FPN levels, which share this module's weights): one {@link WinogradConv}
     * call over all of them where it applies ({@link Conv2d#forward(java.util.List)}).
     */
    public java.util.List<Tensor> forward(java.util.List<Tensor> xs) {
        java.util.List<Tensor> out = new java.util.ArrayList<>(xs.size());
        if (conv == null) {
            for (Tensor x : xs) {
                out.add(forward(x));
            }
            return out;
        }
        for (Tensor h : conv.forward(xs)) {
            out.add(gn == null ? h : gn.forward(h).relu_());
        }
        return out;
    }
}
