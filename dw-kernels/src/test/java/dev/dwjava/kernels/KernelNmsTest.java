package dev.dwjava.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import dev.dwjava.core.ScopedTensors;
import dev.dwjava.core.box.CpuNms;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Bitmask NMS (host build of the device code) keeps exactly the boxes the CPU reference keeps, in the same order. */
@ExtendWith(ScopedTensors.class)
class KernelNmsTest {
    private final CpuNms reference = new CpuNms();

    @Test
    void handExample() {
        // Box 1 overlaps box 0 with IoU 81/119 > 0.5 and is removed; box 2 is another class; box 3 is far away.
        Tensor boxes = Tensors.of(new double[] {0, 0, 10, 10, 1, 1, 11, 11, 1, 1, 11, 11, 50, 50, 60, 60}, ScalarType.Float, 4, 4);
        Tensor scores = Tensors.of(new double[] {0.9, 0.8, 0.7, 0.95}, ScalarType.Float, 4);
        Tensor labels = Tensors.ofLongs(new long[] {0, 0, 1, 0}, 4);
        KernelNms nms = new KernelNms(HostKernels.launcher(32));
        assertArrayEquals(new long[] {3, 0, 2}, Tensors.toLongs(nms.batchedNms(boxes, scores, labels, 0.5)));
        assertArrayEquals(new long[] {3, 0}, Tensors.toLongs(nms.nms(boxes, scores, 0.5)));
    }

    @Test
    void thresholdIsStrict() {
        // [0,0,2,1] and [0,0,1,1]: overlap 1, union 2, IoU exactly 0.5, which does not suppress at threshold 0.5.
        Tensor boxes = Tensors.of(new double[] {0, 0, 2, 1, 0, 0, 1, 1}, ScalarType.Float, 2, 4);
        Tensor scores = Tensors.of(new double[] {0.9, 0.8}, ScalarType.Float, 2);
        KernelNms nms = new KernelNms(HostKernels.launcher(32));
        assertArrayEquals(new long[] {0, 1}, Tensors.toLongs(nms.nms(boxes, scores, 0.5)));
        assertArrayEquals(new long[] {0}, Tensors.toLongs(nms.nms(boxes, scores, 0.49)));
    }

    @Test
    void emptyInputKeepsNothing() {
        Tensor none = Tensors.of(new double[0], ScalarType.Float, 0, 4);
        Tensor kept = new KernelNms(HostKernels.launcher(32)).nms(none, Tensors.of(new double[0], ScalarType.Float, 0), 0.5);
        assertEquals(0, kept.numel());
        assertTrue(Tensors.hasType(kept, ScalarType.Long));
    }

    @ParameterizedTest(name = "{0} boxes, {1} classes, {2}, gather block {3}")
    @CsvSource({
        "1, 1, Float, 32", "63, 3, Float, 32", "64, 1, Float, 32", "65, 2, Double, 32",
        "1000, 80, Float, 32", "1000, 1, Float, 256", "2500, 5, Double, 64", "2500, 5, Float, 1"})
    void matchesTheCpuReference(int n, int numClasses, ScalarType dtype, int gatherBlock) {
        Random r = new Random(n * 31L + numClasses);
        Tensor boxes = RandomInputs.boxes(r, n, dtype), scores = RandomInputs.scores(r, n, dtype);
        Tensor labels = RandomInputs.labels(r, n, numClasses);
        KernelNms nms = new KernelNms(HostKernels.launcher(32), gatherBlock);
        for (double thr : new double[] {0.3, 0.5, 0.7}) {
            long[] expected = Tensors.toLongs(reference.batchedNms(boxes, scores, labels, thr));
            long[] got = Tensors.toLongs(nms.batchedNms(boxes, scores, labels, thr));
            assertArrayEquals(expected, got, "threshold " + thr);
            assertTrue(n < 64 || expected.length < n, "the case must suppress something");
        }
    }

    /** The mask in strips of one to a few row tiles (a tiny budget) keeps the same boxes as one whole mask. */
    @ParameterizedTest(name = "{0} boxes, {1} classes, budget {2} bytes")
    @CsvSource({"3000, 1, 1", "3000, 80, 1", "2500, 5, 200000", "700, 2, 30000"})
    void theMaskInStripsKeepsTheSameBoxes(int n, int numClasses, long budget) {
        Random r = new Random(n * 7L + numClasses);
        Tensor boxes = RandomInputs.boxes(r, n, ScalarType.Float), scores = RandomInputs.scores(r, n, ScalarType.Float);
        Tensor labels = RandomInputs.labels(r, n, numClasses);
        KernelNms strips = new KernelNms(HostKernels.launcher(32), 0, budget);
        assertTrue(KernelNms.tilesPerStrip(n, budget) < (n + 63) / 64, "the case must use more than one strip");
        for (double thr : new double[] {0.3, 0.6}) {
            assertArrayEquals(Tensors.toLongs(reference.batchedNms(boxes, scores, labels, thr)),
                    Tensors.toLongs(strips.batchedNms(boxes, scores, labels, thr)), "threshold " + thr);
        }
    }

    @Test
    void theMaskStaysWithinItsBudget() {
        long words = KernelNms.MAX_BOXES / 64;
        long tiles = KernelNms.tilesPerStrip(KernelNms.MAX_BOXES, KernelNms.MASK_BUDGET_BYTES);
        assertEquals(64, tiles, "4,096 rows of 2,048 words: 64 MiB");
        assertTrue(tiles * 64 * words * 8 <= KernelNms.MASK_BUDGET_BYTES);
        assertEquals(79, KernelNms.tilesPerStrip(5000, KernelNms.MASK_BUDGET_BYTES), "5,000 boxes: the whole mask, one strip");
        assertEquals(1, KernelNms.tilesPerStrip(5000, 1), "at least one row tile");
    }

    @Test
    void tooManyBoxesIsAClearError() {
        long n = KernelNms.MAX_BOXES + 1;
        Tensor boxes = Tensors.zeros(Tensors.of(new double[1], ScalarType.Float, 1), n, 4);
        Tensor scores = Tensors.zeros(boxes, n);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new KernelNms(HostKernels.launcher(32)).nms(boxes, scores, 0.5));
        assertTrue(e.getMessage().contains("at most " + KernelNms.MAX_BOXES), e.getMessage());
    }
}
