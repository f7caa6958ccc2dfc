package dev.dwjava.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dwjava.core.ScopedTensors;
import dev.dwjava.core.dw.AssignmentDiagnostics;
import dev.dwjava.core.dw.DwAssignment;
import dev.dwjava.core.dw.TorchDwAssigner;
import dev.dwjava.core.reference.BundledCases;
import dev.dwjava.core.reference.Comparison;
import dev.dwjava.core.reference.LossCaseRunner;
import dev.dwjava.core.reference.ReferenceCase;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The fused DW weighting kernels (host build of the device code) against the libtorch assignment: the same inside
 * pairs in the same order, the same weights up to the rounding of per-GT sums, the same set of P_neg entries, and the
 * original implementation's losses and gradients on the DW reference case.
 */
@ExtendWith(ScopedTensors.class)
class KernelDwAssignerTest {

    @ParameterizedTest(name = "seed {0}: {1} GT, {2} classes, {3}, block {4}")
    @CsvSource({
        "1, 0, 20, Float, 32", "2, 1, 20, Float, 32", "3, 7, 20, Double, 32", "4, 30, 80, Float, 32",
        "5, 30, 20, Double, 256", "6, 12, 5, Float, 1", "7, 60, 3, Double, 64"})
    void agreesWithTheLibtorchAssigner(long seed, int numGt, int numClasses, ScalarType dtype, int block) {
        RandomInputs.DwInputs in = RandomInputs.dw(seed, 320, 480, numGt, numClasses, dtype);
        DwAssignment expected = new TorchDwAssigner().assign(in.points(), in.predictions(), in.gt());
        DwAssignment got = new KernelDwAssigner(HostKernels.launcher(32), block).assign(in.points(), in.predictions(), in.gt());
        double tol = dtype == ScalarType.Float ? 2e-5 : 1e-12;
        assertSame(expected, got, tol);
        if (numGt >= 7) {
            double[] neg = Tensors.toDoubles(expected.negValue());
            assertTrue(Arrays.stream(neg).anyMatch(v -> v < 1), "the case must exercise the P_neg transform");
            assertTrue(expected.negIndex().numel() < expected.numPairs(), "the case must exercise the last-writer rule");
        }
    }

    static void assertSame(DwAssignment expected, DwAssignment got, double tol) {
        assertArrayEquals(Tensors.toLongs(expected.pairPoint()), Tensors.toLongs(got.pairPoint()), "pair points");
        assertArrayEquals(Tensors.toLongs(expected.pairGt()), Tensors.toLongs(got.pairGt()), "pair GTs");
        assertArrayEquals(Tensors.toDoubles(expected.posWeight()), Tensors.toDoubles(got.posWeight()), tol, "positive weights");
        // P_neg entries: the same (index, value) set; the kernel writes them in pair order, libtorch sorted by index.
        long[] ei = Tensors.toLongs(expected.negIndex()), gi = Tensors.toLongs(got.negIndex());
        double[] ev = sortedBy(ei, Tensors.toDoubles(expected.negValue())), gv = sortedBy(gi, Tensors.toDoubles(got.negValue()));
        Arrays.sort(ei);
        Arrays.sort(gi);
        assertArrayEquals(ei, gi, "P_neg indices");
        assertArrayEquals(ev, gv, tol, "P_neg values");
        assertEquals(expected.negFactor().item_double(), got.negFactor().item_double(),
                tol * Math.max(1, ei.length), "Σ(1 − P_neg)");
        assertEquals(0, got.negFactor().dim(), "negFactor is a 0-dim tensor");
        AssignmentDiagnostics ed = expected.diagnostics(), gd = got.diagnostics();
        assertArrayEquals(Tensors.toLongs(ed.insideCount()), Tensors.toLongs(gd.insideCount()), "inside counts");
        assertArrayEquals(Tensors.toLongs(ed.numIouAtLeastHalf()), Tensors.toLongs(gd.numIouAtLeastHalf()), "IoU ≥ 0.5 counts");
        assertArrayEquals(Tensors.toDoubles(ed.maxIou()), Tensors.toDoubles(gd.maxIou()), tol, "max IoU (NaN for empty GTs)");
        assertArrayEquals(Tensors.toDoubles(ed.sumPosWeight()), Tensors.toDoubles(gd.sumPosWeight()), tol * 10, "Σ w per GT");
    }

    private static double[] sortedBy(long[] keys, double[] values) {
        Integer[] order = new Integer[keys.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Long.compare(keys[a], keys[b]));
        return Arrays.stream(order).mapToDouble(i -> values[i]).toArray();
    }

    @Test
    void reproducesTheOriginalImplementationOnTheReferenceCase() {
        ReferenceCase example = BundledCases.load(BundledCases.LOSS_EXAMPLE);
        ObjectNode got = new LossCaseRunner(new KernelDwAssigner(HostKernels.launcher(32))).run(example, ScalarType.Double);
        Comparison cmp = Comparison.of(example.expected(), got);
        assertTrue(cmp.problems().isEmpty(), cmp.toString());
        assertTrue(cmp.maxRel() <= 1e-9, cmp.toString());
        ObjectNode got32 = new LossCaseRunner(new KernelDwAssigner(HostKernels.launcher(256))).run(example, ScalarType.Float);
        assertTrue(Comparison.of(example.expected(), got32).within(1e-4), Comparison.of(example.expected(), got32).toString());
    }

    @Test
    void gtWithoutInsidePointsGetsNanMaxIouAndNoWeight() {
        RandomInputs.DwInputs in = RandomInputs.dw(9, 320, 480, 3, 4, ScalarType.Double);
        // Replace GT 1 by a box between grid points (level points sit at s/2 + s·k): no point strictly inside.
        Tensor boxes = in.gt().boxes().clone();
        boxes.select(0, 1).copy_(Tensors.of(new double[] {4.5, 4.5, 7.5, 7.5}, ScalarType.Double, 4));
        var gt = new dev.dwjava.core.dw.GroundTruth(boxes, in.gt().labels());
        DwAssignment got = new KernelDwAssigner(HostKernels.launcher(32)).assign(in.points(), in.predictions(), gt);
        assertEquals(0, Tensors.toLongs(got.diagnostics().insideCount())[1]);
        assertTrue(Double.isNaN(Tensors.toDoubles(got.diagnostics().maxIou())[1]));
        assertEquals(0.0, Tensors.toDoubles(got.diagnostics().sumPosWeight())[1]);
        assertSame(new TorchDwAssigner().assign(in.points(), in.predictions(), gt), got, 1e-12);
    }
}
