package dev.dwjava.core.dw;

import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;

/**
 * The head outputs of one image, flattened over all FPN levels in {@link dev.dwjava.core.point.PointGrid} order
 * (P points, C classes).
 *
 * @param clsLogits (P, C) class logits
 * @param distances (P, 4) final distances (l, t, r, b) in input pixels, after refinement when it is on
 * @param objLogits (P) objectness logits
 */
public record ImagePredictions(Tensor clsLogits, Tensor distances, Tensor objLogits) {
    public ImagePredictions {
        long p = clsLogits.size(0);
        if (clsLogits.dim() != 2) {
            throw new IllegalArgumentException("clsLogits must have shape (P, C), found " + Tensors.shapeOf(clsLogits));
        }
        Tensors.requireShape(distances, "distances", p, 4);
        Tensors.requireShape(objLogits, "objLogits", p);
    }

    /** Number of points P. */
    public long numPoints() {
        return clsLogits.size(0);
    }

    /** Number of classes C. */
    public long numClasses() {
        return clsLogits.size(1);
    }
}
