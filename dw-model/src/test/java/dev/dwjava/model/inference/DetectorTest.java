package dev.dwjava.model.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import dev.dwjava.core.image.RgbImage;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.model.Fixtures;
import dev.dwjava.model.config.ConfigFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The public API end to end on the tiny fixture model, and the test-time resize rule. */
class DetectorTest {

    @BeforeAll
    static void init() {
        Torch.init();
    }

    @Test
    void resizeFollowsMmcvRounding() {
        TestPipeline p = TestPipeline.dwTest();
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
            TestPipeline.Input in = TestPipeline.dwTest().prepare(RgbImage.of(img));
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
    void aPreparedBatchHoldsEachImageAsPreparedAloneThenZeros() {
        try (TensorScope scope = TensorScope.open()) {
            TestPipeline p = new TestPipeline(200, 128, 2, false);
            byte[] px = new byte[100 * 70 * 3];
            new java.util.Random(2).nextBytes(px);
            RgbImage a = new RgbImage(100, 70, px), b = new RgbImage(64, 96, new byte[64 * 96 * 3]);
            TestPipeline.BatchInput batch = p.prepareBatch(List.of(a, b));
            assertArrayEquals(new long[] {2, 3, 192, 192}, batch.tensor().shape());   // 183×128 and 128×192, padded together
            assertArrayEquals(new int[] {192, 128}, p.paddedSize(100, 70));
            TestPipeline.Input alone = p.prepare(a);
            assertArrayEquals(new long[] {1, 3, 128, 192}, alone.tensor().shape());
            assertEquals(alone.meta(), batch.metas().get(0));
            assertEquals(new dev.dwjava.model.postprocess.ImageMeta(192, 128, 2.0, 2.0), batch.metas().get(1));
            assertEquals(0.0, batch.tensor().select(0, 0).narrow(1, 0, 128).sub(alone.tensor().select(0, 0)).abs().max().item_double());
            assertEquals(0.0, batch.tensor().select(0, 0).narrow(1, 128, 64).abs().max().item_double());
            assertThrows(IllegalArgumentException.class, () -> p.prepareBatch(List.of()));
        }
    }

    @Test
    void detectorLoadsAConfigAndWeightsAndReturnsNamedSortedDetections() throws Exception {
        try (Detector d = Detector.load(Fixtures.path("../configs/tiny.yaml"), Fixtures.path("tiny_dw_r50_mmdet.pth"))) {
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

    @Test
    void pipelineComesFromTheConfigsTestScale(@TempDir Path tmp) throws Exception {
        Path cfg = tmp.resolve("c.yaml");
        Files.writeString(cfg, "data:\n  test_scale: {long_edge: 320, short_edge: [256, 256]}\n");
        TestPipeline p = TestPipeline.fromConfig(ConfigFiles.load(cfg, List.of()));
        assertEquals(new TestPipeline(320, 256, 1, false), p);
        assertArrayEquals(new int[] {320, 240}, p.resizedSize(640, 480));   // long edge binds: 640·0.5
        assertEquals(new TestPipeline(320, 256, 2, true), TestPipeline.fromConfig(ConfigFiles.load(cfg,
                List.of("data.test_images_per_process=2", "data.ignore_orientation=true"))));
        // No data section (a library config): the DW test scale, one image per forward.
        Files.writeString(cfg, "test: {score_thr: 0.3}\n");
        assertEquals(TestPipeline.dwTest(), TestPipeline.fromConfig(ConfigFiles.load(cfg, List.of())));
        // A range cannot be a test scale.
        Files.writeString(cfg, "data:\n  test_scale: {long_edge: 1333, short_edge: [640, 800]}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TestPipeline.fromConfig(ConfigFiles.load(cfg, List.of())));
        assertTrue(e.getMessage().contains("data.test_scale.short_edge must be one size") && e.getMessage().contains("c.yaml"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TestPipeline.fromConfig(ConfigFiles.load(cfg,
                List.of("data.test_scale.short_edge=[800, 800]", "data.test_images_per_process=0"))));
    }

    @Test
    void detectorUsesTheConfigsTestScale() throws Exception {
        // tiny.yaml has no data section; tiny_256.yaml sets a 256 px test scale, which the Detector must follow.
        try (Detector dw = Detector.load(Fixtures.path("../configs/tiny.yaml"), Fixtures.path("tiny_dw_r50_mmdet.pth"));
             Detector small = Detector.load(Fixtures.path("../configs/tiny_256.yaml"), Fixtures.path("tiny_dw_r50_mmdet.pth"));
             TensorScope scope = TensorScope.open()) {
            assertEquals(TestPipeline.dwTest(), dw.pipeline());
            assertEquals(new TestPipeline(427, 256, 1, false), small.pipeline());
            RgbImage img = new RgbImage(96, 64, new byte[96 * 64 * 3]);
            assertArrayEquals(new long[] {1, 3, 256, 384}, small.pipeline().prepare(img).tensor().shape());   // 384×256
        }
    }
}
