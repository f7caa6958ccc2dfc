package dev.dwjava.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;

import dev.dwjava.core.dw.GroundTruth;
import dev.dwjava.core.dw.ImagePredictions;
import dev.dwjava.core.point.FeatureLevel;
import dev.dwjava.core.point.PointGrid;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Seeded synthetic inputs shared by the benchmarks. */
final class Inputs {
    private Inputs() {}

    /** n float32 boxes inside a width × height image, sides 8..400 px. */
    static Tensor randomBoxes(int n, double width, double height, long seed) {
        Random r = new Random(seed);
        double[] b = new double[4 * n];
        for (int i = 0; i < n; i++) {
            double w = 8 + r.nextDouble() * Math.min(392, width - 8), h = 8 + r.nextDouble() * Math.min(392, height - 8);
            double x = r.nextDouble() * (width - w), y = r.nextDouble() * (height - h);
            b[4 * i] = x;
            b[4 * i + 1] = y;
            b[4 * i + 2] = x + w;
            b[4 * i + 3] = y + h;
        }
        return Tensors.of(b, ScalarType.Float, n, 4);
    }

    static double[] uniform(int n, long seed) {
        Random r = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextDouble();
        }
        return v;
    }

    static long[] labels(int n, int numClasses, long seed) {
        Random r = new Random(seed);
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextInt(numClasses);
        }
        return v;
    }

    /** The DW benchmark batch: 2 images at 800×1088 (P = 17,952 points), C = 80, float32. */
    record DwBatch(PointGrid grid, List<ImagePredictions> predictions, List<GroundTruth> gts) {}

    /**
     * @param numGt        GT boxes per image
     * @param requiresGrad whether the head outputs are leaves that take gradients
     * @param place        moves each tensor where the benchmark runs (identity on the CPU)
     */
    static DwBatch dwBatch(int numGt, boolean requiresGrad, UnaryOperator<Tensor> place) {
        List<FeatureLevel> levels = new ArrayList<>();
        for (int s : new int[] {8, 16, 32, 64, 128}) {
            levels.add(FeatureLevel.forInput(800, 1088, s));
        }
        PointGrid g = PointGrid.generate(levels, ScalarType.Float);
        long p = g.numPoints();
        torch.manual_seed(7);
        List<ImagePredictions> preds = new ArrayList<>();
        List<GroundTruth> gts = new ArrayList<>();
        for (int b = 0; b < 2; b++) {
            Tensor cls = place.apply(torch.randn(p, 80).sub(Tensors.s(4.0))).requires_grad_(requiresGrad);
            Tensor dist = place.apply(torch.rand(p, 4).mul(g.strides().unsqueeze(1)).mul(Tensors.s(6.0))).requires_grad_(requiresGrad);
            Tensor obj = place.apply(torch.randn(p)).requires_grad_(requiresGrad);
            preds.add(new ImagePredictions(cls, dist, obj));
            gts.add(new GroundTruth(place.apply(randomBoxes(numGt, 1088, 800, 10 + b)),
                    place.apply(Tensors.ofLongs(labels(numGt, 80, 20 + b), numGt))));
        }
        return new DwBatch(new PointGrid(place.apply(g.xy()), place.apply(g.strides()), g.levels()), preds, gts);
    }
}
