package dev.dwjava.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dwjava.core.ScopedTensors;
import dev.dwjava.core.dw.DwConstants;
import dev.dwjava.core.dw.TorchPairPriors;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The center-prior / centerness kernel (host build) against closed forms and the libtorch implementation. */
@ExtendWith(ScopedTensors.class)
class KernelPairPriorsTest {
    private final KernelPairPriors kernel = new KernelPairPriors(HostKernels.launcher(32));

    @Test
    void closedForms() {
        // Box [0,0,40,20] centred at (20, 10). Point (20,10): prior 1, centerness 1. Point (28,10) at stride 8: one
        // stride off in x → prior exp(−1/2σ²); distances l=28, r=12, t=b=10 → centerness sqrt(12/28).
        Tensor xy = Tensors.of(new double[] {20, 10, 28, 10}, ScalarType.Double, 2, 2);
        Tensor stride = Tensors.of(new double[] {8, 8}, ScalarType.Double, 2);
        Tensor box = Tensors.of(new double[] {0, 0, 40, 20, 0, 0, 40, 20}, ScalarType.Double, 2, 4);
        Tensor[] both = kernel.both(xy, stride, box);
        assertArrayEquals(new double[] {1, Math.exp(-1 / DwConstants.TWO_SIGMA_SQUARED)}, Tensors.toDoubles(both[0]), 1e-15);
        assertArrayEquals(new double[] {1, Math.sqrt(12.0 / 28)}, Tensors.toDoubles(both[1]), 1e-15);
    }

    @Test
    void noPairsGiveEmptyResults() {
        Tensor xy = Tensors.of(new double[0], ScalarType.Float, 0, 2);
        assertEquals(0, kernel.centerPrior(xy, Tensors.of(new double[0], ScalarType.Float, 0),
                Tensors.of(new double[0], ScalarType.Float, 0, 4)).numel());
    }

    @ParameterizedTest
    @CsvSource({"Float, 2e-6", "Double, 1e-14"})
    void agreesWithLibtorch(ScalarType dtype, double tolerance) {
        Tensor[] p = RandomInputs.pairs(7, 3001, 500, 4, 300, dtype);
        Tensor txy = p[0], ts = p[1], tb = p[2];
        TorchPairPriors torch = new TorchPairPriors();
        KernelBoxOverlapsTest.assertClose(torch.centerPrior(txy, ts, tb), kernel.centerPrior(txy, ts, tb), tolerance);
        KernelBoxOverlapsTest.assertClose(ContractCases.centerness(txy, tb), kernel.both(txy, ts, tb)[1], tolerance);
    }
}
