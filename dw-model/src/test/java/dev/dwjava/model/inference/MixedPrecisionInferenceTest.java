package dev.dwjava.model.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Random;

import dev.dwjava.core.image.RgbImage;
import dev.dwjava.core.runtime.ComputeDevice;
import dev.dwjava.core.runtime.Precision;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.model.Fixtures;
import dev.dwjava.model.postprocess.TestConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code test.amp: bf16}: the test-time forward under autocast, post-processing in fp32. bf16 keeps 8 significant bits,
 * so sigmoid scores move by about 2^-9 of their logits' size through ~20 layers: the strongest detections of the tiny
 * fixture model must come back with the same class, scores within 0.02 and boxes within 1.5 px at this 128 px scale.
 */
class MixedPrecisionInferenceTest {
    @BeforeAll
    static void init() {
        Torch.init();
    }

    private static Detector detector(String amp) throws IOException {
        return Detector.builder().config(MixedPrecisionInferenceTest.class.getResource("/packaged/detector.yaml"))
                .overrides(amp == null ? List.of() : List.of("test.amp=" + amp))
                .weights(Fixtures.path("tiny_dw_r50_mmdet.pth")).build();
    }

    @Test
    void bf16DetectionsTrackFp32() throws IOException {
        byte[] px = new byte[96 * 64 * 3];
        new Random(5).nextBytes(px);
        RgbImage image = new RgbImage(96, 64, px);
        List<Detection> fp32, bf16;
        try (Detector d = detector(null)) {
            fp32 = d.detect(image);
        }
        try (Detector d = detector("bf16")) {
            bf16 = d.detect(image);
        }
        assertFalse(fp32.isEmpty());
        boolean anyDifferent = false;
        for (int i = 0; i < Math.min(5, fp32.size()); i++) {
            Detection e = fp32.get(i);
            // the bf16 detection of the same class nearest in box
            Detection g = bf16.stream().filter(x -> x.classId() == e.classId())
                    .min((a, b) -> Double.compare(dist(a, e), dist(b, e))).orElseThrow();
            assertEquals(e.score(), g.score(), 0.02, "score of " + e + " vs " + g);
            assertTrue(dist(e, g) <= 1.5, "box of " + e + " vs " + g);
            anyDifferent |= e.score() != g.score();
        }
        assertTrue(anyDifferent, "bf16 gave fp32's scores exactly: the autocast did not run");
    }

    private static double dist(Detection a, Detection b) {
        return Math.max(Math.max(Math.abs(a.x1() - b.x1()), Math.abs(a.y1() - b.y1())),
                Math.max(Math.abs(a.x2() - b.x2()), Math.abs(a.y2() - b.y2())));
    }

    @Test
    void theKeyIsParsedAndCheckedWhereTheConfigIsRead() {
        assertEquals(Precision.OFF, TestConfig.DEFAULT.precision(ComputeDevice.CPU));
        assertEquals(Precision.BF16, TestConfig.DEFAULT.withAmp("bf16").precision(ComputeDevice.CPU));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TestConfig.DEFAULT.withAmp("int8"));
        assertTrue(e.getMessage().startsWith("test.amp must be off, bf16, fp16 or auto, found 'int8'"), e.getMessage());
    }
}
