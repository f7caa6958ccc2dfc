package dev.dwjava.data.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import dev.dwjava.core.image.ImageDecoder;
import dev.dwjava.core.image.ImageTensors;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.data.coco.CocoDataset;
import dev.dwjava.data.synthetic.SyntheticCoco;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Augmentation geometry, sampling, and the loader's determinism and errors, on generated data. */
class LoaderTest {
    @TempDir
    static Path data;

    @BeforeAll
    static void generate() throws Exception {
        Torch.init();
        SyntheticCoco.generate(data, 24, 6, 96, 7);
    }

    static CocoDataset train() throws Exception {
        return CocoDataset.load(data.resolve("annotations/instances_train.json"), data.resolve("train"), true);
    }

    @Test
    void resizeRoundingAndBoxGeometry() {
        Augmentation test = new Augmentation(1333, 800, 800, 0);
        assertEquals(new Augmentation.Choice(1067, 800, false), test.draw(new Random(0), 640, 480));
        assertEquals(new Augmentation.Choice(1333, 750, false), test.draw(new Random(0), 1920, 1080));
        // 100×50 → 200×100, then flipped: x1' = W − x2.
        Augmentation.Choice c = new Augmentation.Choice(200, 100, true);
        assertArrayEquals(new float[] {140, 20, 180, 60, 0, 0, 200, 100},
                Augmentation.boxes(new float[] {10, 10, 30, 30, -5, -5, 120, 70}, 100, 50, c), 1e-4f);
    }

    @Test
    void rangeModeStaysInItsBounds() {
        Augmentation ms = new Augmentation(1333, 480, 960, 0.5);
        Random r = new Random(3);
        Set<Integer> shorts = new HashSet<>();
        int flips = 0;
        for (int k = 0; k < 2000; k++) {
            Augmentation.Choice c = ms.draw(r, 640, 480);
            int s = Math.min(c.newWidth(), c.newHeight());
            assertTrue(s >= 480 && s <= 960 && Math.max(c.newWidth(), c.newHeight()) <= 1333, c.toString());
            shorts.add(s);
            flips += c.flip() ? 1 : 0;
        }
        assertTrue(shorts.contains(480) && shorts.contains(960) || shorts.size() > 400, "range covered: " + shorts.size());
        assertTrue(flips > 900 && flips < 1100, "flips " + flips);
    }

    @Test
    void groupSamplerKeepsOrientationAndSplitsRanksWithoutOverlap() {
        boolean[] land = new boolean[23];
        for (int i = 0; i < land.length; i++) {
            land[i] = i % 3 == 0;
        }
        GroupSampler one = new GroupSampler(land, 2, 5, 0, 1);
        List<int[]> batches = one.batches(0);
        assertEquals(one.batchesPerEpoch(), batches.size());
        Set<Integer> seen = new HashSet<>();
        for (int[] b : batches) {
            assertEquals(land[b[0]], land[b[1]], "one orientation per batch");
            for (int i : b) {
                seen.add(i);
            }
        }
        assertEquals(23, seen.size());
        assertTrue(one.batches(0).size() == batches.size() && java.util.Arrays.equals(one.batches(0).get(0), batches.get(0)));
        assertTrue(!java.util.Arrays.equals(one.batches(1).get(0), batches.get(0)) || !java.util.Arrays.equals(one.batches(1).get(1), batches.get(1)));
        List<int[]> r0 = new GroupSampler(land, 2, 5, 0, 2).batches(0), r1 = new GroupSampler(land, 2, 5, 1, 2).batches(0);
        assertEquals(r0.size(), r1.size());
        List<int[]> merged = new ArrayList<>();
        for (int k = 0; k < r0.size(); k++) {
            merged.add(r0.get(k));
            merged.add(r1.get(k));
        }
        for (int k = 0; k < batches.size(); k++) {
            assertArrayEquals(batches.get(k), merged.get(k), "ranks deal the same epoch");
        }
    }

