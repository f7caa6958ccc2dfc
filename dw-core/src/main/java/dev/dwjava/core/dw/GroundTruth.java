package dev.dwjava.core.dw;

import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The ground truth of one image in the network-input frame (resized, flipped, padded).
 *
 * @param boxes  (G, 4) boxes (x1, y1, x2, y2) in input pixels; G may be 0
 * @param labels int64 (G) contiguous labels in {@code [0, C)}
 */
public record GroundTruth(Tensor boxes, Tensor labels) {
    public GroundTruth {
        Tensors.requireRows(boxes, 4, "gt boxes");
        Tensors.requireShape(labels, "gt labels", boxes.size(0));
        if (!Tensors.hasType(labels, ScalarType.Long)) {
            throw new IllegalArgumentException("gt labels must be int64, found " + labels.scalar_type());
        }
    }

    /** Number of boxes G. */
    public long size() {
        return boxes.size(0);
    }
}
