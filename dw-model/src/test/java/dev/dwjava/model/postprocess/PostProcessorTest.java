package dev.dwjava.model.postprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import dev.dwjava.core.box.CpuNms;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.model.head.HeadOutputs;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Post-processing rules on hand-made one-level inputs. */
class PostProcessorTest {

    @BeforeAll
    static void init() {
        Torch.init();
    }

    /** One 2×2 level at stride 8 with C = 2; logits chosen so that σ(cls)·σ(obj) is known. */
    private static PostProcessor.Result run(double[] clsLogits, double[] dist, TestConfig cfg, ImageMeta meta) {
        Tensor cls = Tensors.of(clsLogits, ScalarType.Float, 2, 2, 2);
        Tensor d = Tensors.of(dist, ScalarType.Float, 4, 2, 2);
        Tensor obj = Tensors.of(new double[] {20, 20, 20, 20}, ScalarType.Float, 1, 2, 2);   // σ ≈ 1
        HeadOutputs heads = HeadOutputs.of(List.of(cls.unsqueeze(0)), List.of(d.unsqueeze(0)), List.of(obj.unsqueeze(0)), new int[] {8});
        return new PostProcessor(cfg, new CpuNms()).process(heads, 0, meta);
    }

    @Test
    void thresholdDecodeClipRescaleAndClassAwareNms() {
        // Class 0 scores per point (row-major): 0.9, 0.8, 0.04 (below 0.05), 0.7; class 1 only at point 0: 0.6.
        double[] cls = {logit(0.9), logit(0.8), logit(0.04), logit(0.7), logit(0.6), -20, -20, -20};
        // Every point predicts distances 6 on all sides: boxes of 12×12 around (4,4), (12,4), (4,12), (12,12).
        double[] dist = new double[16];
        java.util.Arrays.fill(dist, 6);
        PostProcessor.Result r = run(cls, dist, TestConfig.DEFAULT, new ImageMeta(14, 16, 0.5, 0.5));
        // Pairs above 0.05: (p0,c0) (p1,c0) (p3,c0) (p0,c1). Boxes clipped to 16×14 then ×2 back to the original.
        assertArrayEquals(new long[] {4}, r.trace().aboveThresholdPerLevel());
        // IoU of box p0 (0,0,10,10) and p1 (6,0,18,10) in the input frame: inter 4·10=40, union 100+120−40 → 0.5 ≤ 0.6.
        assertArrayEquals(new long[] {0, 0, 0, 1}, Tensors.toLongs(r.detections().labels()));
        assertArrayEquals(new double[] {0.9, 0.8, 0.7, 0.6}, Tensors.toDoubles(r.detections().scores()), 1e-6);
        assertArrayEquals(new double[] {0, 0, 20, 20, 12, 0, 32, 20, 12, 12, 32, 28, 0, 0, 20, 20},
                Tensors.toDoubles(r.detections().boxes()), 1e-5);
    }

    @Test
    void nmsPreKeepsTheBestPairsPerLevelAndMaxPerImageCuts() {
        double[] cls = {logit(0.9), logit(0.8), logit(0.3), logit(0.7), logit(0.6), logit(0.5), logit(0.4), logit(0.2)};
        double[] dist = new double[16];
        java.util.Arrays.fill(dist, 1);   // small boxes: no suppression
        PostProcessor.Result r = run(cls, dist, new TestConfig(3, 0.05, 0.6, 2), new ImageMeta(16, 16, 1, 1));
        assertArrayEquals(new long[] {8}, r.trace().aboveThresholdPerLevel());
        assertArrayEquals(new long[] {3}, r.trace().keptPerLevel());
        assertEquals(3, r.trace().afterNms());
        assertArrayEquals(new double[] {0.9, 0.8}, Tensors.toDoubles(r.detections().scores()), 1e-6);
    }

    @Test
    void nothingAboveThresholdGivesNoDetections() {
        try (TensorScope scope = TensorScope.open()) {
            double[] cls = new double[8];
            java.util.Arrays.fill(cls, -10);
            PostProcessor.Result r = run(cls, new double[16], TestConfig.DEFAULT, new ImageMeta(16, 16, 1, 1));
            assertEquals(0, r.detections().size());
            assertArrayEquals(new long[] {0, 4}, r.detections().boxes().shape());
        }
    }

    @Test
    void configIsValidated() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TestConfig(1000, 0.05, 1.5, 100));
        assertEquals("iouThreshold must be in (0, 1], found 1.5", e.getMessage());
    }

    private static double logit(double p) {
        return Math.log(p / (1 - p));
    }
}
