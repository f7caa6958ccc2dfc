package dev.dwjava.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;

import dev.dwjava.core.ScopedTensors;
import dev.dwjava.core.box.BoxOps;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The pairwise IoU/GIoU kernel (host build) against hand-computed values and the libtorch implementation. */
@ExtendWith(ScopedTensors.class)
class KernelBoxOverlapsTest {
    private final KernelBoxOverlaps kernel = new KernelBoxOverlaps(HostKernels.launcher(32));

    @Test
    void handComputedValues() {
        // [0,0,2,2] vs [1,1,3,3]: overlap 1, union 7, enclosing 9 → IoU 1/7, GIoU 1/7 − 2/9.
        // [0,0,2,2] vs [4,0,6,2]: disjoint, enclosing 12, union 8 → IoU 0, GIoU −4/12.
        Tensor a = Tensors.of(new double[] {0, 0, 2, 2}, ScalarType.Double, 1, 4);
        Tensor b = Tensors.of(new double[] {1, 1, 3, 3, 4, 0, 6, 2}, ScalarType.Double, 2, 4);
        assertArrayEquals(new double[] {1.0 / 7, 0}, Tensors.toDoubles(kernel.pairwiseIou(a, b)), 1e-15);
        assertArrayEquals(new double[] {1.0 / 7 - 2.0 / 9, -4.0 / 12}, Tensors.toDoubles(kernel.pairwiseGiou(a, b)), 1e-15);
    }

    @Test
    void emptyInputsGiveEmptyMatrices() {
        Tensor none = Tensors.of(new double[0], ScalarType.Float, 0, 4);
        Tensor some = RandomInputs.boxes(new Random(1), 5, ScalarType.Float);
        assertArrayEquals(new long[] {0, 5}, kernel.pairwiseIou(none, some).sizes().vec().get());
        assertArrayEquals(new long[] {5, 0}, kernel.pairwiseGiou(some, none).sizes().vec().get());
    }

    @ParameterizedTest
    @CsvSource({"Float, 1, 1e-6", "Float, 300, 1e-6", "Double, 300, 1e-14"})
    void agreesWithLibtorch(ScalarType dtype, int m, double tolerance) {
        Random r = new Random(m);
        Tensor a = RandomInputs.boxes(r, 517, dtype), b = RandomInputs.boxes(r, m, dtype);
        assertClose(BoxOps.pairwiseIou(a, b), kernel.pairwiseIou(a, b), tolerance);
        assertClose(BoxOps.pairwiseGiou(a, b), kernel.pairwiseGiou(a, b), tolerance);
    }

    static void assertClose(Tensor expected, Tensor got, double tolerance) {
        assertArrayEquals(expected.sizes().vec().get(), got.sizes().vec().get());
        double[] e = Tensors.toDoubles(expected), g = Tensors.toDoubles(got);
        double worst = 0;
        for (int i = 0; i < e.length; i++) {
            worst = Math.max(worst, Math.abs(e[i] - g[i]));
        }
        assertEquals(0, worst, tolerance, "max abs difference");
    }
}
