package dev.dwjava.core.dw;

import java.util.ArrayList;
import java.util.List;

import dev.dwjava.core.point.PointGrid;

/**
 * Computes the DW positive and negative weights of one image. Implementations (libtorch here, CUDA in dw-kernels)
 * must agree on the shared contract cases; the loss consumes any of them.
 */
public interface DwAssigner {
    /**
     * @param points      the FPN points of the batch input (P)
     * @param predictions the image's head outputs; read without gradient
     * @param gt          the image's ground truth
     * @return the assignment, all tensors detached
     */
    DwAssignment assign(PointGrid points, ImagePredictions predictions, GroundTruth gt);

    /**
     * The assignments of a batch whose images share {@code points} (one input size): one per image, equal to
     * {@link #assign} of each. Implementations may compute them together (the CUDA kernels launch once per batch).
     */
    default List<DwAssignment> assignBatch(PointGrid points, List<ImagePredictions> predictions, List<GroundTruth> gts) {
        if (predictions.size() != gts.size()) {
            throw new IllegalArgumentException("need one ground truth per image, found " + predictions.size()
                    + " predictions and " + gts.size() + " ground truths");
        }
        List<DwAssignment> out = new ArrayList<>(predictions.size());
        for (int b = 0; b < predictions.size(); b++) {
            out.add(assign(points, predictions.get(b), gts.get(b)));
        }
        return out;
    }
}
