package dev.dwjava.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.List;
import java.util.stream.Stream;

import dev.dwjava.core.ScopedTensors;
import dev.dwjava.core.dw.DwAssignment;
import dev.dwjava.core.dw.GroundTruth;
import dev.dwjava.core.dw.ImagePredictions;
import dev.dwjava.core.dw.TorchDwAssigner;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The batch-level DW weighting (one launch sequence and one host read per batch) against the per-image launch sequence
 * it replaced: the committed per-image results ({@code perimage/*.dwcase}, written by the previous code) bit for bit,
 * image by image, for batches with empty images, float32 and float64, and blocks 32 to 1024.
 */
@ExtendWith(ScopedTensors.class)
class BatchWeightingTest {

    static Stream<PerImageFixtures.Batch> batches() {
        return PerImageFixtures.BATCHES.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("batches")
    void theBatchEqualsThePreviousPerImageResultsBitForBit(PerImageFixtures.Batch b) throws IOException {
        ContractCase expected = ContractCase.read(PerImageFixtures.file(b));
        List<RandomInputs.DwInputs> images = b.images();
        List<DwAssignment> got = new KernelDwAssigner(HostKernels.launcher(32), b.block()).assignBatch(images.get(0).points(),
                images.stream().map(RandomInputs.DwInputs::predictions).toList(),
                images.stream().map(RandomInputs.DwInputs::gt).toList());
        assertEquals(images.size(), got.size());
        for (int i = 0; i < got.size(); i++) {
            ContractCase actual = new ContractCase("got");
            PerImageFixtures.put(actual, i, got.get(i));
            for (String key : actual.arrays.keySet()) {
                assertBitwiseEqual(expected.get(key), actual.get(key), b.name() + " " + key);
            }
        }
        // One image at a time gives the same arrays too (assign is a batch of one).
        KernelDwAssigner single = new KernelDwAssigner(HostKernels.launcher(32), b.block());
        for (int i = 0; i < images.size(); i++) {
            RandomInputs.DwInputs in = images.get(i);
            ContractCase one = new ContractCase("one");
            PerImageFixtures.put(one, i, single.assign(in.points(), in.predictions(), in.gt()));
            for (String key : one.arrays.keySet()) {
                assertBitwiseEqual(expected.get(key), one.get(key), b.name() + " alone " + key);
            }
        }
    }

    private static void assertBitwiseEqual(Tensor expected, Tensor actual, String what) {
        assertEquals(expected.scalar_type().intern(), actual.scalar_type().intern(), what + " dtype");
        assertArrayEquals(expected.sizes().vec().get(), actual.contiguous().sizes().vec().get(), what + " shape");
        if (expected.is_floating_point()) {
            double[] e = Tensors.toDoubles(expected), a = Tensors.toDoubles(actual);
            for (int k = 0; k < e.length; k++) {
                assertEquals(Double.doubleToLongBits(e[k]), Double.doubleToLongBits(a[k]), what + "[" + k + "]: " + e[k] + " vs " + a[k]);
            }
        } else {
            assertArrayEquals(Tensors.toLongs(expected), Tensors.toLongs(actual), what);
        }
    }

    @Test
    void theLibtorchAssignerBatchesImageByImage() {
        PerImageFixtures.Batch b = PerImageFixtures.BATCHES.get(0);
        List<RandomInputs.DwInputs> images = b.images();
        List<ImagePredictions> preds = images.stream().map(RandomInputs.DwInputs::predictions).toList();
        List<GroundTruth> gts = images.stream().map(RandomInputs.DwInputs::gt).toList();
        List<DwAssignment> torch = new TorchDwAssigner().assignBatch(images.get(0).points(), preds, gts);
        List<DwAssignment> kernels = new KernelDwAssigner(HostKernels.launcher(32)).assignBatch(images.get(0).points(), preds, gts);
        for (int i = 0; i < images.size(); i++) {
            KernelDwAssignerTest.assertSame(torch.get(i), kernels.get(i), 2e-5);
        }
    }

    @Test
    void imagesOfDifferentSizesOrClassCountsAreRefused() {
        RandomInputs.DwInputs a = RandomInputs.dw(1, 128, 160, 3, 4, org.bytedeco.pytorch.global.torch.ScalarType.Float);
        RandomInputs.DwInputs c = RandomInputs.dw(2, 128, 160, 3, 5, org.bytedeco.pytorch.global.torch.ScalarType.Float);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new KernelDwAssigner(HostKernels.launcher(32))
                .assignBatch(a.points(), List.of(a.predictions(), c.predictions()), List.of(a.gt(), c.gt())));
        assertEquals("predictions of image 1 have 5 classes but image 0 has 4", e.getMessage());
    }
}
