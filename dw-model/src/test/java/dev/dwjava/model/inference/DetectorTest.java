package dev.dwjava.model.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.List;

import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.model.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The public API end to end on the tiny fixture model, and the test-time resize rule. */
class DetectorTest {

    @BeforeAll
    static void init() {
        Torch.init();
    }

    @Test
    void resizeFollowsMmcvRounding() {
        Preprocessor p = Preprocessor.dwTest();
        assertArrayEquals(new int[] {1067, 800}, p.resizedSize(640, 480));
        assertArrayEquals(new int[] {1333, 750}, p.resizedSize(1920, 1080));   // long side binds: f = 1333/1920
        assertArrayEquals(new int[] {800, 1199}, p.resizedSize(427, 640));     // 427·1.25 = 533.75 → f = 800/427
    }

    @Test
    void preprocessingNormalisesAndPadsToMultiplesOf32() {
        try (TensorScope scope = TensorScope.open()) {
            BufferedImage img = new BufferedImage(640, 480, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            g.setColor(new Color(124, 116, 104));
            g.fillRect(0, 0, 640, 480);
            g.dispose();
            Preprocessor.Input in = Preprocessor.dwTest().apply(img);
            assertArrayEquals(new long[] {1, 3, 800, 1088}, in.tensor().shape());
            assertEquals(800, in.meta().height());
            assertEquals(1067, in.meta().width());
            assertEquals(1067.0 / 640, in.meta().scaleWidth(), 1e-6);
            double[] px = Tensors.toDoubles(in.tensor().select(3, 500).select(2, 400).select(0, 0));
            assertArrayEquals(new double[] {(124 - 123.675) / 58.395, (116 - 116.28) / 57.12, (104 - 103.53) / 57.375}, px, 1e-6);
            assertEquals(0.0, in.tensor().select(3, 1070).abs().max().item_double());   // padding
        }
    }

    @Test
    void detectorLoadsAConfigAndWeightsAndReturnsNamedSortedDetections() throws Exception {
        Detector d = Detector.load(Fixtures.path("../configs/tiny.yaml"), Fixtures.path("tiny_dw_r50_mmdet.pth"));
        assertEquals(List.of("circle", "rectangle", "triangle"), d.classNames());
        BufferedImage img = new BufferedImage(96, 64, BufferedImage.TYPE_3BYTE_BGR);
        java.util.Random r = new java.util.Random(1);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 96; x++) {
                img.setRGB(x, y, r.nextInt(1 << 24));
            }
        }
        List<Detection> dets = d.detect(img);
        assertTrue(dets.size() <= 100);
        for (int i = 0; i < dets.size(); i++) {
            Detection det = dets.get(i);
            assertTrue(det.score() > 0.3f, "score threshold of tiny.yaml");
            assertEquals(List.of("circle", "rectangle", "triangle").get(det.classId()), det.className());
            assertTrue(det.x1() >= 0 && det.x2() <= 96.01 && det.y1() >= 0 && det.y2() <= 64.01, det.toString());
            if (i > 0) {
                assertTrue(dets.get(i - 1).score() >= det.score());
            }
        }
    }
}
