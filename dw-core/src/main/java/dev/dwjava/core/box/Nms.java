package dev.dwjava.core.box;

import org.bytedeco.pytorch.Tensor;

/**
 * Greedy non-maximum suppression with mmcv/torchvision semantics: boxes are visited by descending score (ties keep
 * the input order), a box is suppressed when its IoU with a kept box is strictly greater than the threshold, and
 * areas are {@code (x2 - x1)(y2 - y1)} without +1. Empty input gives an empty int64 tensor.
 *
 * <p>One interface, several implementations (CPU here, CUDA in dw-kernels), one shared contract test.
 */
public interface Nms {
    /**
     * @param boxes        (N, 4) xyxy
     * @param scores       (N)
     * @param iouThreshold suppress when IoU &gt; this
     * @return int64 (K) indices of kept boxes, by descending score
     */
    Tensor nms(Tensor boxes, Tensor scores, double iouThreshold);

    /**
     * Class-aware NMS: boxes of different labels never suppress each other.
     *
     * @param labels int64 (N) class of each box
     * @return int64 (K) indices of kept boxes, by descending score (ties: lower index first)
     */
    Tensor batchedNms(Tensor boxes, Tensor scores, Tensor labels, double iouThreshold);
}
