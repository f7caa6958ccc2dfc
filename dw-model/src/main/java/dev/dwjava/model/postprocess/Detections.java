package dev.dwjava.model.postprocess;

import org.bytedeco.pytorch.Tensor;

/**
 * The detections of one image, sorted by descending score.
 *
 * @param boxes  (n, 4) float32 (x1, y1, x2, y2) in pixels of the original image
 * @param scores (n) joint scores σ(cls)·σ(obj), no square root
 * @param labels int64 (n) contiguous class labels
 */
public record Detections(Tensor boxes, Tensor scores, Tensor labels) {
    /** Number of detections. */
    public long size() {
        return scores.size(0);
    }
}