    @Test
    void sameSeedSameBatchesWithAnyNumberOfWorkers() throws Exception {
        CocoDataset ds = train();
        Augmentation aug = new Augmentation(128, 64, 96, 0.5);
        List<double[]> a = new ArrayList<>(), b = new ArrayList<>();
        try (DetectionLoader l1 = new DetectionLoader(ds, aug, 4, 0, 11, true, 0, 1);
             DetectionLoader l4 = new DetectionLoader(ds, aug, 4, 3, 11, true, 0, 1);
             TensorScope scope = TensorScope.open()) {
            for (Iterator<DetectionBatch> it = l1.epoch(2); it.hasNext(); ) {
                DetectionBatch batch = it.next();
                a.add(new double[] {batch.images().sum().item_double(), batch.targets().get(0).boxes().sum().item_double()});
                assertEquals(0, batch.images().size(2) % 32);
            }
            for (Iterator<DetectionBatch> it = l4.epoch(2); it.hasNext(); ) {
                DetectionBatch batch = it.next();
                b.add(new double[] {batch.images().sum().item_double(), batch.targets().get(0).boxes().sum().item_double()});
            }
        }
        assertEquals(a.size(), b.size());
        for (int k = 0; k < a.size(); k++) {
            assertArrayEquals(a.get(k), b.get(k), 0.0, "batch " + k);
        }
    }

    @Test
    void batchesHoldEachImagePreparedAloneThenPadded() throws Exception {
        // The workers write straight into the batch; it must equal prepare() per image and padBatch(), float for float.
        CocoDataset ds = train();
        Augmentation aug = new Augmentation(128, 64, 96, 0.5);
        Map<Long, Path> files = new HashMap<>();
        ds.entries().forEach(e -> files.put(e.image().id(), e.file()));
        int batches = 0;
        try (DetectionLoader l = new DetectionLoader(ds, aug, 3, 2, 5, true, 0, 1)) {
            for (Iterator<DetectionBatch> it = l.epoch(1); it.hasNext(); batches++) {
                try (TensorScope scope = TensorScope.open()) {
                    DetectionBatch batch = it.next();
                    List<Tensor> alone = new ArrayList<>();
                    for (SampleMeta m : batch.metas()) {
                        alone.add(ImageTensors.prepare(ImageDecoder.decode(files.get(m.imageId())), m.newWidth(),
                                m.newHeight(), m.flipped()));
                    }
                    Tensor expected = ImageTensors.padBatch(alone, 32);
                    assertArrayEquals(expected.shape(), batch.images().shape());
                    assertArrayEquals(Tensors.toFloats(expected), Tensors.toFloats(batch.images()), "batch " + batches);
                }
            }
        }
        assertTrue(batches > 2, "several batches: " + batches);
    }

