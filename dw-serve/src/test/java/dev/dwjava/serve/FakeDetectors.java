package dev.dwjava.serve;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import javax.imageio.ImageIO;

import dev.dwjava.core.image.RgbImage;
import dev.dwjava.model.inference.Detection;

/** Deterministic stand-ins for a model, and test images. */
final class FakeDetectors {
    static final List<String> CLASSES = List.of("cat", "dog", "bird");

    private FakeDetectors() {}

    /**
     * Detections that depend only on the image: five boxes inside it, scores 0.1..0.9 from its first pixel, classes by
     * turn. Records every batch's size.
     */
    static class Deterministic implements BatchDetector {
        final List<Integer> batchSizes = new CopyOnWriteArrayList<>();

        @Override
        public List<List<Detection>> detect(List<RgbImage> images, float scoreThr) {
            batchSizes.add(images.size());
            List<List<Detection>> out = new ArrayList<>();
            for (RgbImage im : images) {
                out.add(single(im).stream().filter(d -> d.score() > scoreThr).toList());
            }
            return out;
        }

        static List<Detection> single(RgbImage im) {
            List<Detection> dets = new ArrayList<>();
            int seed = im.get(0, 0, 0);
            for (int k = 0; k < 5; k++) {
                float score = 0.9f - 0.2f * k;
                float x1 = (seed + k) % Math.max(1, im.width() / 2), y1 = k;
                dets.add(new Detection(x1, y1, im.width() - 1 - k, im.height() - 1, score, k % 3, CLASSES.get(k % 3)));
            }
            return dets;
        }

        @Override
        public List<String> classNames() {
            return CLASSES;
        }
    }

    /** Blocks every model call until {@link #release} counts down; {@link #entered} tells a call has begun. */
    static final class Blocking extends Deterministic {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public List<List<Detection>> detect(List<RgbImage> images, float scoreThr) {
            entered.countDown();
            try {
                if (!release.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("never released");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return super.detect(images, scoreThr);
        }
    }

    /** Fails the model calls whose first image is {@code failWidth} wide. */
    static final class FailingOn extends Deterministic {
        final int failWidth;

        FailingOn(int failWidth) {
            this.failWidth = failWidth;
        }

        @Override
        public List<List<Detection>> detect(List<RgbImage> images, float scoreThr) {
            if (images.get(0).width() == failWidth) {
                throw new RuntimeException("simulated libtorch failure");
            }
            return super.detect(images, scoreThr);
        }
    }

    /** A {@code w}×{@code h} PNG whose first pixel's red is {@code red}. */
    static byte[] png(int w, int h, int red) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, new Color((x * 7 + y) % 256, (y * 5) % 256, (x + 2 * y) % 256).getRGB());
            }
        }
        img.setRGB(0, 0, new Color(red, 0, 0).getRGB());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    /** A w×h image whose first pixel's red is {@code red}, as decoded pixels. */
    static RgbImage rgb(int w, int h, int red) {
        byte[] px = new byte[w * h * 3];
        px[0] = (byte) red;
        return new RgbImage(w, h, px);
    }
}
