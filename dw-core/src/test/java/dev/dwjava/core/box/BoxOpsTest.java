package dev.dwjava.core.box;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dwjava.core.ScopedTensors;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Box ops against values worked out by hand. */
@ExtendWith(ScopedTensors.class)
class BoxOpsTest {
    private static Tensor boxes(double... xyxy) {
        return Tensors.of(xyxy, ScalarType.Double, xyxy.length / 4, 4);
    }

    @Test
    void areaHasNoPlusOne() {
        assertArrayEquals(new double[] {100, 0, 6}, Tensors.toDoubles(BoxOps.area(boxes(0, 0, 10, 10, 5, 5, 5, 9, 1, 2, 4, 4))));
    }

    @Test
    void pairwiseIouByHand() {
        Tensor a = boxes(0, 0, 10, 10, 20, 20, 30, 30);
        Tensor b = boxes(5, 5, 15, 15, 0, 0, 10, 10, 100, 100, 101, 101);
        // (0,0,10,10) vs (5,5,15,15): inter 25, union 175 → 1/7.
        double[] expected = {25.0 / 175, 1, 0, 0, 0, 0};
        Tensor iou = BoxOps.pairwiseIou(a, b);
        assertArrayEquals(new long[] {2, 3}, iou.shape());
        assertArrayEquals(expected, Tensors.toDoubles(iou), 1e-15);
    }

    @Test
    void giouByHand() {
        // (0,0,10,10) vs (20,0,30,10): IoU 0, enclosing 30x10 = 300, union 200 → GIoU = −100/300.
        // (0,0,10,10) vs (5,5,15,15): IoU 1/7, enclosing 225 → 1/7 − 50/225.
        Tensor a = boxes(0, 0, 10, 10, 0, 0, 10, 10);
        Tensor b = boxes(20, 0, 30, 10, 5, 5, 15, 15);
        assertArrayEquals(new double[] {-1.0 / 3, 1.0 / 7 - 50.0 / 225}, Tensors.toDoubles(BoxOps.alignedGiou(a, b)), 1e-15);
        assertArrayEquals(new double[] {-1.0 / 3, 1.0 / 7 - 50.0 / 225, 0, 0},
                new double[] {Tensors.toDoubles(BoxOps.pairwiseGiou(a, b))[0], Tensors.toDoubles(BoxOps.pairwiseGiou(a, b))[3],
                        Tensors.toDoubles(BoxOps.alignedIou(a, b))[0], 0}, 1e-15);
    }

    @Test
    void degenerateBoxesUseTheEpsClamp() {
        // Two identical points: union 0 → clamped to 1e-6, IoU 0; enclosing 0 → clamped, GIoU = 0 − (eps − eps)/eps = 0.
        Tensor p = boxes(3, 3, 3, 3);
        assertEquals(0.0, Tensors.toDoubles(BoxOps.alignedIou(p, p))[0]);
        assertEquals(0.0, Tensors.toDoubles(BoxOps.alignedGiou(p, p))[0]);
    }

    @Test
    void emptyInputsGiveEmptyResults() {
        Tensor empty = boxes();
        assertArrayEquals(new long[] {0, 2}, BoxOps.pairwiseIou(empty, boxes(0, 0, 1, 1, 0, 0, 2, 2)).shape());
        assertArrayEquals(new long[] {0}, BoxOps.area(empty).shape());
        assertArrayEquals(new long[] {0, 4}, BoxOps.clip(empty, 10, 10).shape());
    }

    @Test
    void clipFlipScaleAndXywh() {
        Tensor b = boxes(-5, 2, 120, 90);
        assertArrayEquals(new double[] {0, 2, 100, 50}, Tensors.toDoubles(BoxOps.clip(b, 50, 100)));
        assertArrayEquals(new double[] {-20, 2, 105, 90}, Tensors.toDoubles(BoxOps.flipHorizontal(b, 100)));
        assertArrayEquals(new double[] {-10, 1, 240, 45}, Tensors.toDoubles(BoxOps.scale(b, 2, 0.5)));
        assertArrayEquals(new double[] {-5, 2, 125, 88}, Tensors.toDoubles(BoxOps.xyxyToXywh(b)));
        assertArrayEquals(Tensors.toDoubles(b), Tensors.toDoubles(BoxOps.xywhToXyxy(BoxOps.xyxyToXywh(b))));
        // Flipping twice is the identity.
        assertArrayEquals(Tensors.toDoubles(b), Tensors.toDoubles(BoxOps.flipHorizontal(BoxOps.flipHorizontal(b, 100), 100)));
    }

    @Test
    void distanceCoderRoundTrips() {
        Tensor points = Tensors.of(new double[] {12, 20, 4, 4}, ScalarType.Double, 2, 2);
        Tensor b = boxes(2, 5, 30, 41, -3, 1, 9, 6);
        Tensor d = DistanceCoder.encode(points, b);
        assertArrayEquals(new double[] {10, 15, 18, 21, 7, 3, 5, 2}, Tensors.toDoubles(d));
        assertArrayEquals(Tensors.toDoubles(b), Tensors.toDoubles(DistanceCoder.decode(points, d)));
    }
}
