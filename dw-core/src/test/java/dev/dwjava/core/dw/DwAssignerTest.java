package dev.dwjava.core.dw;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;

import dev.dwjava.core.box.DistanceCoder;
import dev.dwjava.core.point.FeatureLevel;
import dev.dwjava.core.point.PointGrid;
import dev.dwjava.core.ScopedTensors;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Edge cases of the DW assignment (docs/DW_SPEC.md §3.6, §3.10) with answers derived by hand or in closed form. */
@ExtendWith(ScopedTensors.class)
class DwAssignerTest {
    private static final ScalarType F64 = ScalarType.Double;
    private final TorchDwAssigner assigner = new TorchDwAssigner();
    /** One 64×64 level at stride 8 plus one at 16: P = 64 + 16. */
    private static PointGrid grid() {
        return PointGrid.generate(List.of(new FeatureLevel(8, 8, 8), new FeatureLevel(4, 4, 16)), F64);
    }

    private static ImagePredictions predictions(PointGrid g, Tensor distances, int numClasses, long seed) {
        Random r = new Random(seed);
        int p = (int) g.numPoints();
        double[] cls = new double[p * numClasses], obj = new double[p];
        for (int k = 0; k < cls.length; k++) {
            cls[k] = r.nextGaussian();
        }
        for (int k = 0; k < p; k++) {
            obj[k] = r.nextGaussian();
        }
        return new ImagePredictions(Tensors.of(cls, F64, p, numClasses), distances, Tensors.of(obj, F64, p));
    }

    private static GroundTruth gt(double[] boxes, long... labels) {
        return new GroundTruth(Tensors.of(boxes, F64, labels.length, 4), Tensors.ofLongs(labels, labels.length));
    }

    private static Tensor constantDistances(PointGrid g, double d) {
        return Tensors.full(g.xy(), d, g.numPoints(), 4);
    }

    @Test
    void imageWithoutGroundTruthHasNoPairsAndAllNegativeWeightsOne() {
        PointGrid g = grid();
        ImagePredictions p = predictions(g, constantDistances(g, 10), 3, 1);
        GroundTruth none = new GroundTruth(Tensors.of(new double[0], F64, 0, 4), Tensors.ofLongs(new long[0], 0));
        DwAssignment a = assigner.assign(g, p, none);
        assertEquals(0, a.numPairs());
        assertEquals(0, a.negIndex().numel());
        assertEquals(0.0, a.negFactor().item_double());

        DwLossResult r = new DwLoss().compute(g, List.of(p), List.of(none));
        assertEquals(0.0, r.clsPos().item_double());
        assertEquals(0.0, r.loc().item_double());
        assertEquals(1.0, r.numPos().item_double());
        assertEquals(1.0, r.numNeg().item_double());
        // Only the negative term acts: Σ S²·(−ln(1 − S)) over all P × C entries, divided by N_neg = 1.
        Tensor s = p.clsLogits().sigmoid().mul(p.objLogits().sigmoid().unsqueeze(1));
        double expected = 0;
        for (double v : Tensors.toDoubles(s)) {
            expected += v * v * -Math.log(1 - v);
        }
        assertEquals(expected, r.clsNeg().item_double(), 1e-12 * expected);
    }

    @Test
    void batchWhereNoImageHasGroundTruthUsesUnitNormalizers() {
        PointGrid g = grid();
        GroundTruth none = new GroundTruth(Tensors.of(new double[0], F64, 0, 4), Tensors.ofLongs(new long[0], 0));
        DwLossResult r = new DwLoss().compute(g,
                List.of(predictions(g, constantDistances(g, 10), 3, 1), predictions(g, constantDistances(g, 10), 3, 2)),
                List.of(none, none));
        assertEquals(1.0, r.numPos().item_double());
        assertEquals(1.0, r.numNeg().item_double());
        assertTrue(Double.isFinite(r.total().item_double()) && r.total().item_double() > 0);
    }

