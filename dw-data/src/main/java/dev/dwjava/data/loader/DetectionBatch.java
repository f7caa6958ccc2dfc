package dev.dwjava.data.loader;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.dwjava.core.dw.GroundTruth;
import org.bytedeco.pytorch.Tensor;

/**
 * A collated batch: what training and inference consume.
 *
 * @param images  (B, 3, H, W) float32, normalised, zero-padded to the largest image rounded up to 32
 * @param targets per image, GT boxes in the input frame and labels
 * @param metas   per image, how it was transformed
 */
public record DetectionBatch(Tensor images, List<GroundTruth> targets, List<SampleMeta> metas) {
    public DetectionBatch {
        if (images.dim() != 4 || images.size(0) != targets.size() || targets.size() != metas.size()) {
            throw new IllegalArgumentException("batch of " + Arrays.toString(images.shape()) + " images with "
                    + targets.size() + " targets and " + metas.size() + " metas: need one of each per image");
        }
        targets = List.copyOf(targets);
        metas = List.copyOf(metas);
    }

    /**
     * A batch of images that already are the network input (not resized, not flipped), such as generated ones;
     * image ids are 0..B−1.
     */
    public static DetectionBatch ofInputs(Tensor images, List<GroundTruth> targets) {
        int h = (int) images.size(2), w = (int) images.size(3);
        List<SampleMeta> metas = new ArrayList<>();
        for (int b = 0; b < targets.size(); b++) {
            metas.add(new SampleMeta(b, w, h, w, h, false));
        }
        return new DetectionBatch(images, targets, metas);
    }
}
