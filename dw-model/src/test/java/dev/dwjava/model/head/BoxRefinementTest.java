package dev.dwjava.model.head;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** docs/DW_SPEC.md §3.12's refinement vector, computed independently from the spec, and the op's invariants. */
class BoxRefinementTest {

    @BeforeAll
    static void init() {
        Torch.init();
    }

    @Test
    void specRefinementVector() {
        try (TensorScope scope = TensorScope.open()) {
            int h = 3, w = 4;
            double[] d = new double[4 * h * w], o = new double[8 * h * w];
            for (int k = 0; k < 8; k++) {
                for (int i = 0; i < h; i++) {
                    for (int j = 0; j < w; j++) {
                        if (k < 4) {
                            d[(k * h + i) * w + j] = 8 * (1.2 + 0.3 * Math.sin(i + 2 * j + k));
                        }
                        o[(k * h + i) * w + j] = 0.2 * Math.cos(0.5 * i + 0.7 * j + 0.9 * k);
                    }
                }
            }
            Tensor refined = BoxRefinement.refine(Tensors.of(d, ScalarType.Double, 1, 4, h, w),
                    Tensors.of(o, ScalarType.Double, 1, 8, h, w), 8);
            assertArrayEquals(new double[] {4.0, 4.0, 15.4675, 18.98963}, at(refined, 0, 0), 1e-5);
            assertArrayEquals(new double[] {17.01145, 17.12574, 19.77398, 9.60149}, at(refined, 1, 1), 1e-5);
            assertArrayEquals(new double[] {19.00823, 14.39816, 0.0, 0.18962}, at(refined, 1, 2), 1e-5);
            assertArrayEquals(new double[] {21.37956, 21.67601, 0.0, 0.0}, at(refined, 2, 3), 1e-5);
        }
    }

    @Test
    void oneCellMapsWorkAndOutputIsNonNegative() {
        // P7 can be 1×1; the align_corners=false mapping stays finite there.
        try (TensorScope scope = TensorScope.open()) {
            Tensor refined = BoxRefinement.refine(Tensors.full(Tensors.of(new double[] {0}, ScalarType.Float, 1), 100, 2, 4, 1, 1),
                    Tensors.full(Tensors.of(new double[] {0}, ScalarType.Float, 1), 0.3, 2, 8, 1, 1), 128);
            for (double v : Tensors.toDoubles(refined)) {
                assertTrue(Double.isFinite(v) && v >= 0, "refined " + v);
            }
        }
    }

    @Test
    void shapesAreChecked() {
        try (TensorScope scope = TensorScope.open()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BoxRefinement.refine(
                    Tensors.of(new double[16], ScalarType.Float, 1, 4, 2, 2), Tensors.of(new double[16], ScalarType.Float, 1, 4, 2, 2), 8));
            assertTrue(e.getMessage().startsWith("refine offsets must have shape [1, 8, 2, 2]"), e.getMessage());
        }
    }

    private static double[] at(Tensor t, int i, int j) {
        double[] v = Tensors.toDoubles(t.select(0, 0).select(1, i).select(1, j));
        return v;
    }
}
