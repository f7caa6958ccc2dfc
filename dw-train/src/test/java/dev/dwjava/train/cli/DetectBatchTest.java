package dev.dwjava.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;

import javax.imageio.ImageIO;

import dev.dwjava.data.coco.CocoJson;
import dev.dwjava.model.Fixtures;
import dev.dwjava.model.inference.Detection;
import dev.dwjava.model.inference.Detector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dw detect} on a folder and a glob: one picture per image, COCO results with the documented ids, errors. */
class DetectBatchTest extends CliTestBase {
    /** b.png 70×50, c.png 64×64, sub/a.png 50×90: sorted names are b.png, c.png, sub/a.png. */
    static Path writeImages(Path dir) throws Exception {
        Files.createDirectories(dir.resolve("sub"));
        Random r = new Random(3);
        String[] names = {"b.png", "c.png", "sub/a.png"};
        int[][] sizes = {{70, 50}, {64, 64}, {50, 90}};
        for (int i = 0; i < names.length; i++) {
            BufferedImage img = new BufferedImage(sizes[i][0], sizes[i][1], BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < img.getHeight(); y++) {
                for (int x = 0; x < img.getWidth(); x++) {
                    img.setRGB(x, y, r.nextInt(1 << 24));
                }
            }
            ImageIO.write(img, "png", dir.resolve(names[i]).toFile());
        }
        Files.writeString(dir.resolve("notes.txt"), "not an image");
        return dir;
    }

    static Path config(Path tmp) throws Exception {
        Path base = Path.of(DetectBatchTest.class.getClassLoader().getResource("configs/tiny_full.yaml").toURI());
        Path cfg = tmp.resolve("tiny_96.yaml");
        Files.writeString(cfg, "base: " + base + "\ntest: {score_thr: 0.0}\n"
                + "data:\n  test_scale: {long_edge: 128, short_edge: [96, 96]}\n");
        return cfg;
    }

    @Test
    void folderGivesOnePicturePerImageAndResultsNumberedInNameOrder(@TempDir Path tmp) throws Exception {
        Path images = writeImages(tmp.resolve("in"));
        Path cfg = config(tmp);
        Path weights = Fixtures.path("tiny_dw_r50_mmdet.pth");
        Path results = tmp.resolve("r.json");
        assertEquals(0, run("detect", "--config", cfg.toString(), "--weights", weights.toString(), "--image", images.toString(),
                "--out-dir", tmp.resolve("pics").toString(), "--json", results.toString(), "--score-thr", "0.5"), err::toString);
        assertEquals(50, ImageIO.read(tmp.resolve("pics/b.png").toFile()).getHeight());
        assertEquals(64, ImageIO.read(tmp.resolve("pics/c.png").toFile()).getWidth());
        assertEquals(90, ImageIO.read(tmp.resolve("pics/sub/a.png").toFile()).getHeight());
        assertTrue(out.toString().contains("3 pictures drawn to"), out.toString());
        // The results hold every detection of post-processing (score_thr 0.0 here), ids 1..3 in name order, and
        // equal the library's detections on each file.
        Map<Long, List<CocoJson.Result>> byId = CocoJson.readResults(results).stream()
                .collect(Collectors.groupingBy(CocoJson.Result::imageId));
        assertEquals(java.util.Set.of(1L, 2L, 3L), byId.keySet());
        String[] sorted = {"b.png", "c.png", "sub/a.png"};
        try (Detector detector = Detector.load(cfg, weights)) {
            for (int i = 0; i < 3; i++) {
                List<Detection> dets = detector.detect(images.resolve(sorted[i]));
                List<CocoJson.Result> written = byId.get(i + 1L);
                assertEquals(dets.size(), written.size(), sorted[i]);
                assertTrue(dets.size() > 10);
                for (int k = 0; k < dets.size(); k++) {
                    assertEquals(dets.get(k).score(), (float) written.get(k).score());
                    assertEquals(dets.get(k).x1(), (float) written.get(k).x());
                    assertEquals(dets.get(k).classId() + 1, written.get(k).categoryId(), "categories 1..C in class order");
                }
            }
        }
    }

