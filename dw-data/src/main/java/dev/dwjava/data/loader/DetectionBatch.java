package dev.dwjava.data.loader;

import java.util.List;

import dev.dwjava.core.dw.GroundTruth;
import org.bytedeco.pytorch.Tensor;

/**
 * A collated batch.
 *
 * @param images  (B, 3, H, W) float32, normalised, zero-padded to the largest image rounded up to 32
 * @param targets per image, GT boxes in the input frame and labels
 * @param metas   per image, how it was transformed
 */
public record DetectionBatch(Tensor images, List<GroundTruth> targets, List<SampleMeta> metas) {}
