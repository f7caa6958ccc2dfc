package dev.dwjava.core.dw;

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
}
