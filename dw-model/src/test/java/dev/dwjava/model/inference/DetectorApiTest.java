package dev.dwjava.model.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import javax.imageio.ImageIO;

import dev.dwjava.core.image.RgbImage;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.model.Fixtures;
import dev.dwjava.model.weights.WeightLoader;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Detector's lifecycle, builder, input kinds, batching and threading, on the tiny fixture model at the small test
 * scale of the packaged config (src/test/resources/packaged: detector.yaml → base/tiny_small.yaml →
 * configs/tiny_base.yaml).
 */
class DetectorApiTest {
    private static final String PACKAGED = "/packaged/detector.yaml";

    @BeforeAll
    static void init() {
        Torch.init();
    }

    private static Detector packaged() throws IOException {
        return Detector.builder().config(DetectorApiTest.class.getResource(PACKAGED))
                .weights(Fixtures.path("tiny_dw_r50_mmdet.pth")).build();
    }

    private static RgbImage noise(int w, int h, long seed) {
        byte[] px = new byte[w * h * 3];
        new Random(seed).nextBytes(px);
        return new RgbImage(w, h, px);
    }

    /** Equal up to float rounding: same count and classes, boxes and scores within {@code tol}. */
    private static void assertSameDetections(List<Detection> expected, List<Detection> got, double tol, String what) {
        assertEquals(expected.size(), got.size(), what + ": count");
        for (int i = 0; i < expected.size(); i++) {
            Detection e = expected.get(i), g = got.get(i);
            String at = what + " #" + i + ": " + e + " vs " + g;
            assertEquals(e.classId(), g.classId(), at);
            assertEquals(e.className(), g.className(), at);
            assertEquals(e.score(), g.score(), tol, at);
            assertArrayEquals(new float[] {e.x1(), e.y1(), e.x2(), e.y2()}, new float[] {g.x1(), g.y1(), g.x2(), g.y2()},
                    (float) tol, at);
        }
    }

    @Test
    void classpathConfigWithTwoLevelsOfBasesBuilds() throws Exception {
        try (Detector d = packaged()) {
            // data.test_scale from base/tiny_small.yaml, the model and classes from configs/tiny_base.yaml (via ../..),
            // test.score_thr from detector.yaml over tiny_base's 0.05.
            assertEquals(new TestPipeline(200, 128, 1, false), d.pipeline());
            assertEquals(List.of("circle", "rectangle", "triangle"), d.classNames());
            assertEquals(0.2f, d.scoreThreshold());
            assertEquals(50, d.model().config().depth());
            List<Detection> dets = d.detect(noise(96, 64, 1));
            assertFalse(dets.isEmpty());
            assertTrue(dets.stream().allMatch(x -> x.score() > 0.2f), dets.toString());
        }
    }

