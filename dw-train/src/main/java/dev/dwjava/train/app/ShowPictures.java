package dev.dwjava.train.app;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

import dev.dwjava.core.image.ImageDecoder;
import dev.dwjava.data.coco.CocoDataset;
import dev.dwjava.data.coco.CocoJson;
import dev.dwjava.model.inference.Detection;
import dev.dwjava.model.inference.DetectionPainter;

/**
 * {@code dw test --show-dir}: each tested image's detections drawn, next to its ground truth when it has any (ground
 * truth on the left, detections on the right, a 4 px grey gap between), as mmdetection's {@code --show-dir} does.
 */
public final class ShowPictures {
    /** Width of the gap between the ground truth and the detections. */
    public static final int GAP = 4;

    private ShowPictures() {}

    /**
     * Writes {@code dir/<file_name without extension>.png} for the first {@code limit} images (0: all).
     *
     * @param results  COCO results of the dataset (category ids of its file)
     * @param scoreThr detections scoring above this are drawn
     * @param withTruth the ground truth beside them (images without annotations get the detections alone)
     * @return the number of pictures written
     */
    public static int write(CocoDataset ds, int limit, List<CocoJson.Result> results, double scoreThr, boolean ignoreOrientation,
                            Path dir, boolean withTruth) throws IOException {
        Map<Long, Integer> label = new HashMap<>();
        long[] catIds = ds.categoryIds();
        for (int k = 0; k < catIds.length; k++) {
            label.put(catIds[k], k);
        }
        Map<Long, List<Detection>> byImage = new HashMap<>();
        for (CocoJson.Result r : results) {
            if (r.score() > scoreThr) {
                int k = label.get(r.categoryId());
                byImage.computeIfAbsent(r.imageId(), id -> new ArrayList<>()).add(new Detection((float) r.x(), (float) r.y(),
                        (float) (r.x() + r.w()), (float) (r.y() + r.h()), (float) r.score(), k, ds.categoryNames().get(k)));
            }
        }
        int n = limit > 0 ? Math.min(limit, ds.size()) : ds.size();
        for (int i = 0; i < n; i++) {
            CocoDataset.Entry e = ds.entries().get(i);
            BufferedImage img = ImageDecoder.decode(e.file(), ignoreOrientation).toBufferedImage();
            BufferedImage pred = DetectionPainter.draw(img, byImage.getOrDefault(e.image().id(), List.of()));
            BufferedImage picture = pred;
            if (withTruth && e.numBoxes() > 0) {
                List<Detection> gt = new ArrayList<>();
                float[] b = e.boxes();
                for (int k = 0; k < e.numBoxes(); k++) {
                    gt.add(new Detection(b[4 * k], b[4 * k + 1], b[4 * k + 2], b[4 * k + 3], 1f, e.labels()[k],
                            ds.categoryNames().get(e.labels()[k])));
                }
                BufferedImage truth = DetectionPainter.draw(img, gt);
                picture = new BufferedImage(2 * img.getWidth() + GAP, img.getHeight(), BufferedImage.TYPE_INT_RGB);
                Graphics2D g = picture.createGraphics();
                g.setColor(Color.GRAY);
                g.fillRect(0, 0, picture.getWidth(), picture.getHeight());
                g.drawImage(truth, 0, 0, null);
                g.drawImage(pred, img.getWidth() + GAP, 0, null);
                g.dispose();
            }
            Path file = dir.resolve(e.image().fileName().replaceFirst("\\.[^./]*$", "") + ".png");
            Files.createDirectories(file.toAbsolutePath().getParent());
            ImageIO.write(picture, "png", file.toFile());
        }
        return n;
    }
}
