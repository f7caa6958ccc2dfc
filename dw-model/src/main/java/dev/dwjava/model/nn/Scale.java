package dev.dwjava.model.nn;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** A learnable scalar {@code scale} (0-dim, like mmcv's Scale) that multiplies its input. */
public final class Scale extends Layer {
    public final Tensor scale;

    /** A scale starting at {@code init} (1.0 in the DW head). */
    public Scale(double init) {
        scale = parameter("scale", torch.full(new long[0], new Scalar(init)), true);
    }

    /** {@code x · scale}, broadcast over every element. */
    public Tensor forward(Tensor x) {
        return x.mul(scale);
    }
}
