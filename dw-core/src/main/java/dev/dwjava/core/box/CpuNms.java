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
        return indices(greedy(Tensors.toDoubles(boxes), Tensors.toDoubles(scores), new int[n], iouThreshold), boxes);
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
        return indices(greedy(Tensors.toDoubles(boxes), Tensors.toDoubles(scores), cls, iouThreshold), boxes);
    }

    /**
     * Greedy NMS where only boxes of equal {@code cls} suppress each other: one greedy pass per class over that class's
     * boxes (so the work is Σ n_c², not n²), then the survivors merged by descending score.
     *
     * @return kept indices by descending score, ties by index
     */
    static int[] greedy(double[] b, double[] score, int[] cls, double thr) {
        int n = score.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        // Stable sort: equal scores keep their input order. Then group by class, keeping that order inside a class.
        Arrays.sort(order, (p, q) -> Double.compare(score[q], score[p]));
        int[] rank = new int[n];
        for (int r = 0; r < n; r++) {
            rank[order[r]] = r;
        }
        Integer[] byClass = order.clone();
        Arrays.sort(byClass, (p, q) -> cls[p] != cls[q] ? Integer.compare(cls[p], cls[q]) : Integer.compare(rank[p], rank[q]));
        boolean[] keep = new boolean[n];
        for (int start = 0; start < n; ) {
            int end = start;
            while (end < n && cls[byClass[end]] == cls[byClass[start]]) {
                end++;
            }
            greedyOneClass(b, byClass, start, end, thr, keep);
            start = end;
        }
        int[] kept = new int[n];
        int count = 0;
        for (int r = 0; r < n; r++) {
            if (keep[order[r]]) {
                kept[count++] = order[r];
            }
        }
        return Arrays.copyOf(kept, count);
    }

    /** Greedy suppression over {@code idx[start, end)}, already sorted by descending score. */
    private static void greedyOneClass(double[] b, Integer[] idx, int start, int end, double thr, boolean[] keep) {
        int m = end - start;
        double[] x1 = new double[m], y1 = new double[m], x2 = new double[m], y2 = new double[m], area = new double[m];
        for (int k = 0; k < m; k++) {
            int i = idx[start + k];
            x1[k] = b[4 * i];
            y1[k] = b[4 * i + 1];
            x2[k] = b[4 * i + 2];
            y2[k] = b[4 * i + 3];
            area[k] = (x2[k] - x1[k]) * (y2[k] - y1[k]);
        }
        boolean[] suppressed = new boolean[m];
        for (int k = 0; k < m; k++) {
            if (suppressed[k]) {
                continue;
            }
            keep[idx[start + k]] = true;
            for (int l = k + 1; l < m; l++) {
                if (suppressed[l]) {
                    continue;
                }
                double w = Math.max(0, Math.min(x2[k], x2[l]) - Math.max(x1[k], x1[l]));
                double h = Math.max(0, Math.min(y2[k], y2[l]) - Math.max(y1[k], y1[l]));
                double inter = w * h;
                if (inter > thr * (area[k] + area[l] - inter)) {
                    suppressed[l] = true;
                }
            }
        }
    }

    private static void check(Tensor boxes, Tensor scores) {
        Tensors.requireRows(boxes, 4, "boxes");
        if (scores.dim() != 1 || scores.size(0) != boxes.size(0)) {
            throw new IllegalArgumentException("scores must have shape (" + boxes.size(0) + "), found " + Tensors.shapeOf(scores));
        }
    }

    /** The kept indices on the device of the input, so callers can index with them directly. */
    private static Tensor indices(int[] a, Tensor like) {
        long[] out = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        Tensor t = Tensors.ofLongs(out, out.length);
        return like.is_cpu() ? t : t.to(like.device(), org.bytedeco.pytorch.global.torch.ScalarType.Long);
    }
}