    @Test
    void groundTruthWithoutInsidePointGetsNoPositiveLossButCountsInNumPos() {
        PointGrid g = grid();
        // Between point centres (4, 12, 20, ... at stride 8; 8, 24, ... at 16): (13, 13, 19, 19) contains none.
        GroundTruth tiny = gt(new double[] {13, 13, 19, 19}, 1);
        ImagePredictions p = predictions(g, constantDistances(g, 10), 3, 3);
        DwAssignment a = assigner.assign(g, p, tiny);
        assertEquals(0, a.numPairs());
        assertArrayEquals(new long[] {0}, Tensors.toLongs(a.diagnostics().insideCount()));
        assertTrue(Double.isNaN(Tensors.toDoubles(a.diagnostics().maxIou())[0]));
        assertEquals(0.0, Tensors.toDoubles(a.diagnostics().sumPosWeight())[0]);
        DwLossResult r = new DwLoss().compute(g, List.of(p), List.of(tiny));
        assertEquals(1.0, r.numPos().item_double());
        assertEquals(0.0, r.clsPos().item_double());
    }

    @Test
    void insideTestIsStrict() {
        PointGrid g = grid();
        // Point (4, 4) lies exactly on the left/top edges of this box: not inside. Points (12, 12) (stride 8,
        // index 9) and (8, 8) (stride 16, index 64) are inside.
        GroundTruth edge = gt(new double[] {4, 4, 14, 14}, 0);
        DwAssignment a = assigner.assign(g, predictions(g, constantDistances(g, 5), 2, 4), edge);
        assertArrayEquals(new long[] {9, 64}, Tensors.toLongs(a.pairPoint()));
    }

    @Test
    void singleCandidateWithGoodIouGetsNegativeWeightOne() {
        PointGrid g = grid();
        // Only point 9 (12, 12) lies inside; predict exactly the GT box there, IoU = 1 ≥ 0.5.
        GroundTruth one = gt(new double[] {9, 9, 15, 15}, 2);
        Tensor d = DistanceCoder.encode(g.xy(), Tensors.of(new double[] {9, 9, 15, 15}, F64, 1, 4).expand(g.numPoints(), 4));
        DwAssignment a = assigner.assign(g, predictions(g, d, 3, 5), one);
        assertEquals(1, a.numPairs());
        assertEquals(1.0, Tensors.toDoubles(a.diagnostics().maxIou())[0], 1e-12);
        // (u − lo + 1e-12) / (hi − lo + 1e-12) with lo = hi: exactly 1 (docs/DW_SPEC.md §3.6).
        assertArrayEquals(new double[] {1.0}, Tensors.toDoubles(a.negValue()));
        assertArrayEquals(new long[] {9 * 3 + 2}, Tensors.toLongs(a.negIndex()));
        assertEquals(0.0, a.negFactor().item_double());
    }

    @Test
    void allCandidatesAboveHalfFollowTheClosedForm() {
        PointGrid g = grid();
        double[] box = {2, 3, 61, 58};
        GroundTruth big = gt(box, 0);
        // Predict the GT box shrunk per point so that IoUs vary in (0.5, 1): distances × (0.80 + 0.19·frac).
        Tensor exact = DistanceCoder.encode(g.xy(), Tensors.of(box, F64, 1, 4).expand(g.numPoints(), 4));
        double[] f = new double[(int) g.numPoints() * 4];
        Random r = new Random(6);
        for (int k = 0; k < f.length; k++) {
            f[k] = 0.80 + 0.19 * r.nextDouble();
        }
        Tensor d = exact.mul(Tensors.of(f, F64, g.numPoints(), 4)).clamp_min(Tensors.s(0.0));
        DwAssignment a = assigner.assign(g, predictions(g, d, 1, 7), big);
        double[] iou = pairIous(g, d, box, Tensors.toLongs(a.pairPoint()));
        double m = Double.NEGATIVE_INFINITY, n = Double.POSITIVE_INFINITY;
        for (double v : iou) {
            m = Math.max(m, v);
            n = Math.min(n, v);
        }
        assertTrue(n >= 0.5, "construction must keep every IoU ≥ 0.5, min was " + n);
        long[] idx = Tensors.toLongs(a.negIndex());
        double[] q = Tensors.toDoubles(a.negValue());
        long[] points = Tensors.toLongs(a.pairPoint());
        for (int k = 0; k < idx.length; k++) {
            int pair = indexOf(points, idx[k]);        // C = 1: flat index = point index
            double expected = (m * m - iou[pair] * iou[pair]) / (m * m - n * n);
            assertEquals(expected, q[k], 1e-9, "P_neg of point " + idx[k]);
        }
    }

