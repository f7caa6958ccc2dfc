package dev.dwjava.core.box;

import java.util.Arrays;

import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;

/**
 * {@link Nms} on the CPU in plain Java over copied arrays (the box counts of detection post-processing, at most a
 * few tens of thousands, make the copy cheap). IoU is evaluated in double precision.
 *
 * <p>Class-aware NMS runs the greedy pass per class, which is what mmcv's coordinate-offset trick approximates:
 * the offset shifts coordinates by up to {@code 79·(max + 1)} and so perturbs IoU by ~1e-4 in float32; we do not.
 */
public final class CpuNms implements Nms {

    @Override
    public Tensor nms(Tensor boxes, Tensor scores, double iouThreshold) {
        check(boxes, scores);
        int n = (int) boxes.size(0);
        return indices(greedy(Tensors.toDoubles(boxes), Tensors.toDoubles(scores), new int[n], iouThreshold));
    }

    @Override
    public Tensor batchedNms(Tensor boxes, Tensor scores, Tensor labels, double iouThreshold) {
        check(boxes, scores);
        if (labels.dim() != 1 || labels.size(0) != boxes.size(0)) {
            throw new IllegalArgumentException("labels must have shape (" + boxes.size(0) + "), found " + Tensors.shapeOf(labels));
        }
        long[] raw = Tensors.toLongs(labels);
        int[] cls = new int[raw.length];
        for (int i = 0; i < raw.length; i++) {
            cls[i] = Math.toIntExact(raw[i]);
        }
        return indices(greedy(Tensors.toDoubles(boxes), Tensors.toDoubles(scores), cls, iouThreshold));
    }

    /**
     * Greedy NMS where only boxes of equal {@code cls} suppress each other.
     *
     * @return kept indices by descending score, ties by index
     */
    static int[] greedy(double[] b, double[] score, int[] cls, double thr) {
        int n = score.length;
        Integer[] boxed = new Integer[n];
        for (int i = 0; i < n; i++) {
            boxed[i] = i;
        }
        // Stable sort: equal scores keep their input order.
        Arrays.sort(boxed, (p, q) -> Double.compare(score[q], score[p]));
        double[] area = new double[n];
        for (int i = 0; i < n; i++) {
            area[i] = (b[4 * i + 2] - b[4 * i]) * (b[4 * i + 3] - b[4 * i + 1]);
        }
        boolean[] suppressed = new boolean[n];
        int[] keep = new int[n];
        int kept = 0;
        for (int oi = 0; oi < n; oi++) {
            int i = boxed[oi];
            if (suppressed[i]) {
                continue;
            }
            keep[kept++] = i;
            for (int oj = oi + 1; oj < n; oj++) {
                int j = boxed[oj];
                if (suppressed[j] || cls[j] != cls[i]) {
                    continue;
                }
                double w = Math.max(0, Math.min(b[4 * i + 2], b[4 * j + 2]) - Math.max(b[4 * i], b[4 * j]));
                double h = Math.max(0, Math.min(b[4 * i + 3], b[4 * j + 3]) - Math.max(b[4 * i + 1], b[4 * j + 1]));
                double inter = w * h;
                if (inter > thr * (area[i] + area[j] - inter)) {
                    suppressed[j] = true;
                }
            }
        }
        return Arrays.copyOf(keep, kept);
    }

    private static void check(Tensor boxes, Tensor scores) {
        Tensors.requireRows(boxes, 4, "boxes");
        if (scores.dim() != 1 || scores.size(0) != boxes.size(0)) {
            throw new IllegalArgumentException("scores must have shape (" + boxes.size(0) + "), found " + Tensors.shapeOf(scores));
        }
    }

    private static Tensor indices(int[] a) {
        long[] out = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return Tensors.ofLongs(out, out.length);
    }
}
