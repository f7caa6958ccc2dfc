package dev.dwjava.model.postprocess;

import java.util.List;

import dev.dwjava.core.runtime.Autocast;
import dev.dwjava.core.runtime.ComputeDevice;
import dev.dwjava.core.runtime.Precision;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.head.HeadOutputs;

/**
 * Test-time post-processing settings (mmdetection's {@code test_cfg}, docs/DW_SPEC.md §4).
 *
 * @param nmsPre       candidates kept per level, by score, before NMS (1000)
 * @param scoreThr     (point, class) pairs need a joint score strictly above this (0.05)
 * @param iouThreshold NMS suppresses when IoU is strictly above this (0.6)
 * @param maxPerImage  detections kept after NMS (100)
 * @param ttaScales    short edges of test-time augmentation ({@code --tta}), each with the test scale's long edge; empty:
 *                     the test scale alone (with its horizontal flip)
 * @param amp          the test-time forward's precision: {@code off} (absent) or {@code bf16} (autocast, see
 *                     {@link Precision}; post-processing stays fp32). Not bit-identical to fp32; off by default
 */
public record TestConfig(int nmsPre, double scoreThr, double iouThreshold, int maxPerImage, List<Integer> ttaScales,
                         String amp) {
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
        try {
            Precision.parse(amp);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("test." + e.getMessage(), e);
        }
    }

    /** Settings without TTA scales. */
    public TestConfig(int nmsPre, double scoreThr, double iouThreshold, int maxPerImage) {
        this(nmsPre, scoreThr, iouThreshold, maxPerImage, List.of());
    }

    /** Settings in fp32. */
    public TestConfig(int nmsPre, double scoreThr, double iouThreshold, int maxPerImage, List<Integer> ttaScales) {
        this(nmsPre, scoreThr, iouThreshold, maxPerImage, ttaScales, null);
    }

    /** The same settings with another score threshold. */
    public TestConfig withScoreThr(double threshold) {
        return new TestConfig(nmsPre, threshold, iouThreshold, maxPerImage, ttaScales, amp);
    }

    /** The same settings with another test-time precision. */
    public TestConfig withAmp(String precision) {
        return new TestConfig(nmsPre, scoreThr, iouThreshold, maxPerImage, ttaScales, precision);
    }

    /** The test-time forward's precision on {@code device} ({@code auto}: fp16 on a GPU, bf16 on a CPU). */
    public Precision precision(ComputeDevice device) {
        return Precision.parse(amp, device);
    }

    /**
     * The head outputs of {@code model} on {@code images} in this config's precision, as fp32 (what post-processing
     * takes): every test-time forward goes through here.
     */
    public HeadOutputs forward(DwDetector model, org.bytedeco.pytorch.Tensor images) {
        try (Autocast a = Autocast.enter(precision(model.device()).requireSupportedOn(model.device()), model.device())) {
            return model.forward(images).toFloat();
        }
    }
}