    @Test
    void configAndWeightsFromAJarOnTheClasspath(@TempDir Path tmp) throws Exception {
        // The packaged-service case: config, its bases and the weights inside a jar, read through jar: URLs.
        Path jar = tmp.resolve("service.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (String name : List.of("packaged/detector.yaml", "packaged/base/tiny_small.yaml", "configs/tiny_base.yaml")) {
                out.putNextEntry(new JarEntry(name));
                try (InputStream in = DetectorApiTest.class.getResourceAsStream("/" + name)) {
                    in.transferTo(out);
                }
            }
            out.putNextEntry(new JarEntry("weights/tiny.pth"));
            Files.copy(Fixtures.path("tiny_dw_r50_mmdet.pth"), out);
        }
        RgbImage img = noise(96, 64, 2);
        List<Detection> expected;
        try (Detector d = packaged()) {
            expected = d.detect(img);
        }
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            URL config = loader.getResource("packaged/detector.yaml");
            assertEquals("jar", config.getProtocol());
            try (Detector d = Detector.builder().config(config).weights(loader.getResource("weights/tiny.pth")).build()) {
                assertEquals(new TestPipeline(200, 128, 1, false), d.pipeline());
                assertEquals(expected, d.detect(img));
            }
            // A base that is not in the jar: the error names the URL it looked for.
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Detector.builder()
                    .config("base: nowhere.yaml\n", config).weights(tmp).build());
            assertTrue(e.getMessage().startsWith("config not found: jar:") && e.getMessage().endsWith("!/packaged/nowhere.yaml"),
                    e.getMessage());
        }
    }

    @Test
    void configTextAndStreamsNeedALocationForTheirBases() throws Exception {
        Path weights = Fixtures.path("tiny_dw_r50_mmdet.pth");
        String text = "base: base/tiny_small.yaml\ntest:\n  score_thr: 0.25\n";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Detector.builder().config(text).weights(weights).build());
        assertEquals("config text: 'base: base/tiny_small.yaml' cannot be resolved without a location; load the config"
                + " from a file or URL, or give the URL its bases are relative to", e.getMessage());
        URL folder = DetectorApiTest.class.getResource("/packaged/");
        try (Detector d = Detector.builder().config(text, folder).weights(weights).build()) {
            assertEquals(new TestPipeline(200, 128, 1, false), d.pipeline());
            assertEquals(0.25f, d.scoreThreshold());
        }
        // A self-contained config from a stream, weights from a stream; the builder's threshold and overrides win.
        byte[] self = Files.readAllBytes(Fixtures.path("../configs/tiny_base.yaml"));
        try (InputStream w = Files.newInputStream(weights);
             Detector d = Detector.builder().config(new ByteArrayInputStream(self)).weights(w)
                     .overrides(List.of("data.test_scale={long_edge: 160, short_edge: [96, 96]}")).scoreThreshold(0.4f)
                     .device("cpu").build()) {
            assertEquals(new TestPipeline(160, 96, 1, false), d.pipeline());
            assertEquals(0.4f, d.scoreThreshold());
            assertTrue(d.detect(noise(64, 48, 3)).stream().allMatch(x -> x.score() > 0.4f));
        }
        // Builder misuse is one clear line each.
        assertThrows(IllegalStateException.class, () -> Detector.builder().weights(weights).build());
        assertThrows(IllegalStateException.class, () -> Detector.builder().config(new String(self, StandardCharsets.UTF_8)).build());
        e = assertThrows(IllegalArgumentException.class, () -> Detector.builder().config((URL) null));
        assertTrue(e.getMessage().contains("classpath resource that was not found"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Detector.builder().scoreThreshold(1.5f));
        assertThrows(IllegalArgumentException.class, () -> Detector.builder().device("gpu"));
        // Weights from a stream that is not a checkpoint: the error names the stream, not a temporary file.
        IOException io = assertThrows(IOException.class, () -> Detector.builder().config(new ByteArrayInputStream(self))
                .weights(new ByteArrayInputStream("not weights".getBytes(StandardCharsets.UTF_8))).build());
        assertTrue(io.getMessage().startsWith("weights stream "), io.getMessage());
    }

    @Test
    void closeFreesTheWeightsAndLaterCallsFailClearly() throws Exception {
        Detector d = packaged();
        Tensor weight;
        long bytes = 0;
        try (TensorScope scope = TensorScope.open()) {
            Map<String, Tensor> state = WeightLoader.stateOf(d.model());
            for (Tensor t : state.values()) {
                bytes += t.nbytes();
            }
            weight = state.get("backbone.conv1.weight");
            weight.retainReference();   // a handle that outlives close(), as a caller's might
        }
        assertTrue(bytes > 100_000, "state bytes " + bytes);
        assertEquals(4 * 3 * 7 * 7, weight.numel());   // base width 4, RGB, 7×7
        d.close();
        assertTrue(d.isClosed());
        // Every parameter and buffer, and the handle taken before, now has no storage bytes.
        assertEquals(0, weight.numel());
        assertEquals(0, weight.nbytes());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> d.detect(noise(32, 32, 0)));
        assertEquals("Detector is closed", e.getMessage());
        assertThrows(IllegalStateException.class, () -> d.detectBatch(List.of(noise(32, 32, 0)), 0.5f));
        assertThrows(IllegalStateException.class, () -> d.detect(Path.of("missing.png")));
        assertThrows(IllegalStateException.class, () -> d.detect(new byte[] {1, 2, 3}));
        assertThrows(IllegalStateException.class, d::model);
        d.close();   // idempotent
        assertEquals(List.of("circle", "rectangle", "triangle"), d.classNames());
        weight.releaseReference();
    }

    @Test
    void aDetectorOverTheCallersModelLeavesItOpen() throws Exception {
        try (Detector owner = packaged()) {
            Detector view = new Detector(owner.model(), dev.dwjava.model.postprocess.TestConfig.DEFAULT, owner.pipeline(),
                    owner.classNames());
            view.close();
            assertThrows(IllegalStateException.class, () -> view.detect(noise(32, 32, 0)));
            assertFalse(owner.model().isClosed());
            assertFalse(owner.detect(noise(32, 32, 0)).isEmpty());
        }
    }

    @Test
    void encodedBytesFilesAndBufferedImagesGiveTheSameDetections(@TempDir Path tmp) throws Exception {
        BufferedImage img = new BufferedImage(90, 70, BufferedImage.TYPE_3BYTE_BGR);
        Random r = new Random(4);
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                img.setRGB(x, y, r.nextInt(1 << 24));
            }
        }
        Path png = tmp.resolve("noise.png");
        ImageIO.write(img, "png", png.toFile());
        try (Detector d = packaged()) {
            List<Detection> fromFile = d.detect(png);
            assertFalse(fromFile.isEmpty());
            assertEquals(fromFile, d.detect(Files.readAllBytes(png)));
            assertEquals(fromFile, d.detect(img));
            assertEquals(fromFile, d.detectFiles(List.of(png)).get(0));
            assertEquals(d.detect(png, 0.6f), d.detect(Files.readAllBytes(png), 0.6f));
            IOException e = assertThrows(IOException.class, () -> d.detect("not an image".getBytes(StandardCharsets.UTF_8)));
            assertTrue(e.getMessage().startsWith("image bytes (12 bytes) is not an image we can read"), e.getMessage());
        }
    }

    @Test
    void aBatchGivesWhatSingleCallsGive() throws Exception {
        try (Detector d = packaged()) {
            TestPipeline p = d.pipeline();
            // 96×64 and 100×70 resize to 192×128 and 183×128 but pad alike (one forward of two); 64×96 pads to 128×192.
            List<RgbImage> images = List.of(noise(96, 64, 5), noise(64, 96, 6), noise(100, 70, 7));
            assertArrayEquals(new int[] {192, 128}, p.resizedSize(96, 64));
            assertArrayEquals(new int[] {183, 128}, p.resizedSize(100, 70));
            assertArrayEquals(p.paddedSize(96, 64), p.paddedSize(100, 70));
            assertArrayEquals(new int[] {128, 192}, p.paddedSize(64, 96));
            List<List<Detection>> batch = d.detectBatch(images);
            assertEquals(3, batch.size());
            for (int i = 0; i < images.size(); i++) {
                List<Detection> single = d.detect(images.get(i));
                assertFalse(single.isEmpty());
                assertSameDetections(single, batch.get(i), 1e-4, "image " + i);
            }
            // A per-call threshold applies to the whole batch, as score_thr: it keeps exactly the detections above it.
            // (midway between two neighbouring scores, so that float rounding between the paths cannot cross it)
            float[] scores = new float[batch.get(0).size()];
            for (int i = 0; i < scores.length; i++) {
                scores[i] = batch.get(0).get(i).score();
            }
            java.util.Arrays.sort(scores);
            int mid = scores.length / 2;
            while (mid + 1 < scores.length && scores[mid + 1] - scores[mid] < 1e-3) {
                mid++;
            }
            assertTrue(mid + 1 < scores.length, "two scores 1e-3 apart");
            float thr = (scores[mid] + scores[mid + 1]) / 2;
            List<List<Detection>> strict = d.detectBatch(images, thr);
            assertSameDetections(d.detect(images.get(0), thr), strict.get(0), 1e-4, "image 0 at " + thr);
            for (int i = 0; i < images.size(); i++) {
                List<Detection> above = batch.get(i).stream().filter(x -> x.score() > thr).toList();
                assertSameDetections(above, strict.get(i), 1e-4, "image " + i + " filtered at " + thr);
            }
            assertNotEquals(batch.get(0).size(), strict.get(0).size());
            assertEquals(List.of(), d.detectBatch(List.of()));
            assertThrows(IllegalArgumentException.class, () -> d.detect(images.get(0), Float.NaN));
            assertThrows(IllegalArgumentException.class, () -> d.detectBatch(images, 1f));
        }
    }

    @Test
    void concurrentCallersGetTheirSequentialResults() throws Exception {
        try (Detector d = packaged()) {
            List<RgbImage> images = List.of(noise(96, 64, 8), noise(64, 96, 9), noise(80, 80, 10));
            List<List<Detection>> sequential = new ArrayList<>();
            for (RgbImage img : images) {
                sequential.add(d.detect(img));
            }
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<List<List<Detection>>>> futures = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int offset = t;
                    futures.add(pool.submit(() -> {
                        List<List<Detection>> got = new ArrayList<>();
                        for (int k = 0; k < 3; k++) {
                            int i = (offset + k) % images.size();
                            got.add(k == 1 ? d.detectBatch(List.of(images.get(i))).get(0) : d.detect(images.get(i)));
                        }
                        return got;
                    }));
                }
                for (int t = 0; t < 4; t++) {
                    List<List<Detection>> got = futures.get(t).get();
                    for (int k = 0; k < 3; k++) {
                        int i = (t + k) % images.size();
                        assertSameDetections(sequential.get(i), got.get(k), 1e-6, "thread " + t + " call " + k);
                    }
                }
            } finally {
                pool.shutdown();
            }
        }
    }
}
