package dev.dwjava.core.dw;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import dev.dwjava.core.point.FeatureLevel;
import dev.dwjava.core.point.PointGrid;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** docs/DW_SPEC.md §3.12: the worked example, whose numbers were computed independently from the spec in float64. */
class DwLossSpecExampleTest {

    @BeforeAll
    static void init() {
        Torch.init();
    }

    /** The §3.12 inputs: strides 8 and 16 on a 64×64 input (P = 80), C = 3, three GTs. */
    static DwCase specExample() {
        PointGrid grid = PointGrid.generate(List.of(new FeatureLevel(8, 8, 8), new FeatureLevel(4, 4, 16)), ScalarType.Double);
        int numPoints = 80, numClasses = 3;
        double[] cls = new double[numPoints * numClasses], obj = new double[numPoints], dist = new double[numPoints * 4];
        for (int p = 0; p < numPoints; p++) {
            double stride = p < 64 ? 8 : 16;
            for (int c = 0; c < numClasses; c++) {
                cls[p * numClasses + c] = 2 * Math.sin(0.7 * p + 1.9 * c) - 1;
            }
            obj[p] = 1.5 * Math.cos(0.45 * p);
            for (int k = 0; k < 4; k++) {
                dist[p * 4 + k] = stride * (1 + 1.5 * (1 + Math.sin(0.3 * p + 1.1 * k)));
            }
        }
        ImagePredictions pred = new ImagePredictions(Tensors.of(cls, ScalarType.Double, numPoints, numClasses),
                Tensors.of(dist, ScalarType.Double, numPoints, 4), Tensors.of(obj, ScalarType.Double, numPoints));
        GroundTruth gt = new GroundTruth(
                Tensors.of(new double[] {4, 6, 40, 50, 20, 18, 60, 62, 30, 2, 38, 12}, ScalarType.Double, 3, 4),
                Tensors.ofLongs(new long[] {0, 2, 1}, 3));
        return new DwCase(grid, pred, gt);
    }

    record DwCase(PointGrid grid, ImagePredictions pred, GroundTruth gt) {}

    @Test
    void workedExampleMatchesTheSpec() {
        try (TensorScope scope = TensorScope.open()) {
            DwCase c = specExample();
            DwLossResult r = new DwLoss().compute(c.grid(), List.of(c.pred()), List.of(c.gt()));
            AssignmentDiagnostics d = r.perImage().get(0).assignment().diagnostics();
            assertArrayEquals(new long[] {26, 33, 1}, Tensors.toLongs(d.insideCount()));
            assertArrayEquals(new double[] {0.822529, 0.62187, 0.044671}, Tensors.toDoubles(d.maxIou()), 1e-6);
            assertArrayEquals(new double[] {1.053044, 1.033822, 1.000332}, Tensors.toDoubles(d.sumPosWeight()), 1e-6);
            assertEquals(5.730911, r.perImage().get(0).assignment().negFactor().item_double(), 1e-6);
            assertEquals(3.0, r.numPos().item_double());
            assertEquals(0.616989, r.clsPos().item_double(), 1e-6);
            assertEquals(0.858018, r.loc().item_double(), 1e-6);
            assertEquals(1.244476, r.clsNeg().item_double(), 1e-6);
        }
    }

    @Test
    void centerPriorSigmaIsTheFloat32ValueSquaredInFloat32() {
        // dw_reference/README.md: σ² = 1.232100009918213 (float32 1.11 squared in float32).
        assertEquals(2 * 1.232100009918213, DwConstants.TWO_SIGMA_SQUARED, 0.0);
        assertEquals(-4.0 / 3.0, DwConstants.NEG_TRANSFORM_SLOPE, 0.0);
    }
}
