package dev.dwjava.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;

import dev.dwjava.core.ScopedTensors;
import dev.dwjava.core.box.CpuNms;
import dev.dwjava.core.dw.DwAssignment;
import dev.dwjava.core.dw.GroundTruth;
import dev.dwjava.core.dw.ImagePredictions;
import dev.dwjava.core.dw.TorchDwAssigner;
import dev.dwjava.core.point.PointGrid;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Decisions at exactly the thresholds, where one rounding step decides: IoU ≥ 0.5 (the per-GT count), the P_neg
 * branch (IoU < 0.5 gives 1), and the NMS test IoU > threshold. The kernels (host build) and the CPU path decide alike.
 * On a GPU the same holds because the fatbin is compiled with {@code -fmad=false} (no contraction, so the IoU is the
 * CPU's bit for bit) and the NMS test runs in double (docs/gpu.md, "Thresholds").
 */
@ExtendWith(ScopedTensors.class)
class ThresholdDecisionsTest {

    /**
     * GT [0, 0, 16, 16]; its inside points are (4, 4), (12, 4), (4, 12), (12, 12) at stride 8 and (8, 8) at stride 16.
     * Their predicted boxes give IoU exactly 0.5 at (4, 4) and (8, 8) ([0, 0, 16, 8]), just below at (12, 4)
     * ([0, 0, 16, 8⁻]), just above at (4, 12) ([0, 0, 16, 8⁺]) and 1 at (12, 12).
     */
    @ParameterizedTest
    @EnumSource(value = ScalarType.class, names = {"Float", "Double"})
    void iouAtExactlyOneHalfCountsAndTakesTheSameNegativeBranch(ScalarType dtype) {
        RandomInputs.DwInputs base = RandomInputs.dw(21, 64, 64, 1, 3, dtype);
        PointGrid grid = base.points();
        double[] xy = Tensors.toDoubles(grid.xy());
        int p = (int) grid.numPoints();
        boolean f32 = dtype == ScalarType.Float;
        double below = f32 ? Math.nextDown(8f) : Math.nextDown(8.0), above = f32 ? Math.nextUp(8f) : Math.nextUp(8.0);
        double[] d = new double[4 * p];
        int exact = 0;
        for (int k = 0; k < p; k++) {
            double x = xy[2 * k], y = xy[2 * k + 1];
            double y2 = x == 12 && y == 4 ? below : x == 4 && y == 12 ? above : x == 12 && y == 12 ? 16 : 8;
            exact += (x == 4 && y == 4) || (x == 8 && y == 8) ? 1 : 0;
            d[4 * k] = x;
            d[4 * k + 1] = y;
            d[4 * k + 2] = 16 - x;
            d[4 * k + 3] = y2 - y;
        }
        assertEquals(2, exact, "both exact-threshold points are on the grid");
        ImagePredictions pred = new ImagePredictions(base.predictions().clsLogits(), Tensors.of(d, dtype, p, 4),
                base.predictions().objLogits());
        GroundTruth gt = new GroundTruth(Tensors.of(new double[] {0, 0, 16, 16}, dtype, 1, 4), Tensors.ofLongs(new long[] {1}, 1));
        DwAssignment cpu = new TorchDwAssigner().assign(grid, pred, gt);
        for (int block : new int[] {1, 32, 256}) {
            DwAssignment k = new KernelDwAssigner(HostKernels.launcher(32), block).assign(grid, pred, gt);
            assertArrayEquals(new long[] {5}, Tensors.toLongs(k.diagnostics().insideCount()));
            assertArrayEquals(new long[] {4}, Tensors.toLongs(k.diagnostics().numIouAtLeastHalf()), "0.5, 0.5, 0.5⁺ and 1 count");
            assertArrayEquals(Tensors.toLongs(cpu.diagnostics().numIouAtLeastHalf()), Tensors.toLongs(k.diagnostics().numIouAtLeastHalf()));
            assertArrayEquals(sortedValues(cpu), sortedValues(k), "P_neg values, bit for bit");
            KernelDwAssignerTest.assertSame(cpu, k, f32 ? 2e-6 : 1e-14);
        }
    }

    private static double[] sortedValues(DwAssignment a) {
        long[] index = Tensors.toLongs(a.negIndex());
        double[] value = Tensors.toDoubles(a.negValue());
        Integer[] order = new Integer[index.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, (x, y) -> Long.compare(index[x], index[y]));
        return Arrays.stream(order).mapToDouble(i -> value[i]).toArray();
    }

    /** Pairs with IoU exactly 1/2, 3/5 and 3/4 of the threshold: equal is not suppressed (IoU > threshold). */
    @ParameterizedTest
    @ValueSource(doubles = {0.5, 0.6, 0.75})
    void nmsKeepsABoxWhoseIouEqualsTheThreshold(double threshold) {
        double[] b = {
            0, 0, 2, 1,   0, 0, 1, 1,       // IoU 1/2
            20, 0, 25, 1, 20, 0, 23, 1,     // IoU 3/5
            40, 0, 44, 1, 40, 0, 43, 1};    // IoU 3/4
        for (ScalarType dtype : new ScalarType[] {ScalarType.Float, ScalarType.Double}) {
            Tensor boxes = Tensors.of(b, dtype, 6, 4);
            Tensor scores = Tensors.of(new double[] {0.9, 0.8, 0.7, 0.6, 0.5, 0.4}, dtype, 6);
            Tensor labels = Tensors.ofLongs(new long[6], 6);
            long[] expected = Tensors.toLongs(new CpuNms().batchedNms(boxes, scores, labels, threshold));
            long[] got = Tensors.toLongs(new KernelNms(HostKernels.launcher(32)).batchedNms(boxes, scores, labels, threshold));
            assertArrayEquals(expected, got, dtype + " at " + threshold);
            long suppressed = 6 - got.length;
            assertEquals(threshold == 0.5 ? 2 : threshold == 0.6 ? 1 : 0, suppressed, "pairs strictly above " + threshold);
        }
    }
}
