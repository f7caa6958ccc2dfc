package dev.dwjava.train.app;

import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javax.imageio.ImageIO;

import dev.dwjava.core.image.ImageDecoder;
import dev.dwjava.core.image.RgbImage;
import dev.dwjava.data.coco.CocoDataset;
import dev.dwjava.model.inference.Detection;
import dev.dwjava.model.inference.DetectionPainter;
import dev.dwjava.model.inference.Detector;

/** The picture a training run ends with: predictions on the first val images, a 2×2 grid. */
public final class PredictionGrid {
    private PredictionGrid() {}

    /** Draws the detections above {@code minScore} on the first four images of {@code val} into the PNG {@code file}. */
    public static void write(Detector detector, CocoDataset val, double minScore, Path file) throws IOException {
        List<BufferedImage> tiles = new ArrayList<>();
        for (int i = 0; i < Math.min(4, val.size()); i++) {
            RgbImage px = ImageDecoder.decode(val.entries().get(i).file(), detector.pipeline().ignoreOrientation());
            BufferedImage img = px.toBufferedImage();
            // Small images are enlarged (nearest neighbour) so that labels stay readable.
            double f = Math.max(1, Math.floor(384.0 / Math.max(img.getWidth(), img.getHeight())));
            BufferedImage big = new BufferedImage((int) (img.getWidth() * f), (int) (img.getHeight() * f), BufferedImage.TYPE_INT_RGB);
            Graphics2D bg = big.createGraphics();
            bg.drawImage(img, 0, 0, big.getWidth(), big.getHeight(), null);
            bg.dispose();
            List<Detection> dets = detector.detect(px).stream().filter(d -> d.score() > minScore)
                    .map(d -> new Detection((float) (d.x1() * f), (float) (d.y1() * f), (float) (d.x2() * f), (float) (d.y2() * f),
                            d.score(), d.classId(), d.className())).toList();
            tiles.add(DetectionPainter.draw(big, dets));
        }
        if (tiles.isEmpty()) {
            return;
        }
        int tw = tiles.stream().mapToInt(BufferedImage::getWidth).max().orElse(1);
        int th = tiles.stream().mapToInt(BufferedImage::getHeight).max().orElse(1);
        BufferedImage grid = new BufferedImage(2 * tw, 2 * th, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = grid.createGraphics();
        for (int i = 0; i < tiles.size(); i++) {
            g.drawImage(tiles.get(i), (i % 2) * tw, (i / 2) * th, null);
        }
        g.dispose();
        ImageIO.write(grid, "png", file.toFile());
    }
}
