package dev.dwjava.data.coco;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** mmdetection's annotation filters, category mapping and path safety. */
class CocoDatasetTest {
    private static final String CATS = "\"categories\": [{\"id\": 90, \"name\": \"z\"}, {\"id\": 3, \"name\": \"a\"}]";

    private static Path write(Path dir, String images, String anns) throws IOException {
        Path f = dir.resolve("ann.json");
        Files.writeString(f, "{\"images\": [" + images + "], \"annotations\": [" + anns + "], " + CATS + "}");
        return f;
    }

    private static String ann(int id, int img, int cat, String bbox, double area, int crowd, int ignore) {
        return "{\"id\": " + id + ", \"image_id\": " + img + ", \"category_id\": " + cat + ", \"bbox\": " + bbox
                + ", \"area\": " + area + ", \"iscrowd\": " + crowd + (ignore > 0 ? ", \"ignore\": 1" : "") + "}";
    }

    @Test
    void filtersAndMapping(@TempDir Path dir) throws IOException {
        String images = "{\"id\": 1, \"file_name\": \"a.jpg\", \"width\": 100, \"height\": 80},"
                + "{\"id\": 2, \"file_name\": \"b.jpg\", \"width\": 100, \"height\": 80},"
                + "{\"id\": 3, \"file_name\": \"c.jpg\", \"width\": 30, \"height\": 80}";
        String anns = String.join(",",
                ann(1, 1, 90, "[10, 20, 30, 40]", 1200, 0, 0),       // kept, label 1 (id 90 sorts after 3)
                ann(2, 1, 3, "[0, 0, 0.5, 10]", 5, 0, 0),            // w < 1
                ann(3, 1, 3, "[5, 5, 10, 10]", 0, 0, 0),             // area 0
                ann(4, 1, 3, "[200, 5, 10, 10]", 100, 0, 0),         // outside the image
                ann(5, 1, 3, "[5, 5, 10, 10]", 100, 0, 1),           // ignore flag
                ann(6, 1, 3, "[1, 2, 3, 4]", 12, 1, 0),              // crowd: kept apart
                ann(7, 2, 3, "[1, 1, 5, 5]", 0, 0, 0),               // image 2 loses its only box but stays (mmdet)
                ann(8, 3, 3, "[1, 1, 5, 5]", 25, 0, 0));             // image 3 is narrower than 32
        String withEmpty = images + ",{\"id\": 4, \"file_name\": \"d.jpg\", \"width\": 100, \"height\": 80}";
        CocoDataset train = CocoDataset.load(write(dir, withEmpty, anns), dir, true);
        assertEquals(2, train.size());                                // image 4 has no annotation, image 3 is too narrow
        assertEquals(0, train.entries().get(1).numBoxes());
        CocoDataset.Entry e = train.entries().get(0);
        assertArrayEquals(new float[] {10, 20, 40, 60}, e.boxes());
        assertArrayEquals(new int[] {1}, e.labels());
        assertArrayEquals(new float[] {1, 2, 4, 6}, e.crowdBoxes());
        assertArrayEquals(new long[] {3, 90}, train.categoryIds());
        assertEquals(List.of("a", "z"), train.categoryNames());
        assertEquals(4, CocoDataset.load(dir.resolve("ann.json"), dir, false).size());   // test mode keeps all
        assertTrue(train.toString().contains("2 images and 5 annotations filtered out"), train.toString());
    }

    @Test
    void badRecordsAreNamed(@TempDir Path dir) throws IOException {
        String img = "{\"id\": 1, \"file_name\": \"a.jpg\", \"width\": 100, \"height\": 80}";
        IOException e = assertThrows(IOException.class, () -> CocoDataset.load(write(dir, img, ann(7, 2, 3, "[1,1,5,5]", 25, 0, 0)), dir, true));
        assertTrue(e.getMessage().endsWith("annotations[0] (id 7) refers to unknown image 2"), e.getMessage());
        e = assertThrows(IOException.class, () -> CocoDataset.load(write(dir, img, ann(7, 1, 4, "[1,1,5,5]", 25, 0, 0)), dir, true));
        assertTrue(e.getMessage().endsWith("refers to unknown category 4"), e.getMessage());
        e = assertThrows(IOException.class, () -> CocoDataset.load(write(dir, img, "{\"id\": 1, \"image_id\": 1}"), dir, true));
        assertTrue(e.getMessage().endsWith("annotations[0] has no 'category_id'"), e.getMessage());
        String escape = "{\"id\": 1, \"file_name\": \"../../etc/passwd\", \"width\": 100, \"height\": 80}";
        e = assertThrows(IOException.class, () -> CocoDataset.load(write(dir, escape, ""), dir.resolve("images"), false));
        assertTrue(e.getMessage().contains("points outside the image root"), e.getMessage());
        Files.writeString(dir.resolve("broken.json"), "{\"images\": [\n{\"id\": 1,,}]}");
        e = assertThrows(IOException.class, () -> CocoDataset.load(dir.resolve("broken.json"), dir, false));
        assertTrue(e.getMessage().contains("broken.json is not valid JSON at line 2"), e.getMessage());
    }

    @Test
    void linksLeavingTheImageRootAreRefusedUnlessAllowed(@TempDir Path dir) throws IOException {
        Path outside = Files.writeString(dir.resolve("secret.png"), "x");
        Path realRoot = Files.createDirectories(dir.resolve("real"));
        Files.writeString(realRoot.resolve("in.png"), "x");
        Files.createSymbolicLink(realRoot.resolve("out.png"), outside);
        Path linkedRoot = Files.createSymbolicLink(dir.resolve("linked"), realRoot);   // data/coco -> /datasets/coco
        String img = "{\"id\": 1, \"width\": 40, \"height\": 40, \"file_name\": \"%s\"}";
        Path ok = write(dir, String.format(img, "in.png"), ann(1, 1, 3, "[1, 1, 5, 5]", 25, 0, 0));
        assertEquals(linkedRoot.resolve("in.png"), CocoDataset.load(ok, linkedRoot, false).entries().get(0).file());
        Path bad = write(dir, String.format(img, "out.png"), ann(1, 1, 3, "[1, 1, 5, 5]", 25, 0, 0));
        IOException e = assertThrows(IOException.class, () -> CocoDataset.load(bad, linkedRoot, false));
        assertTrue(e.getMessage().contains("image 1 'out.png' is a link to " + outside.toRealPath() + ", outside the image root "
                + realRoot.toRealPath() + "; set data.links_outside_root: true"), e.getMessage());
        assertEquals(1, CocoDataset.load(bad, linkedRoot, false, true).size());
    }
}