    @Test
    void zeroDistancesGiveFiniteLossAndGradient() {
        PointGrid g = grid();
        Tensor d = constantDistances(g, 0).requires_grad_(true);
        ImagePredictions p = predictions(g, d, 2, 8);
        DwLossResult r = new DwLoss().compute(g, List.of(p), List.of(gt(new double[] {10, 10, 50, 40}, 1)));
        DwAssignment a = r.perImage().get(0).assignment();
        // A point-sized prediction has IoU 0 and GIoU 0 with any box containing it: P_neg stays 1, loc loss = 1.25·Σw.
        assertEquals(0.0, Tensors.toDoubles(a.diagnostics().maxIou())[0]);
        assertEquals(0.0, a.negFactor().item_double());
        double sumW = Tensors.toDoubles(a.diagnostics().sumPosWeight())[0];
        assertEquals(1.25 * sumW, r.loc().item_double(), 1e-12);
        r.total().backward();
        for (double v : Tensors.toDoubles(d.grad())) {
            assertTrue(Double.isFinite(v));
        }
    }

    @Test
    void sameClassOverlapIsWonByTheHigherGtIndex() {
        PointGrid g = grid();
        double[] a = {1, 1, 40, 40}, b = {20, 20, 63, 63};
        Tensor exactA = DistanceCoder.encode(g.xy(), Tensors.of(a, F64, 1, 4).expand(g.numPoints(), 4));
        Tensor d = exactA.abs().mul(Tensors.s(0.9));   // good boxes for A, so A's P_neg is below 1 somewhere
        ImagePredictions p = predictions(g, d, 2, 9);
        DwAssignment both = assigner.assign(g, p, gt(concat(a, b), 1, 1));
        DwAssignment onlyB = assigner.assign(g, p, gt(b, 1));
        DwAssignment onlyA = assigner.assign(g, p, gt(a, 1));
        // Every entry B writes must hold B's value; entries only A writes hold A's value.
        java.util.Map<Long, Double> got = toMap(both), fromB = toMap(onlyB), fromA = toMap(onlyA);
        for (var e : fromB.entrySet()) {
            assertEquals(e.getValue(), got.get(e.getKey()), 0.0, "entry " + e.getKey());
        }
        int overlap = 0;
        for (var e : fromA.entrySet()) {
            if (fromB.containsKey(e.getKey())) {
                overlap++;
            } else {
                assertEquals(e.getValue(), got.get(e.getKey()), 0.0);
            }
        }
        assertTrue(overlap > 0, "the construction must make the two GTs share points");
        assertEquals(new java.util.HashSet<>(union(fromA, fromB)), got.keySet());
    }

