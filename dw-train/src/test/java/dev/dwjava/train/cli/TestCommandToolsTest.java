package dev.dwjava.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import javax.imageio.ImageIO;

import dev.dwjava.data.coco.CocoJson;
import dev.dwjava.model.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dw test --split, --format-only, --show-dir}. */
class TestCommandToolsTest extends CliTestBase {
    /**
     * Images 70×50 (id 11, one box) and 64×64 (id 12, none) in {@code dir/img}; an instances file with them and an
     * image-info file (test-dev style: images and categories, no annotations) of the same images with ids 21, 22.
     */
    private static void writeData(Path dir) throws Exception {
        Files.createDirectories(dir.resolve("img"));
        java.util.Random r = new java.util.Random(5);
        int[][] sizes = {{70, 50}, {64, 64}};
        for (int i = 0; i < 2; i++) {
            BufferedImage img = new BufferedImage(sizes[i][0], sizes[i][1], BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < img.getHeight(); y++) {
                for (int x = 0; x < img.getWidth(); x++) {
                    img.setRGB(x, y, r.nextInt(1 << 24));
                }
            }
            ImageIO.write(img, "png", dir.resolve("img/" + i + ".png").toFile());
        }
        String cats = "\"categories\": [{\"id\": 1, \"name\": \"circle\"}, {\"id\": 2, \"name\": \"rectangle\"},"
                + " {\"id\": 3, \"name\": \"triangle\"}]";
        Files.writeString(dir.resolve("train.json"), "{\"images\": [{\"id\": 11, \"width\": 70, \"height\": 50, \"file_name\": \"0.png\"},"
                + " {\"id\": 12, \"width\": 64, \"height\": 64, \"file_name\": \"1.png\"}], \"annotations\": [{\"id\": 1, \"image_id\": 11,"
                + " \"category_id\": 2, \"bbox\": [5, 5, 30, 20], \"area\": 600, \"iscrowd\": 0}], " + cats + "}");
        Files.writeString(dir.resolve("info.json"), "{\"images\": [{\"id\": 21, \"width\": 70, \"height\": 50, \"file_name\": \"0.png\"},"
                + " {\"id\": 22, \"width\": 64, \"height\": 64, \"file_name\": \"1.png\"}], " + cats + "}");
    }

    private static Path config(Path tmp) throws Exception {
        Path base = Path.of(TestCommandToolsTest.class.getClassLoader().getResource("configs/tiny_full.yaml").toURI());
        Path data = tmp.resolve("data");
        Path cfg = tmp.resolve("tiny.yaml");
        Files.writeString(cfg, "base: " + base + "\ntest: {score_thr: 0.0}\ndata:\n"
                + "  train: {annotations: " + data.resolve("train.json") + ", images: " + data.resolve("img") + "}\n"
                + "  val: {annotations: " + data.resolve("info.json") + ", images: " + data.resolve("img") + "}\n"
                + "  test_scale: {long_edge: 128, short_edge: [96, 96]}\n  workers: 1\n");
        return cfg;
    }

    @Test
    void trainSplitWithPicturesAndTestDevFormatOnly(@TempDir Path tmp) throws Exception {
        writeData(tmp.resolve("data"));
        Path cfg = config(tmp);
        String w = Fixtures.path("tiny_dw_r50_mmdet.pth").toString();
        Path results = tmp.resolve("out/train.bbox.json");
        assertEquals(0, run("test", "--config", cfg.toString(), "--weights", w, "--split", "train", "--eval", "--out",
                results.toString(), "--show-dir", tmp.resolve("show").toString(), "--show-score-thr", "0.0"), err::toString);
        assertEquals(Set.of(11L, 12L), CocoJson.readResults(results).stream().map(CocoJson.Result::imageId).collect(Collectors.toSet()));
        assertTrue(Files.isRegularFile(tmp.resolve("out/eval.json")));
        assertTrue(out.toString().contains("Average Precision"), out.toString());
        // With ground truth: GT | gap | detections; without: the detections alone.
        BufferedImage both = ImageIO.read(tmp.resolve("show/0.png").toFile());
        assertEquals(2 * 70 + 4, both.getWidth());
        assertEquals(50, both.getHeight());
        assertEquals(0x808080, both.getRGB(71, 25) & 0xffffff, "the grey gap");
        BufferedImage alone = ImageIO.read(tmp.resolve("show/1.png").toFile());
        assertEquals(64, alone.getWidth());
        // --no-show-gt: the detections alone, also where there is ground truth.
        assertEquals(0, run("test", "--config", cfg.toString(), "--weights", w, "--split", "train", "--show-dir",
                tmp.resolve("bare").toString(), "--no-show-gt"), err::toString);
        assertEquals(70, ImageIO.read(tmp.resolve("bare/0.png").toFile()).getWidth());

        // The val split is an image-info file: --format-only writes its results; --eval has nothing to compare with.
        Path dev = tmp.resolve("out/dev.bbox.json");
        out.getBuffer().setLength(0);
        assertEquals(0, run("test", "--config", cfg.toString(), "--weights", w, "--format-only", "--out", dev.toString()), err::toString);
        List<CocoJson.Result> devResults = CocoJson.readResults(dev);
        assertEquals(Set.of(21L, 22L), devResults.stream().map(CocoJson.Result::imageId).collect(Collectors.toSet()));
        assertEquals(CocoJson.readResults(results).size(), devResults.size(), "the same images, the same detections");
        assertFalse(out.toString().contains("Average Precision"), out.toString());
        assertEquals(2, run("test", "--config", cfg.toString(), "--weights", w, "--eval", "--out", dev.toString()));
        assertTrue(err.toString().strip().endsWith("info.json has no annotations (an image-info file?): there is nothing to"
                + " evaluate against; use --format-only to write the results file alone"), err.toString());
    }

    @Test
    void badOptionsAreOneLine(@TempDir Path tmp) throws Exception {
        writeData(tmp.resolve("data"));
        Path cfg = config(tmp);
        String w = Fixtures.path("tiny_dw_r50_mmdet.pth").toString();
        assertEquals(2, run("test", "--config", cfg.toString(), "--weights", w, "--format-only", "--eval"));
        assertEquals("dw test: --format-only writes the results without evaluating: drop --eval", err.toString().strip());
        err.getBuffer().setLength(0);
        assertEquals(2, run("test", "--config", cfg.toString(), "--weights", w, "--split", "test"));
        assertEquals("dw test: --split must be train or val, found 'test'", err.toString().strip());
        err.getBuffer().setLength(0);
        Files.writeString(tmp.resolve("afile"), "x");
        assertEquals(2, run("test", "--config", cfg.toString(), "--weights", w, "--show-dir", tmp.resolve("afile").toString()));
        assertEquals("dw test: --show-dir " + tmp.resolve("afile") + " is a file, not a folder", err.toString().strip());
    }
}
