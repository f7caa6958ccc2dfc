package dev.dwjava.train.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javax.imageio.ImageIO;

import dev.dwjava.core.image.ImageDecoder;
import dev.dwjava.core.image.RgbImage;
import dev.dwjava.data.coco.CocoDataset;
import dev.dwjava.model.inference.Detection;
import dev.dwjava.model.inference.DetectionPainter;

/** The ground truth of a dataset drawn on its images, to check annotations and class names by eye. */
public final class GroundTruthPictures {
    private GroundTruthPictures() {}

    /**
     * Draws the boxes and class names of the first {@code count} images into {@code out/<image id>.png}.
     *
     * @return the number of pictures written
     */
    public static int write(CocoDataset ds, int count, boolean ignoreOrientation, Path out) throws IOException {
        Files.createDirectories(out);
        int n = Math.min(count, ds.size());
        for (int i = 0; i < n; i++) {
            CocoDataset.Entry e = ds.entries().get(i);
            RgbImage img = ImageDecoder.decode(e.file(), ignoreOrientation);
            List<Detection> boxes = new ArrayList<>();
            float[] b = e.boxes();
            for (int k = 0; k < e.numBoxes(); k++) {
                boxes.add(new Detection(b[4 * k], b[4 * k + 1], b[4 * k + 2], b[4 * k + 3], 1f, e.labels()[k],
                        ds.categoryNames().get(e.labels()[k])));
            }
            ImageIO.write(DetectionPainter.draw(img.toBufferedImage(), boxes), "png", out.resolve(e.image().id() + ".png").toFile());
        }
        return n;
    }
}
