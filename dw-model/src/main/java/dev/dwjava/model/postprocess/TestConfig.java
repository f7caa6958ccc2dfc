package dev.dwjava.model.postprocess;

/**
 * Test-time post-processing settings (mmdetection's {@code test_cfg}, docs/DW_SPEC.md §4).
 *
 * @param nmsPre       candidates kept per level, by score, before NMS (1000)
 * @param scoreThr     (point, class) pairs need a joint score strictly above this (0.05)
 * @param iouThreshold NMS suppresses when IoU is strictly above this (0.6)
 * @param maxPerImage  detections kept after NMS (100)
 */
public record TestConfig(int nmsPre, double scoreThr, double iouThreshold, int maxPerImage) {
    /** The DW configs' values. */
    public static final TestConfig DEFAULT = new TestConfig(1000, 0.05, 0.6, 100);

    /** Checks the values: positive counts, an IoU threshold in (0, 1]. */
    public TestConfig {
        if (nmsPre <= 0 || maxPerImage <= 0) {
            throw new IllegalArgumentException("nmsPre and maxPerImage must be positive, found " + nmsPre + ", " + maxPerImage);
        }
        if (!(iouThreshold > 0 && iouThreshold <= 1)) {
            throw new IllegalArgumentException("iouThreshold must be in (0, 1], found " + iouThreshold);
        }
    }
}