    @Test
    void annotationFileGivesTheIdsAndAGlobSelects(@TempDir Path tmp) throws Exception {
        Path images = writeImages(tmp.resolve("in"));
        Path cfg = config(tmp);
        Path ann = tmp.resolve("info.json");
        // An image-info file (no annotations) with sparse ids and category ids in another order than the classes'.
        Files.writeString(ann, "{\"images\": [{\"id\": 42, \"width\": 64, \"height\": 64, \"file_name\": \"c.png\"},"
                + " {\"id\": 7, \"width\": 70, \"height\": 50, \"file_name\": \"b.png\"}],"
                + " \"categories\": [{\"id\": 9, \"name\": \"triangle\"}, {\"id\": 3, \"name\": \"circle\"},"
                + " {\"id\": 5, \"name\": \"rectangle\"}]}");
        Path results = tmp.resolve("r.json");
        assertEquals(0, run("detect", "--config", cfg.toString(), "--weights", Fixtures.path("tiny_dw_r50_mmdet.pth").toString(),
                "--image", images + "/*.png", "--json", results.toString(), "--ann", ann.toString()), err::toString);
        List<CocoJson.Result> r = CocoJson.readResults(results);
        assertEquals(java.util.Set.of(7L, 42L), r.stream().map(CocoJson.Result::imageId).collect(Collectors.toSet()),
                "the glob takes b.png and c.png, not sub/a.png");
        assertEquals(java.util.Set.of(3L, 5L, 9L), r.stream().map(CocoJson.Result::categoryId).collect(Collectors.toSet()));
        assertTrue(out.toString().contains("b.png: ") && !out.toString().contains("sub/a.png"), out.toString());

        // The folder includes sub/a.png, which the file does not list: one line naming it, exit 2.
        err.getBuffer().setLength(0);
        assertEquals(2, run("detect", "--config", cfg.toString(), "--weights", Fixtures.path("tiny_dw_r50_mmdet.pth").toString(),
                "--image", images.toString(), "--json", results.toString(), "--ann", ann.toString()));
        assertTrue(err.toString().strip().matches("dw detect: --ann has no image whose file_name is 'sub/a.png' \\(for .*a.png\\)"),
                err.toString());
    }

    @Test
    void badInputsAreOneLineNamingThePath(@TempDir Path tmp) throws Exception {
        Path cfg = config(tmp);
        String w = Fixtures.path("tiny_dw_r50_mmdet.pth").toString();
        assertEquals(2, run("detect", "--config", cfg.toString(), "--weights", w, "--image", tmp.resolve("nope").toString(),
                "--out-dir", tmp.resolve("o").toString()));
        assertEquals("dw detect: --image " + tmp.resolve("nope") + ": file not found (no such file or folder)", err.toString().strip());
        err.getBuffer().setLength(0);
        Files.createDirectories(tmp.resolve("empty"));
        assertEquals(2, run("detect", "--config", cfg.toString(), "--weights", w, "--image", tmp.resolve("empty").toString()));
        assertTrue(err.toString().startsWith("dw detect: --image " + tmp.resolve("empty") + ": the folder holds no image files"),
                err.toString());
        err.getBuffer().setLength(0);
        Path images = writeImages(tmp.resolve("in"));
        assertEquals(2, run("detect", "--config", cfg.toString(), "--weights", w, "--image", images.toString(),
                "--out", tmp.resolve("x.png").toString()));
        assertTrue(err.toString().contains("is 3 images; use --out-dir"), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(2, run("detect", "--config", cfg.toString(), "--weights", w, "--image", images.toString(),
                "--json", tmp.resolve("r.json").toString(), "--ann", tmp.resolve("none.json").toString()));
        assertEquals("dw detect: --ann " + tmp.resolve("none.json") + ": file not found", err.toString().strip());
        assertEquals(1, err.toString().strip().lines().count());
    }
}
