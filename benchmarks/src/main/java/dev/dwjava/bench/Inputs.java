package dev.dwjava.bench;

import java.util.Random;

import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
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
}
