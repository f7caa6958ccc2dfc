package dev.dwjava.core.dw;

import static dev.dwjava.core.tensor.Tensors.s;

import dev.dwjava.core.box.BoxOps;
import dev.dwjava.core.box.DistanceCoder;
import org.bytedeco.pytorch.Tensor;

/**
 * Predicted and target boxes of the inside pairs (docs/DW_SPEC.md §3.3). The target is re-derived from the point-to-side
 * distances, {@code x − (x − x1)}, exactly as the original does, so fp32 runs round identically.
 *
 * @param predicted (n, 4) {@code (x − l, y − t, x + r, y + b)}, not clipped; carries gradient when distances do
 * @param target    (n, 4) the GT box of each pair
 */
record PairGeometry(Tensor predicted, Tensor target) {

    static PairGeometry of(Tensor pairXy, Tensor pairDistances, Tensor pairGtBox) {
        Tensor predicted = DistanceCoder.decode(pairXy, pairDistances);
        Tensor target = DistanceCoder.decode(pairXy, DistanceCoder.encode(pairXy, pairGtBox));
        return new PairGeometry(predicted, target);
    }

    /** (n) GIoU loss {@code 1 − GIoU} with mmdetection's eps 1e-6, in [0, 2]. */
    Tensor giouLoss() {
        return BoxOps.aligned(predicted, target, true, BoxOps.EPS).neg().add(s(1));
    }
}
