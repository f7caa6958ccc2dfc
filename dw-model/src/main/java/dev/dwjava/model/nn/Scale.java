package dev.dwjava.model.nn;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** A learnable scalar {@code scale} (0-dim, like mmcv's Scale) that multiplies its input. */
public final class Scale extends Layer {
    public final Tensor scale;

    public Scale(double init) {
        scale = parameter("scale", torch.full(new long[0], new Scalar(init)), true);
    }

    public Tensor forward(Tensor x) {
        return x.mul(scale);
    }
}
