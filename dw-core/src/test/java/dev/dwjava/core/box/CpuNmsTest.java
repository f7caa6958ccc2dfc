package dev.dwjava.core.box;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;

import dev.dwjava.core.ScopedTensors;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** NMS contract: strict threshold, stable ties, class awareness, empty input, agreement with a slow reference. */
@ExtendWith(ScopedTensors.class)
class CpuNmsTest {
    private final Nms nms = new CpuNms();
    private static Tensor t(double[] v, long... shape) {
        return Tensors.of(v, ScalarType.Float, shape);
    }

    @Test
    void suppressesOnlyAboveTheThreshold() {
        // Box 1 lies inside box 0 with IoU exactly 0.6 (inter 60, union 100): kept, suppression needs IoU > 0.6.
        // Box 2 overlaps box 0 with IoU 0.8: suppressed.
        Tensor boxes = t(new double[] {0, 0, 10, 10, 0, 0, 10, 6, 0, 0, 10, 8}, 3, 4);
        Tensor scores = t(new double[] {0.9, 0.8, 0.85}, 3);
        assertArrayEquals(new long[] {0, 1}, Tensors.toLongs(nms.nms(boxes, scores, 0.6)));
        assertArrayEquals(new long[] {0}, Tensors.toLongs(nms.nms(boxes, scores, 0.59)));
    }

    @Test
    void tiesKeepTheInputOrder() {
        Tensor boxes = t(new double[] {0, 0, 10, 10, 0, 0, 10, 10, 50, 50, 60, 60}, 3, 4);
        Tensor scores = t(new double[] {0.5, 0.5, 0.5}, 3);
        assertArrayEquals(new long[] {0, 2}, Tensors.toLongs(nms.nms(boxes, scores, 0.5)));
    }

    @Test
    void batchedNmsNeverSuppressesAcrossClasses() {
        Tensor boxes = t(new double[] {0, 0, 10, 10, 0, 0, 10, 10, 1, 1, 10, 10}, 3, 4);
        Tensor scores = t(new double[] {0.9, 0.8, 0.7}, 3);
        Tensor labels = Tensors.ofLongs(new long[] {3, 7, 3}, 3);
        assertArrayEquals(new long[] {0, 1}, Tensors.toLongs(nms.batchedNms(boxes, scores, labels, 0.6)));
    }

    @Test
    void emptyInputGivesEmptyInt64() {
        Tensor kept = nms.batchedNms(t(new double[0], 0, 4), t(new double[0], 0), Tensors.ofLongs(new long[0], 0), 0.6);
        assertEquals(0, kept.numel());
        assertEquals(true, Tensors.hasType(kept, ScalarType.Long));
    }

    @Test
    void badShapesAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> nms.nms(t(new double[8], 2, 4), t(new double[3], 3), 0.5));
        assertEquals("scores must have shape (2), found [3]", e.getMessage());
    }

    @Test
    void agreesWithSlowReferenceOnRandomBoxes() {
        Random r = new Random(3);
        int n = 400;
        double[] b = new double[4 * n], s = new double[n];
        long[] c = new long[n];
        for (int i = 0; i < n; i++) {
            double x = r.nextInt(100), y = r.nextInt(100), w = 5 + r.nextInt(40), h = 5 + r.nextInt(40);
            b[4 * i] = x;
            b[4 * i + 1] = y;
            b[4 * i + 2] = x + w;
            b[4 * i + 3] = y + h;
            s[i] = r.nextInt(50) / 50.0;     // many ties
            c[i] = r.nextInt(4);
        }
        long[] got = Tensors.toLongs(nms.batchedNms(t(b, n, 4), t(s, n), Tensors.ofLongs(c, n), 0.5));
        assertArrayEquals(slowReference(b, s, c, 0.5), got);
    }

    /** Per-class greedy NMS written the simplest way, merged by (score desc, index asc). */
    private static long[] slowReference(double[] b, double[] s, long[] c, double thr) {
        int n = s.length;
        java.util.List<Integer> order = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        order.sort((p, q) -> s[p] != s[q] ? Double.compare(s[q], s[p]) : Integer.compare(p, q));
        java.util.List<Integer> keep = new java.util.ArrayList<>();
        for (int i : order) {
            boolean ok = true;
            for (int k : keep) {
                if (c[k] == c[i] && iou(b, i, k) > thr) {
                    ok = false;
                    break;
                }
            }
            if (ok) {
                keep.add(i);
            }
        }
        return keep.stream().mapToLong(Integer::longValue).toArray();
    }

    private static double iou(double[] b, int i, int k) {
        double w = Math.max(0, Math.min(b[4 * i + 2], b[4 * k + 2]) - Math.max(b[4 * i], b[4 * k]));
        double h = Math.max(0, Math.min(b[4 * i + 3], b[4 * k + 3]) - Math.max(b[4 * i + 1], b[4 * k + 1]));
        double inter = w * h;
        double ai = (b[4 * i + 2] - b[4 * i]) * (b[4 * i + 3] - b[4 * i + 1]);
        double ak = (b[4 * k + 2] - b[4 * k]) * (b[4 * k + 3] - b[4 * k + 1]);
        return inter / (ai + ak - inter);
    }
}
