package dev.dwjava.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import javax.imageio.ImageIO;

import dev.dwjava.core.image.RgbImage;
import dev.dwjava.data.coco.CocoJson;
import dev.dwjava.model.Fixtures;
import dev.dwjava.model.inference.Detection;
import dev.dwjava.model.inference.Detector;
import dev.dwjava.model.inference.TestTimeAugmentation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --tta}: flips and scales merged by one NMS, checked by mirror symmetry and flip equivariance. */
class TestTimeAugmentationTest {
    private static Path config(Path tmp, String extra) throws Exception {
        Path base = Path.of(TestTimeAugmentationTest.class.getClassLoader().getResource("configs/tiny_full.yaml").toURI());
        Path cfg = tmp.resolve("tta.yaml");
        Files.writeString(cfg, "base: " + base + "\n" + extra + "data:\n  test_scale: {long_edge: 128, short_edge: [96, 96]}\n");
        return cfg;
    }

    /** Random pixels; with {@code symmetric} the right half mirrors the left. */
    private static RgbImage image(int w, int h, boolean symmetric, long seed) {
        Random r = new Random(seed);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, symmetric && x >= (w + 1) / 2 ? img.getRGB(w - 1 - x, y) : r.nextInt(1 << 24));
            }
        }
        return RgbImage.of(img);
    }

    private static Detection mirror(Detection d, int w) {
        return new Detection(w - d.x2(), d.y1(), w - d.x1(), d.y2(), d.score(), d.classId(), d.className());
    }

    private static final Comparator<Detection> ORDER = Comparator.comparingDouble((Detection d) -> -d.score())
            .thenComparingInt(Detection::classId).thenComparingDouble(Detection::x1).thenComparingDouble(Detection::y1);

    private static void assertSameDetections(List<Detection> expected, List<Detection> actual, double tol) {
        assertEquals(expected.size(), actual.size());
        List<Detection> a = new ArrayList<>(expected), b = new ArrayList<>(actual);
        a.sort(ORDER);
        b.sort(ORDER);
        for (int i = 0; i < a.size(); i++) {
            Detection p = a.get(i), q = b.get(i);
            String at = "#" + i + " " + p + " vs " + q;
            assertEquals(p.score(), q.score(), at);
            assertEquals(p.classId(), q.classId(), at);
            assertEquals(p.x1(), q.x1(), tol, at);
            assertEquals(p.y1(), q.y1(), tol, at);
            assertEquals(p.x2(), q.x2(), tol, at);
            assertEquals(p.y2(), q.y2(), tol, at);
        }
    }

    private static float iou(Detection a, Detection b) {
        float w = Math.max(0, Math.min(a.x2(), b.x2()) - Math.max(a.x1(), b.x1()));
        float h = Math.max(0, Math.min(a.y2(), b.y2()) - Math.max(a.y1(), b.y1()));
        float inter = w * h;
        return inter / ((a.x2() - a.x1()) * (a.y2() - a.y1()) + (b.x2() - b.x1()) * (b.y2() - b.y1()) - inter);
    }

    @Test
    void detectionsOfASymmetricImageAreMirrorSymmetric(@TempDir Path tmp) throws Exception {
        RgbImage img = image(60, 44, true, 1);
        org.junit.jupiter.api.Assertions.assertArrayEquals(img.pixels(), TestTimeAugmentation.flip(img).pixels(),
                "the image is its own mirror");
        // No suppression (IoU threshold 1) and no cut: TTA keeps every candidate of both forwards.
        Path all = config(tmp, "test: {score_thr: 0.0, iou_threshold: 1.0, max_per_image: 100000}\n");
        try (Detector d = Detector.load(all, Fixtures.path("tiny_dw_r50_mmdet.pth"))) {
            List<Detection> plain = d.detect(img), tta = d.detectAugmented(img, d.testTimeAugmentation());
            assertTrue(plain.size() > 100, "candidates: " + plain.size());
            assertEquals(2 * plain.size(), tta.size(), "the forward and its flip, each with every candidate");
            assertSameDetections(tta, tta.stream().map(x -> mirror(x, 60)).toList(), 1e-4);
            // The unflipped forward's candidates are the plain detections, exactly.
            List<Detection> rest = new ArrayList<>(tta);
            for (Detection p : plain) {
                assertTrue(rest.remove(p), "plain detection " + p + " among the TTA ones");
            }
        }
        // With the test config's NMS (0.6): a kept box's mirror is kept too, unless the two overlap beyond 0.6.
        Files.delete(all);
        Path nms = config(tmp, "test: {score_thr: 0.0}\n");
        try (Detector d = Detector.load(nms, Fixtures.path("tiny_dw_r50_mmdet.pth"))) {
            List<Detection> tta = d.detectAugmented(img, d.testTimeAugmentation());
            assertEquals(100, tta.size(), "max_per_image");
            int paired = 0;
            for (Detection x : tta.subList(0, 50)) {
                Detection m = mirror(x, 60);
                boolean found = tta.stream().anyMatch(y -> y.classId() == x.classId() && y.score() == x.score()
                        && Math.abs(y.x1() - m.x1()) < 1e-4 && Math.abs(y.x2() - m.x2()) < 1e-4 && y.y1() == m.y1());
                assertTrue(found || iou(x, m) > 0.6, x + ": no mirror and IoU with it " + iou(x, m));
                paired += found && iou(x, m) < 0.999 ? 1 : 0;
            }
            assertTrue(paired > 5, "distinct mirror pairs among the best 50: " + paired);
        }
    }

    @Test
    void ttaOfTheFlippedImageIsTheMirrorOfTta(@TempDir Path tmp) throws Exception {
        // Any image: TTA of flip(x) runs the same two forwards per scale as TTA of x, so its detections are the mirror.
        Path cfg = config(tmp, "test: {score_thr: 0.05, tta_scales: [64, 96]}\n");
        RgbImage img = image(70, 50, false, 2);
        try (Detector d = Detector.load(cfg, Fixtures.path("tiny_dw_r50_mmdet.pth"))) {
            TestTimeAugmentation tta = d.testTimeAugmentation();
            assertEquals(List.of(64, 96), tta.pipelines().stream().map(p -> p.shortEdge()).toList());
            List<Detection> a = d.detectAugmented(img, tta), b = d.detectAugmented(TestTimeAugmentation.flip(img), tta);
            assertTrue(a.size() > 10, "detections: " + a.size());
            assertSameDetections(a.stream().map(x -> mirror(x, 70)).toList(), b, 1e-3);
        }
    }

    @Test
    void dwTestAndDwDetectGiveTheLibrarysTta(@TempDir Path tmp) throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data/img"));
        ImageIO.write(image(70, 50, false, 3).toBufferedImage(), "png", data.resolve("0.png").toFile());
        ImageIO.write(image(40, 64, false, 4).toBufferedImage(), "png", data.resolve("1.png").toFile());
        Path ann = tmp.resolve("data/ann.json");
        Files.writeString(ann, "{\"images\": [{\"id\": 5, \"width\": 70, \"height\": 50, \"file_name\": \"0.png\"},"
                + " {\"id\": 6, \"width\": 40, \"height\": 64, \"file_name\": \"1.png\"}], \"annotations\": [{\"id\": 1,"
                + " \"image_id\": 5, \"category_id\": 1, \"bbox\": [5, 5, 30, 20], \"area\": 600, \"iscrowd\": 0}],"
                + " \"categories\": [{\"id\": 1, \"name\": \"circle\"}, {\"id\": 2, \"name\": \"rectangle\"},"
                + " {\"id\": 3, \"name\": \"triangle\"}]}");
        Path cfg = config(tmp, "test: {score_thr: 0.05, tta_scales: [64, 96]}\n");
        Files.writeString(cfg, Files.readString(cfg) + "  val: {annotations: " + ann + ", images: " + data + "}\n  workers: 1\n");
        String w = Fixtures.path("tiny_dw_r50_mmdet.pth").toString();
        Path results = tmp.resolve("out/tta.bbox.json"), detected = tmp.resolve("out/detect.json");
        assertEquals(0, DwCli.execute("test", "--config", cfg.toString(), "--weights", w, "--tta", "--eval", "--out", results.toString()));
        assertEquals(0, DwCli.execute("detect", "--config", cfg.toString(), "--weights", w, "--tta", "--image", data.toString(),
                "--json", detected.toString(), "--ann", ann.toString()));
        List<CocoJson.Result> fromTest = CocoJson.readResults(results), fromDetect = CocoJson.readResults(detected);
        assertEquals(fromTest, fromDetect);
        try (Detector d = Detector.load(cfg, Path.of(w))) {
            List<Detection> lib = d.detectAugmented(dev.dwjava.core.image.ImageDecoder.decode(data.resolve("0.png"), false),
                    d.testTimeAugmentation());
            List<CocoJson.Result> first = fromTest.stream().filter(r -> r.imageId() == 5).toList();
            assertEquals(lib.size(), first.size());
            assertTrue(lib.size() > 5);
            for (int i = 0; i < lib.size(); i++) {
                assertEquals(lib.get(i).score(), (float) first.get(i).score());
                assertEquals(lib.get(i).x1(), (float) first.get(i).x());
            }
        }
    }
}
