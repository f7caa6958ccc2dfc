package dev.dwjava.data.synthetic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import dev.dwjava.data.coco.CocoDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generator writes a real COCO dataset whose boxes are the shapes' pixel extents, reproducibly. */
class SyntheticCocoTest {

    @Test
    void boxesAreTheDrawnPixelExtents() {
        // The extents of the pixels painted in an object's colour are its box (the noisy background never matches).
        int checked = 0;
        for (long seed = 0; seed < 10; seed++) {
            BufferedImage img = new BufferedImage(96, 72, BufferedImage.TYPE_INT_RGB);
            for (SyntheticCoco.Obj o : SyntheticCoco.draw(img, new Random(seed))) {
                int minX = 96, minY = 72, maxX = -1, maxY = -1, count = 0;
                for (int y = 0; y < 72; y++) {
                    for (int x = 0; x < 96; x++) {
                        if ((img.getRGB(x, y) & 0xffffff) == o.rgb()) {
                            minX = Math.min(minX, x);
                            maxX = Math.max(maxX, x);
                            minY = Math.min(minY, y);
                            maxY = Math.max(maxY, y);
                            count++;
                        }
                    }
                }
                assertEquals(List.of(minX, minY, maxX - minX + 1, maxY - minY + 1, count),
                        List.of(o.x(), o.y(), o.w(), o.h(), o.area()), "seed " + seed);
                checked++;
            }
        }
        assertTrue(checked > 10, "objects checked: " + checked);
    }

    @Test
    void generatesAReadableDatasetReproducibly(@TempDir Path a, @TempDir Path b) throws Exception {
        SyntheticCoco.generate(a, 12, 4, 64, 42);
        SyntheticCoco.generate(b, 12, 4, 64, 42);
        assertEquals(Files.readString(a.resolve("annotations/instances_train.json")),
                Files.readString(b.resolve("annotations/instances_train.json")));
        CocoDataset train = CocoDataset.load(a.resolve("annotations/instances_train.json"), a.resolve("train"), false);
        assertEquals(12, train.size());
        assertEquals(List.of("circle", "rectangle", "triangle", "ring"), train.categoryNames());
        assertTrue(train.entries().stream().anyMatch(e -> e.numBoxes() > 1), "some images hold several shapes");
        assertEquals(4, CocoDataset.load(a.resolve("annotations/instances_val.json"), a.resolve("val"), false).size());
    }
}