    @Test
    void anEpochStartedAtBatchBIsTheTailOfTheWholeEpochAndSkipsWithoutLoading() throws Exception {
        CocoDataset ds = train();
        Augmentation aug = new Augmentation(128, 64, 96, 0.5);   // random scale and flip: the draws must match too
        List<double[]> whole = new ArrayList<>(), tail = new ArrayList<>();
        try (DetectionLoader l = new DetectionLoader(ds, aug, 4, 2, 11, true, 0, 1); TensorScope scope = TensorScope.open()) {
            for (Iterator<DetectionBatch> it = l.epoch(3); it.hasNext(); ) {
                whole.add(signature(it.next()));
            }
            for (Iterator<DetectionBatch> it = l.epoch(3, 2); it.hasNext(); ) {
                tail.add(signature(it.next()));
            }
            int n = l.batchesPerEpoch();
            assertEquals(n, whole.size());
            assertTrue(!l.epoch(3, n).hasNext(), "starting after the last batch leaves nothing");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> l.epoch(3, n + 1));
            assertTrue(e.getMessage().startsWith("cannot start epoch 4 at batch " + (n + 1) + ": it has " + n + " batches"),
                    e.getMessage());
        }
        assertEquals(whole.size() - 2, tail.size());
        for (int k = 0; k < tail.size(); k++) {
            assertArrayEquals(whole.get(k + 2), tail.get(k), 0.0, "batch " + (k + 2));
        }
        // The skipped batches are not loaded: a missing image of the first batch (and of no later one) does not fail the tail.
        List<int[]> order = new GroupSampler(landscape(ds), 4, 11, 0, 1).batches(3);
        int victimIndex = java.util.Arrays.stream(order.get(0)).filter(i -> order.subList(1, order.size()).stream()
                .noneMatch(b -> java.util.Arrays.stream(b).anyMatch(j -> j == i))).findFirst().orElseThrow();
        Path victim = ds.entries().get(victimIndex).file(), backup = victim.resolveSibling("backup.bin");
        Files.move(victim, backup);
        try (DetectionLoader l = new DetectionLoader(ds, aug, 4, 0, 11, true, 0, 1); TensorScope scope = TensorScope.open()) {
            Iterator<DetectionBatch> it = l.epoch(3, 1);
            int k = 1;
            for (; it.hasNext(); k++) {
                assertArrayEquals(whole.get(k), signature(it.next()), 0.0, "batch " + k);
            }
            assertEquals(whole.size(), k);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> l.epoch(3, 0).next());
            assertTrue(e.getMessage().contains(victim.toString()), e.getMessage());
        } finally {
            Files.move(backup, victim);
        }
    }

    private static boolean[] landscape(CocoDataset ds) {
        boolean[] land = new boolean[ds.size()];
        for (int i = 0; i < land.length; i++) {
            land[i] = ds.entries().get(i).image().width() > ds.entries().get(i).image().height();
        }
        return land;
    }

    /** Pixel sum, box sum, and every image's id, size and flip. */
    private static double[] signature(DetectionBatch b) {
        List<Double> v = new ArrayList<>(List.of(b.images().sum().item_double(), (double) b.images().size(3)));
        for (int k = 0; k < b.metas().size(); k++) {
            SampleMeta m = b.metas().get(k);
            v.addAll(List.of((double) m.imageId(), (double) m.newWidth(), (double) m.newHeight(), m.flipped() ? 1.0 : 0.0,
                    b.targets().get(k).boxes().sum().item_double()));
        }
        return v.stream().mapToDouble(Double::doubleValue).toArray();
    }

    @Test
    void boxesStayOnTheirPixelsThroughResizeFlipAndPad(@TempDir Path dir) throws Exception {
        // A white rectangle on black (PNG, lossless) annotated with its exact box; after resize ×1.5, flip and pad the
        // transformed box must still frame the white pixels: inside bright, one pixel outside dark.
        int w = 80, h = 60, x0 = 10, y0 = 20, bw = 30, bh = 16;
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(w, h, java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = y0; y < y0 + bh; y++) {
            for (int x = x0; x < x0 + bw; x++) {
                img.setRGB(x, y, 0xffffff);
            }
        }
        Files.createDirectories(dir.resolve("img"));
        javax.imageio.ImageIO.write(img, "png", dir.resolve("img/a.png").toFile());
        Files.writeString(dir.resolve("ann.json"), "{\"images\": [{\"id\": 5, \"file_name\": \"a.png\", \"width\": 80, \"height\": 60}],"
                + "\"annotations\": [{\"id\": 1, \"image_id\": 5, \"category_id\": 1, \"bbox\": [10, 20, 30, 16], \"area\": 480}],"
                + "\"categories\": [{\"id\": 1, \"name\": \"box\"}]}");
        CocoDataset ds = CocoDataset.load(dir.resolve("ann.json"), dir.resolve("img"), true);
        try (DetectionLoader l = new DetectionLoader(ds, new Augmentation(200, 90, 90, 1.0), 1, 0, 3, false, 0, 1);
             TensorScope scope = TensorScope.open()) {
            DetectionBatch b = l.epoch(0).next();
            SampleMeta m = b.metas().get(0);
            assertEquals(List.of(120, 90, true), List.of(m.newWidth(), m.newHeight(), m.flipped()));
            assertArrayEquals(new long[] {1, 3, 96, 128}, b.images().shape());          // padded to multiples of 32
            float[] box = Tensors.toFloats(b.targets().get(0).boxes());
            assertArrayEquals(new float[] {120 - 60, 30, 120 - 15, 54}, box, 1e-4f);     // x1' = W − x2 after ×1.5
            org.bytedeco.pytorch.Tensor red = b.images().select(0, 0).select(0, 0);        // normalised red channel
            double bright = (255 - 123.675) / 58.395, dark = -123.675 / 58.395;
            assertEquals(bright, red.select(0, 42).select(0, 80).item_double(), 1e-4);      // inside
            assertEquals(dark, red.select(0, 42).select(0, (int) box[0] - 2).item_double(), 1e-4);   // left of the box
            assertEquals(dark, red.select(0, 42).select(0, (int) box[2] + 1).item_double(), 1e-4);   // right of it
            assertEquals(dark, red.select(0, (int) box[1] - 2).select(0, 80).item_double(), 1e-4);   // above
            assertEquals(bright, red.select(0, (int) box[1] + 1).select(0, (int) box[0] + 1).item_double(), 1e-4);
            assertEquals(0.0, red.select(0, 93).abs().max().item_double());                  // padding rows are zero
        }
    }

    @Test
    void aMissingImageFailsWithItsFileName() throws Exception {
        CocoDataset ds = train();
        Path victim = ds.entries().get(0).file();
        Path backup = victim.resolveSibling("backup.bin");
        Files.move(victim, backup);
        try (DetectionLoader l = new DetectionLoader(ds, new Augmentation(128, 96, 96, 0), 30, 2, 1, false, 0, 1);
             TensorScope scope = TensorScope.open()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> l.epoch(0).next());
            assertTrue(e.getMessage().contains("image not found: " + victim), e.getMessage());
        } finally {
            Files.move(backup, victim);
        }
    }

    @Test
    void exifOrientationIsAppliedUnlessIgnored(@TempDir Path dir) throws Exception {
        // An 80x60 JPEG whose EXIF says "rotate 90° clockwise" (6) is 60x80 upright; ignoring orientation, 80x60.
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(80, 60, java.awt.image.BufferedImage.TYPE_INT_RGB);
        java.io.ByteArrayOutputStream jpeg = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(img, "jpeg", jpeg);
        byte[] plain = jpeg.toByteArray();
        byte[] exif = {(byte) 0xFF, (byte) 0xE1, 0, 34, 'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0,
            1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0};
        byte[] rotated = new byte[plain.length + exif.length];
        System.arraycopy(plain, 0, rotated, 0, 2);
        System.arraycopy(exif, 0, rotated, 2, exif.length);
        System.arraycopy(plain, 2, rotated, 2 + exif.length, plain.length - 2);
        Files.createDirectories(dir.resolve("img"));
        Files.write(dir.resolve("img/r.jpg"), rotated);
        for (boolean ignore : new boolean[] {false, true}) {
            int w = ignore ? 80 : 60, h = ignore ? 60 : 80;
            Files.writeString(dir.resolve("ann.json"), "{\"images\": [{\"id\": 1, \"file_name\": \"r.jpg\", \"width\": "
                    + w + ", \"height\": " + h + "}], \"annotations\": [], \"categories\": [{\"id\": 1, \"name\": \"x\"}]}");
            CocoDataset ds = CocoDataset.load(dir.resolve("ann.json"), dir.resolve("img"), false);
            Augmentation keep = new Augmentation(1333, 800, 800, 0);
            try (DetectionLoader l = new DetectionLoader(ds, keep, 1, 0, 0, false, 0, 1, ignore);
                 TensorScope scope = TensorScope.open()) {
                SampleMeta m = l.epoch(0).next().metas().get(0);
                assertEquals(List.of(w, h), List.of(m.width(), m.height()), "ignore " + ignore);
            }
            try (DetectionLoader l = new DetectionLoader(ds, keep, 1, 0, 0, false, 0, 1, !ignore);
                 TensorScope scope = TensorScope.open()) {
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> l.epoch(0).next());
                assertTrue(e.getMessage().contains("r.jpg is " + h + "x" + w + " but ann.json says " + w + "x" + h),
                        e.getMessage());
            }
        }
    }
}
