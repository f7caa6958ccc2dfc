package dev.dwjava.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;

import javax.imageio.ImageIO;

import dev.dwjava.data.coco.CocoDataset;
import dev.dwjava.data.coco.CocoJson;
import dev.dwjava.model.Fixtures;
import dev.dwjava.model.inference.Detection;
import dev.dwjava.model.inference.Detector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library and the evaluator share one test pipeline: {@code Detector.detect} on an image file gives exactly the
 * detections {@code dw test} writes for that image, at the config's test scale; and the config's class names must be
 * the dataset's categories.
 */
class OneTestPipelineTest {
    /** Images of different sizes and aspect ratios, so that padding and resizing differ from image to image. */
    private static final int[][] SIZES = {{70, 50}, {50, 90}, {64, 64}, {100, 40}, {33, 77}};

    private static Path writeDataset(Path dir, List<String> categories) throws Exception {
        Files.createDirectories(dir.resolve("val"));
        Random r = new Random(7);
        StringBuilder images = new StringBuilder(), anns = new StringBuilder(), cats = new StringBuilder();
        for (int i = 0; i < SIZES.length; i++) {
            int w = SIZES[i][0], h = SIZES[i][1];
            BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    img.setRGB(x, y, r.nextInt(1 << 24));
                }
            }
            ImageIO.write(img, "png", dir.resolve("val/" + i + ".png").toFile());
            images.append(i == 0 ? "" : ",").append(String.format("{\"id\": %d, \"width\": %d, \"height\": %d, \"file_name\": \"%d.png\"}",
                    i + 1, w, h, i));
            anns.append(i == 0 ? "" : ",").append(String.format("{\"id\": %d, \"image_id\": %d, \"category_id\": %d, "
                    + "\"bbox\": [2, 3, 20, 15], \"area\": 300, \"iscrowd\": 0}", i + 1, i + 1, 1 + i % categories.size()));
        }
        for (int k = 0; k < categories.size(); k++) {
            cats.append(k == 0 ? "" : ",").append(String.format("{\"id\": %d, \"name\": \"%s\"}", k + 1, categories.get(k)));
        }
        Path ann = dir.resolve("instances_val.json");
        Files.writeString(ann, "{\"images\": [" + images + "], \"annotations\": [" + anns + "], \"categories\": [" + cats + "]}");
        return ann;
    }

    /** A config on the tiny fixture model with a 96 px test scale and no score threshold (every candidate counts). */
    private static Path writeConfig(Path tmp, Path ann) throws Exception {
        Path base = Path.of(OneTestPipelineTest.class.getClassLoader().getResource("configs/tiny_full.yaml").toURI());
        Path cfg = tmp.resolve("tiny_96.yaml");
        Files.writeString(cfg, "base: " + base + "\n"
                + "test: {score_thr: 0.0}\n"
                + "data:\n"
                + "  val: {annotations: " + ann + ", images: " + ann.resolveSibling("val") + "}\n"
                + "  test_scale: {long_edge: 128, short_edge: [96, 96]}\n"
                + "  workers: 2\n");
        return cfg;
    }

    @Test
    void detectorGivesExactlyWhatDwTestWrites(@TempDir Path tmp) throws Exception {
        Path ann = writeDataset(tmp.resolve("data"), List.of("circle", "rectangle", "triangle"));
        Path cfg = writeConfig(tmp, ann);
        Path weights = Fixtures.path("tiny_dw_r50_mmdet.pth");
        Path results = tmp.resolve("out/results.bbox.json");
        assertEquals(0, DwCli.execute(new String[] {"test", "--config", cfg.toString(), "--weights", weights.toString(),
            "--out", results.toString()}));
        Map<Long, List<CocoJson.Result>> written = CocoJson.readResults(results).stream()
                .collect(Collectors.groupingBy(CocoJson.Result::imageId));

        try (Detector detector = Detector.load(cfg, weights)) {
            assertEquals(96, detector.pipeline().shortEdge());
            CocoDataset val = CocoDataset.load(ann, ann.resolveSibling("val"), false);
            int compared = 0;
            for (CocoDataset.Entry e : val.entries()) {
                List<Detection> dets = detector.detect(e.file());
                List<CocoJson.Result> expected = written.getOrDefault(e.image().id(), List.of());
                assertEquals(expected.size(), dets.size(), "detections of " + e.file());
                assertTrue(dets.size() > 10, "a test without a score threshold keeps many candidates");
                for (int i = 0; i < dets.size(); i++) {
                    Detection d = dets.get(i);
                    CocoJson.Result x = expected.get(i);
                    String at = e.file() + " #" + i;
                    assertEquals(val.categoryIds()[d.classId()], x.categoryId(), at);
                    // The results file holds float32 values in their shortest round-trip text: equal to the bit.
                    assertEquals(d.score(), (float) x.score(), at);
                    assertEquals(d.x1(), (float) x.x(), at);
                    assertEquals(d.y1(), (float) x.y(), at);
                    assertEquals(d.x2() - d.x1(), (float) x.w(), at);
                    assertEquals(d.y2() - d.y1(), (float) x.h(), at);
                    compared++;
                }
            }
            assertTrue(compared > 50, "compared " + compared);
        }
    }

    @Test
    void classNamesMustBeTheDatasetsCategoriesInIdOrder(@TempDir Path tmp) throws Exception {
        Path ann = writeDataset(tmp.resolve("data"), List.of("circle", "triangle", "rectangle"));
        Path cfg = writeConfig(tmp, ann);
        CocoDataset val = CocoDataset.load(ann, ann.resolveSibling("val"), false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> val.checkClasses(List.of("circle", "rectangle", "triangle"), "c.yaml: classes"));
        assertTrue(e.getMessage().contains("first differ at label 1: 'rectangle' in the config vs 'triangle' (category id 2)"),
                e.getMessage());
        IllegalArgumentException fewer = assertThrows(IllegalArgumentException.class,
                () -> val.checkClasses(List.of("circle", "triangle", "rectangle", "ring"), "c.yaml: classes"));
        assertTrue(fewer.getMessage().contains("lists 4 classes but") && fewer.getMessage().contains("has 3 categories")
                && fewer.getMessage().contains("'ring' in the config vs (none)"), fewer.getMessage());
        val.checkClasses(List.of("circle", "triangle", "rectangle"), "c.yaml: classes");

        // dw test refuses before any inference: one line, exit 2.
        List<String> args = new ArrayList<>(List.of("test", "--config", cfg.toString(), "--weights",
                Fixtures.path("tiny_dw_r50_mmdet.pth").toString(), "--out", tmp.resolve("r.json").toString()));
        assertEquals(2, DwCli.execute(args.toArray(new String[0])));
        assertTrue(Files.notExists(tmp.resolve("r.json")));
    }

    @Test
    void exifOrientationIsAppliedAlikeAndCanBeIgnored(@TempDir Path tmp) throws Exception {
        // An EXIF orientation 6 JPEG stored 17×11 (OpenCV fixture of dw-core): decoded upright it is 11×17.
        Path dir = Files.createDirectories(tmp.resolve("data/val"));
        try (var in = getClass().getClassLoader().getResourceAsStream("images/opencv/exif6.jpg")) {
            Files.copy(in, dir.resolve("0.jpg"));
        }
        Path ann = tmp.resolve("data/instances_val.json");
        Files.writeString(ann, "{\"images\": [{\"id\": 1, \"width\": 11, \"height\": 17, \"file_name\": \"0.jpg\"}],"
                + " \"annotations\": [{\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 1, 5, 5], \"area\": 25,"
                + " \"iscrowd\": 0}], \"categories\": [{\"id\": 1, \"name\": \"circle\"}, {\"id\": 2, \"name\": \"rectangle\"},"
                + " {\"id\": 3, \"name\": \"triangle\"}]}");
        Path cfg = writeConfig(tmp, ann);
        Path weights = Fixtures.path("tiny_dw_r50_mmdet.pth");
        Path results = tmp.resolve("out/results.bbox.json");
        assertEquals(0, DwCli.execute(new String[] {"test", "--config", cfg.toString(), "--weights", weights.toString(),
            "--out", results.toString()}));
        List<CocoJson.Result> written = CocoJson.readResults(results);
        List<Detection> dets;
        try (Detector detector = Detector.load(cfg, weights)) {
            dets = detector.detect(dir.resolve("0.jpg"));
        }
        assertEquals(written.size(), dets.size());
        for (int i = 0; i < dets.size(); i++) {
            assertEquals(dets.get(i).score(), (float) written.get(i).score());
            assertEquals(dets.get(i).x2() - dets.get(i).x1(), (float) written.get(i).w());
            assertTrue(dets.get(i).x2() <= 11.0001f && dets.get(i).y2() <= 17.0001f, "boxes lie in the upright image");
        }
        // Ignoring the orientation, the stored 17×11 pixels no longer fit the annotation's 11×17: said, not guessed.
        assertEquals(2, DwCli.execute(new String[] {"test", "--config", cfg.toString(), "--weights", weights.toString(),
            "--out", results.toString(), "--cfg-options", "data.ignore_orientation=true"}));
        Files.writeString(cfg, Files.readString(cfg) + "  ignore_orientation: true\n");
        List<Detection> stored;
        try (Detector detector = Detector.load(cfg, weights)) {
            stored = detector.detect(dir.resolve("0.jpg"));
        }
        assertTrue(stored.stream().anyMatch(d -> d.x2() > 11.0001f), "the stored (landscape) image was used");
    }
}
