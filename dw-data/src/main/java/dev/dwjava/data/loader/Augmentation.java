package dev.dwjava.data.loader;

import java.util.Random;

import dev.dwjava.core.image.ImageTensors;

/**
 * The random choices of the training pipeline for one image, drawn from an explicit {@link Random} so that a seed
 * fixes them (docs/DW_SPEC.md §5.1): the short edge (uniform integer in [min, max], mmdetection's {@code range} mode; a single
 * value for fixed scales), the keep-ratio size under the long-edge cap, and the horizontal flip.
 *
 * @param longEdge    long edge cap
 * @param minShort    smallest short edge
 * @param maxShort    largest short edge
 * @param flipProb    probability of a horizontal flip (0 at test time)
 */
public record Augmentation(int longEdge, int minShort, int maxShort, double flipProb) {

    /** The deterministic transform of one image. */
    public record Choice(int newWidth, int newHeight, boolean flip) {}

    public Choice draw(Random r, int width, int height) {
        int shortEdge = minShort == maxShort ? minShort : minShort + r.nextInt(maxShort - minShort + 1);
        int[] size = ImageTensors.keepRatioSize(width, height, longEdge, shortEdge);
        boolean flip = flipProb > 0 && r.nextDouble() < flipProb;
        return new Choice(size[0], size[1], flip);
    }

    /**
     * Boxes (x1, y1, x2, y2)·n of a {@code width × height} image under {@code c}: scaled by the actual ratios
     * (new/old per axis), clipped to the resized image, then mirrored if flipped ({@code x1' = W − x2}).
     */
    public static float[] boxes(float[] boxes, int width, int height, Choice c) {
        double sx = (double) c.newWidth() / width, sy = (double) c.newHeight() / height;
        float[] out = new float[boxes.length];
        for (int i = 0; i < boxes.length; i += 4) {
            double x1 = clamp(boxes[i] * sx, c.newWidth()), y1 = clamp(boxes[i + 1] * sy, c.newHeight());
            double x2 = clamp(boxes[i + 2] * sx, c.newWidth()), y2 = clamp(boxes[i + 3] * sy, c.newHeight());
            if (c.flip()) {
                double t = c.newWidth() - x2;
                x2 = c.newWidth() - x1;
                x1 = t;
            }
            out[i] = (float) x1;
            out[i + 1] = (float) y1;
            out[i + 2] = (float) x2;
            out[i + 3] = (float) y2;
        }
        return out;
    }

    private static double clamp(double v, int max) {
        return Math.max(0, Math.min(max, v));
    }
}
