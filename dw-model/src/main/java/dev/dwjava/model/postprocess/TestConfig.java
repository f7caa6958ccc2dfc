package dev.dwjava.model.postprocess;

import java.util.List;

/**
 * Test-time post-processing settings (mmdetection's {@code test_cfg}, docs/DW_SPEC.md §4).
 *
 * @param nmsPre       candidates kept per level, by score, before NMS (1000)
 * @param scoreThr     (point, class) pairs need a joint score strictly above this (0.05)
 * @param iouThreshold NMS suppresses when IoU is strictly above this (0.6)
 * @param maxPerImage  detections kept after NMS (100)
 * @param ttaScales    short edges of test-time augmentation ({@code --tta}), each with the test scale's long edge; empty:
 *                     the test scale alone (with its horizontal flip)
 */
public record TestConfig(int nmsPre, double scoreThr, double iouThreshold, int maxPerImage, List<Integer> ttaScales) {
    /** The DW configs' values. */
    public static final TestConfig DEFAULT = new TestConfig(1000, 0.05, 0.6, 100);

    /** Checks the values: positive counts, an IoU threshold in (0, 1], positive TTA scales. */
    public TestConfig {
        if (nmsPre <= 0 || maxPerImage <= 0) {
            throw new IllegalArgumentException("nmsPre and maxPerImage must be positive, found " + nmsPre + ", " + maxPerImage);
        }
        if (!(iouThreshold > 0 && iouThreshold <= 1)) {
            throw new IllegalArgumentException("iouThreshold must be in (0, 1], found " + iouThreshold);
        }
        ttaScales = ttaScales == null ? List.of() : List.copyOf(ttaScales);
        for (int s : ttaScales) {
            if (s <= 0) {
                throw new IllegalArgumentException("test.tta_scales must be positive short edges, found " + ttaScales);
            }
        }
    }

    /** Settings without TTA scales. */
    public TestConfig(int nmsPre, double scoreThr, double iouThreshold, int maxPerImage) {
        this(nmsPre, scoreThr, iouThreshold, maxPerImage, List.of());
    }

    /** The same settings with another score threshold. */
    public TestConfig withScoreThr(double threshold) {
        return new TestConfig(nmsPre, threshold, iouThreshold, maxPerImage, ttaScales);
    }
}