    @Test
    void crowdedImagesBuildOnlyInsidePairs() {
        // P ≈ 22,400 points (800x1344 input), C = 80, 500 GTs: the pair list must equal a brute-force inside count.
        List<FeatureLevel> levels = new java.util.ArrayList<>();
        for (int s : new int[] {8, 16, 32, 64, 128}) {
            levels.add(FeatureLevel.forInput(800, 1344, s));
        }
        PointGrid g = PointGrid.generate(levels, ScalarType.Float);
        for (int numGt : new int[] {7, 100, 500}) {
            try (TensorScope inner = TensorScope.open()) {
                Random r = new Random(numGt);
                double[] boxes = new double[numGt * 4];
                long[] labels = new long[numGt];
                for (int k = 0; k < numGt; k++) {
                    double w = 8 + r.nextDouble() * 300, h = 8 + r.nextDouble() * 300;
                    double x = r.nextDouble() * (1344 - w), y = r.nextDouble() * (800 - h);
                    boxes[4 * k] = x;
                    boxes[4 * k + 1] = y;
                    boxes[4 * k + 2] = x + w;
                    boxes[4 * k + 3] = y + h;
                    labels[k] = r.nextInt(80);
                }
                GroundTruth gt = new GroundTruth(Tensors.of(boxes, ScalarType.Float, numGt, 4), Tensors.ofLongs(labels, numGt));
                Tensor zeros = org.bytedeco.pytorch.global.torch.zeros(new long[] {g.numPoints(), 80},
                        new org.bytedeco.pytorch.TensorOptions(ScalarType.Float));
                ImagePredictions p = new ImagePredictions(zeros, Tensors.full(g.xy(), 20, g.numPoints(), 4),
                        zeros.select(1, 0));
                DwAssignment a = assigner.assign(g, p, gt);
                assertEquals(bruteForceInside(Tensors.toFloats(g.xy()), boxes), a.numPairs(), "G = " + numGt);
                assertEquals(a.numPairs(), a.posWeight().numel());
            }
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    private static long bruteForceInside(float[] xy, double[] boxes) {
        long count = 0;
        for (int k = 0; k < boxes.length / 4; k++) {
            float x1 = (float) boxes[4 * k], y1 = (float) boxes[4 * k + 1], x2 = (float) boxes[4 * k + 2], y2 = (float) boxes[4 * k + 3];
            for (int p = 0; p < xy.length / 2; p++) {
                float x = xy[2 * p], y = xy[2 * p + 1];
                if (x > x1 && y > y1 && x2 > x && y2 > y) {
                    count++;
                }
            }
        }
        return count;
    }

    private static double[] pairIous(PointGrid g, Tensor d, double[] box, long[] points) {
        double[] xy = Tensors.toDoubles(g.xy()), dist = Tensors.toDoubles(d);
        double[] out = new double[points.length];
        double areaG = (box[2] - box[0]) * (box[3] - box[1]);
        for (int k = 0; k < points.length; k++) {
            int p = (int) points[k];
            double x1 = xy[2 * p] - dist[4 * p], y1 = xy[2 * p + 1] - dist[4 * p + 1];
            double x2 = xy[2 * p] + dist[4 * p + 2], y2 = xy[2 * p + 1] + dist[4 * p + 3];
            double w = Math.max(0, Math.min(x2, box[2]) - Math.max(x1, box[0]));
            double h = Math.max(0, Math.min(y2, box[3]) - Math.max(y1, box[1]));
            double inter = w * h;
            out[k] = inter / Math.max((x2 - x1) * (y2 - y1) + areaG - inter, 1e-6);
        }
        return out;
    }

    private static int indexOf(long[] a, long v) {
        for (int k = 0; k < a.length; k++) {
            if (a[k] == v) {
                return k;
            }
        }
        throw new AssertionError("missing " + v);
    }

    private static double[] concat(double[] a, double[] b) {
        double[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static java.util.Map<Long, Double> toMap(DwAssignment a) {
        java.util.Map<Long, Double> m = new java.util.HashMap<>();
        long[] idx = Tensors.toLongs(a.negIndex());
        double[] v = Tensors.toDoubles(a.negValue());
        for (int k = 0; k < idx.length; k++) {
            assertTrue(m.put(idx[k], v[k]) == null, "duplicate entry " + idx[k]);
        }
        return m;
    }

    private static java.util.Set<Long> union(java.util.Map<Long, Double> a, java.util.Map<Long, Double> b) {
        java.util.Set<Long> s = new java.util.HashSet<>(a.keySet());
        s.addAll(b.keySet());
        return s;
    }
}
