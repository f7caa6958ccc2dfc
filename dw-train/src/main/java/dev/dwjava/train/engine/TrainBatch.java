package dev.dwjava.train.engine;

import java.util.List;

import dev.dwjava.core.dw.GroundTruth;
import org.bytedeco.pytorch.Tensor;

/**
 * One training batch as the model consumes it.
 *
 * @param images (B, 3, H, W) normalised, zero-padded to a multiple of 32
 * @param targets per image, GT boxes in the input frame and labels
 */
public record TrainBatch(Tensor images, List<GroundTruth> targets) {
    public TrainBatch {
        if (images.dim() != 4 || images.size(0) != targets.size()) {
            throw new IllegalArgumentException("batch of " + java.util.Arrays.toString(images.shape()) + " images with "
                    + targets.size() + " targets");
        }
    }
}
