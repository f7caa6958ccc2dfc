package dev.dwjava.core.point;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** docs/DW_SPEC.md §2: point positions, order, strides and level sizes. */
class PointGridTest {

    @BeforeAll
    static void init() {
        Torch.init();
    }

    @Test
    void pointsAreCellCentresRowMajorLevelsConcatenated() {
        try (TensorScope scope = TensorScope.open()) {
            PointGrid g = PointGrid.generate(List.of(new FeatureLevel(2, 3, 8), new FeatureLevel(1, 2, 16)), ScalarType.Float);
            assertEquals(8, g.numPoints());
            assertArrayEquals(new double[] {4, 4, 12, 4, 20, 4, 4, 12, 12, 12, 20, 12, 8, 8, 24, 8}, Tensors.toDoubles(g.xy()));
            assertArrayEquals(new double[] {8, 8, 8, 8, 8, 8, 16, 16}, Tensors.toDoubles(g.strides()));
        }
    }

    @Test
    void levelSizesUseCeilDivisionAsStrideTwoConvs() {
        // docs/DW_SPEC.md §1.2 example: 800x1344 → 100x168, 50x84, 25x42, 13x21, 7x11, 22,400 points.
        int total = 0;
        int[][] expected = {{100, 168}, {50, 84}, {25, 42}, {13, 21}, {7, 11}};
        int[] strides = {8, 16, 32, 64, 128};
        for (int l = 0; l < 5; l++) {
            FeatureLevel level = FeatureLevel.forInput(800, 1344, strides[l]);
            assertEquals(expected[l][0], level.height());
            assertEquals(expected[l][1], level.width());
            total += level.numPoints();
        }
        assertEquals(22400, total);
    }

    @Test
    void levelsFlattenToImagesInPointOrder() {
        try (TensorScope scope = TensorScope.open()) {
            // Two levels of a (B=2, K=2) head output with values that encode (b, k, i, j).
            List<Tensor> levels = new ArrayList<>();
            int[][] sizes = {{2, 2}, {1, 1}};
            for (int[] hw : sizes) {
                double[] v = new double[2 * 2 * hw[0] * hw[1]];
                int n = 0;
                for (int b = 0; b < 2; b++) {
                    for (int k = 0; k < 2; k++) {
                        for (int i = 0; i < hw[0]; i++) {
                            for (int j = 0; j < hw[1]; j++) {
                                v[n++] = 1000 * b + 100 * k + 10 * i + j + (hw[0] == 1 ? 0.5 : 0);
                            }
                        }
                    }
                }
                levels.add(Tensors.of(v, ScalarType.Double, 2, 2, hw[0], hw[1]));
            }
            List<Tensor> images = Levels.toImages(levels);
            assertEquals(2, images.size());
            assertArrayEquals(new double[] {1000, 1100, 1001, 1101, 1010, 1110, 1011, 1111, 1000.5, 1100.5},
                    Tensors.toDoubles(images.get(1)));
            assertEquals(List.of(new FeatureLevel(2, 2, 8), new FeatureLevel(1, 1, 16)), Levels.levelsOf(levels, new int[] {8, 16}));
        }
    }
}
