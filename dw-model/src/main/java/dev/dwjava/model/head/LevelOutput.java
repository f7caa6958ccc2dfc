package dev.dwjava.model.head;

import org.bytedeco.pytorch.Tensor;

/**
 * The head's outputs at one FPN level.
 *
 * @param clsLogits (B, C, H, W) class logits
 * @param distances (B, 4, H, W) distances (l, t, r, b) in input pixels, after scale, stride and refinement
 * @param objLogits (B, 1, H, W) objectness logits
 * @param stride    the level's stride
 */
public record LevelOutput(Tensor clsLogits, Tensor distances, Tensor objLogits, int stride) {}
