package dev.dwjava.kernels;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import dev.dwjava.core.dw.GroundTruth;
import dev.dwjava.core.dw.ImagePredictions;
import dev.dwjava.core.point.FeatureLevel;
import dev.dwjava.core.point.PointGrid;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Seeded inputs shaped like real detector data, shared by the tests and the contract-case generator. */
final class RandomInputs {
    static final int[] STRIDES = {8, 16, 32, 64, 128};

    private RandomInputs() {}

    /** One image's DW inputs. */
    record DwInputs(PointGrid points, ImagePredictions predictions, GroundTruth gt) {}

    /** The FPN points P3–P7 of an h × w input. */
    static PointGrid grid(int h, int w, ScalarType dtype) {
        List<FeatureLevel> levels = new ArrayList<>();
        for (int s : STRIDES) {
            levels.add(FeatureLevel.forInput(h, w, s));
        }
        return PointGrid.generate(levels, dtype);
    }

    /**
     * GT boxes of a few classes (so same-class boxes overlap and the last-writer rule matters, with some near-copies),
     * and predictions whose distances are noisy versions of the true distances to a containing box, so that IoUs spread
     * over [0, 1] and both branches of P_neg occur.
     */
    static DwInputs dw(long seed, int h, int w, int numGt, int numClasses, ScalarType dtype) {
        Random r = new Random(seed);
        PointGrid g = grid(h, w, dtype);
        int p = (int) g.numPoints();
        double[] xy = Tensors.toDoubles(g.xy());
        double[] boxes = new double[4 * numGt];
        long[] labels = new long[numGt];
        for (int k = 0; k < numGt; k++) {
            if (k > 0 && r.nextInt(5) == 0) {  // a near-copy of an earlier box, same class
                int src = r.nextInt(k);
                for (int c = 0; c < 4; c++) {
                    boxes[4 * k + c] = boxes[4 * src + c] + r.nextGaussian() * 3;
                }
                labels[k] = labels[src];
            } else {
                double bw = 8 + r.nextDouble() * w * 0.6, bh = 8 + r.nextDouble() * h * 0.6;
                double x1 = r.nextDouble() * (w - bw), y1 = r.nextDouble() * (h - bh);
                boxes[4 * k] = x1;
                boxes[4 * k + 1] = y1;
                boxes[4 * k + 2] = x1 + bw;
                boxes[4 * k + 3] = y1 + bh;
                labels[k] = r.nextInt(Math.min(numClasses, 3));
            }
        }
        double[] dist = new double[4 * p];
        for (int i = 0; i < p; i++) {
            for (int c = 0; c < 4; c++) {
                dist[4 * i + c] = 1 + Math.abs(r.nextGaussian()) * 40;
            }
        }
        for (int k = 0; k < numGt; k++) {
            double noise = 0.02 + 0.3 * r.nextDouble();
            for (int i = 0; i < p; i++) {
                double x = xy[2 * i], y = xy[2 * i + 1];
                if (x > boxes[4 * k] && y > boxes[4 * k + 1] && x < boxes[4 * k + 2] && y < boxes[4 * k + 3]) {
                    double[] truth = {x - boxes[4 * k], y - boxes[4 * k + 1], boxes[4 * k + 2] - x, boxes[4 * k + 3] - y};
                    for (int c = 0; c < 4; c++) {
                        dist[4 * i + c] = truth[c] * Math.exp(noise * r.nextGaussian());
                    }
                }
            }
        }
        double[] cls = new double[p * numClasses], obj = new double[p];
        for (int k = 0; k < cls.length; k++) {
            cls[k] = -2 + 1.5 * r.nextGaussian();
        }
        for (int i = 0; i < p; i++) {
            obj[i] = r.nextGaussian();
        }
        ImagePredictions pred = new ImagePredictions(Tensors.of(cls, dtype, p, numClasses), Tensors.of(dist, dtype, p, 4),
                Tensors.of(obj, dtype, p));
        GroundTruth gt = new GroundTruth(Tensors.of(boxes, dtype, numGt, 4), Tensors.ofLongs(labels, numGt));
        return new DwInputs(g, pred, gt);
    }

    /** (n, 4) boxes in clusters (so NMS has work), a few degenerate; coordinates in [0, 1000). */
    static Tensor boxes(Random r, int n, ScalarType dtype) {
        double[] b = new double[4 * n];
        int clusters = Math.max(1, n / 20);
        double[][] centres = new double[clusters][];
        for (int c = 0; c < clusters; c++) {
            centres[c] = new double[] {r.nextDouble() * 900 + 50, r.nextDouble() * 900 + 50, 10 + r.nextDouble() * 120,
                    10 + r.nextDouble() * 120};
        }
        for (int i = 0; i < n; i++) {
            double[] c = centres[r.nextInt(clusters)];
            double cx = c[0] + r.nextGaussian() * c[2] * 0.15, cy = c[1] + r.nextGaussian() * c[3] * 0.15;
            double bw = c[2] * Math.exp(0.2 * r.nextGaussian()), bh = c[3] * Math.exp(0.2 * r.nextGaussian());
            if (r.nextInt(50) == 0) {
                bw = 0;  // degenerate: zero area
            }
            b[4 * i] = cx - bw / 2;
            b[4 * i + 1] = cy - bh / 2;
            b[4 * i + 2] = cx + bw / 2;
            b[4 * i + 3] = cy + bh / 2;
        }
        return Tensors.of(b, dtype, n, 4);
    }

    /** Scores in (0, 1) with deliberate ties (rounded to 1/64). */
    static Tensor scores(Random r, int n, ScalarType dtype) {
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            s[i] = r.nextInt(4) == 0 ? Math.round(r.nextDouble() * 64) / 64.0 : r.nextDouble();
        }
        return Tensors.of(s, dtype, n);
    }

    /**
     * (point, GT) pairs with the point inside its box: {xy (n, 2), stride (n), box (n, 4)}; boxes start in
     * [0, extent)² and have sides in [minSide, minSide + sideRange).
     */
    static Tensor[] pairs(long seed, int n, double extent, double minSide, double sideRange, ScalarType dtype) {
        Random r = new Random(seed);
        double[] xy = new double[2 * n], stride = new double[n], box = new double[4 * n];
        for (int k = 0; k < n; k++) {
            double x1 = r.nextDouble() * extent, y1 = r.nextDouble() * extent;
            double w = minSide + r.nextDouble() * sideRange, h = minSide + r.nextDouble() * sideRange;
            box[4 * k] = x1;
            box[4 * k + 1] = y1;
            box[4 * k + 2] = x1 + w;
            box[4 * k + 3] = y1 + h;
            xy[2 * k] = x1 + r.nextDouble() * w;
            xy[2 * k + 1] = y1 + r.nextDouble() * h;
            stride[k] = 8 << r.nextInt(5);
        }
        return new Tensor[] {Tensors.of(xy, dtype, n, 2), Tensors.of(stride, dtype, n), Tensors.of(box, dtype, n, 4)};
    }

    static Tensor labels(Random r, int n, int numClasses) {
        long[] l = new long[n];
        for (int i = 0; i < n; i++) {
            l[i] = r.nextInt(numClasses);
        }
        return Tensors.ofLongs(l, n);
    }
}
