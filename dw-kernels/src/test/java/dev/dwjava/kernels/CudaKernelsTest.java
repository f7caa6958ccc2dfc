package dev.dwjava.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import dev.dwjava.core.ScopedTensors;
import dev.dwjava.core.box.CpuNms;
import dev.dwjava.core.dw.DwAssignment;
import dev.dwjava.core.dw.TorchDwAssigner;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The kernels on a real GPU through the CUDA driver API: every contract case, and agreement with the libtorch paths on
 * CUDA tensors at benchmark sizes. Run with {@code mvn -Pgpu -pl dw-kernels test}; skipped where libtorch sees no GPU
 * or the jar was built without nvcc.
 */
@Tag("gpu")
@ExtendWith(ScopedTensors.class)
class CudaKernelsTest {
    private static KernelLauncher cuda;

    @BeforeAll
    static void findCuda() {
        cuda = torch.cuda_is_available() ? Kernels.cuda().orElse(null) : null;
    }

    /** Per test, so that reports list every GPU test as skipped on machines without one. */
    @BeforeEach
    void requireCuda() {
        assumeTrue(torch.cuda_is_available(), "libtorch sees no CUDA device");
        assumeTrue(cuda != null, "dw-kernels was built without the fatbin (no nvcc)");
    }

    static java.util.stream.Stream<Path> files() throws IOException {
        return ContractCasesTest.files();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void contractCasePassesOnTheGpu(Path file) throws IOException {
        ContractCasesTest.check(ContractCase.read(file), cuda, Tensor::cuda);
    }

    @Test
    void nmsMatchesTheCpuReferenceAt30000Boxes() {
        Random r = new Random(3);
        int n = 30_000;
        Tensor boxes = RandomInputs.boxes(r, n, ScalarType.Float), scores = RandomInputs.scores(r, n, ScalarType.Float);
        Tensor labels = RandomInputs.labels(r, n, 80);
        long[] expected = Tensors.toLongs(new CpuNms().batchedNms(boxes, scores, labels, 0.6));
        long[] got = Tensors.toLongs(new KernelNms(cuda).batchedNms(boxes.cuda(), scores.cuda(), labels.cuda(), 0.6).cpu());
        assertArrayEquals(expected, got);
    }

    @Test
    void dwWeightingMatchesLibtorchOnCudaAtBenchmarkSize() {
        RandomInputs.DwInputs in = RandomInputs.dw(5, 800, 1088, 50, 80, ScalarType.Float);
        RandomInputs.DwInputs gpu = new RandomInputs.DwInputs(
                new dev.dwjava.core.point.PointGrid(in.points().xy().cuda(), in.points().strides().cuda(), in.points().levels()),
                new dev.dwjava.core.dw.ImagePredictions(in.predictions().clsLogits().cuda(), in.predictions().distances().cuda(),
                        in.predictions().objLogits().cuda()),
                new dev.dwjava.core.dw.GroundTruth(in.gt().boxes().cuda(), in.gt().labels().cuda()));
        DwAssignment expected = new TorchDwAssigner().assign(gpu.points(), gpu.predictions(), gpu.gt());
        DwAssignment got = new KernelDwAssigner(cuda).assign(gpu.points(), gpu.predictions(), gpu.gt());
        KernelDwAssignerTest.assertSame(cpu(expected), cpu(got), 2e-5);
    }

    /** The driver's limit per kernel: never above the launch bound, and 512 for the float64 weighting kernel. */
    @Test
    void theDriversLimitsFollowTheLaunchBounds() {
        HostKernelLauncher host = Kernels.hostAvailable() ? new HostKernelLauncher() : null;
        for (String kernel : Kernels.NAMES) {
            int limit = cuda.maxThreads(kernel);
            assertTrue(limit >= 64, kernel + ": " + limit);
            if (host != null) {
                assertTrue(limit <= host.maxThreads(kernel), kernel + ": " + limit + " above its launch bound");
            }
        }
        assertEquals(512, cuda.maxThreads("dw_gt_weights_f64"));
        RandomInputs.DwInputs in = RandomInputs.dw(8, 320, 480, 12, 20, ScalarType.Double);
        RandomInputs.DwInputs gpu = onCuda(in);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new KernelDwAssigner(cuda, 1024).assign(gpu.points(), gpu.predictions(), gpu.gt()));
        assertTrue(e.getMessage().contains("dw_gt_weights_f64, 512"), e.getMessage());
        DwAssignment capped = new KernelDwAssigner(cuda).assign(gpu.points(), gpu.predictions(), gpu.gt());
        KernelDwAssignerTest.assertSame(new TorchDwAssigner().assign(in.points(), in.predictions(), in.gt()), cpu(capped), 1e-12);
    }

    /** A batch on the GPU: each image equal, bit for bit, to the same image alone, and to libtorch within tolerance. */
    @Test
    void theBatchOnTheGpuEqualsEachImageAlone() {
        List<RandomInputs.DwInputs> images = new java.util.ArrayList<>();
        for (int b = 0; b < 4; b++) {
            images.add(onCuda(RandomInputs.dw(40 + b, 800, 1088, b == 2 ? 0 : 50 * (b + 1), 80, ScalarType.Float)));
        }
        KernelDwAssigner k = new KernelDwAssigner(cuda);
        List<DwAssignment> batch = k.assignBatch(images.get(0).points(), images.stream().map(RandomInputs.DwInputs::predictions).toList(),
                images.stream().map(RandomInputs.DwInputs::gt).toList());
        for (int b = 0; b < images.size(); b++) {
            RandomInputs.DwInputs in = images.get(b);
            DwAssignment alone = cpu(k.assign(in.points(), in.predictions(), in.gt()));
            KernelDwAssignerTest.assertSame(alone, cpu(batch.get(b)), 0);
            KernelDwAssignerTest.assertSame(cpu(new TorchDwAssigner().assign(in.points(), in.predictions(), in.gt())), alone, 2e-5);
        }
    }

    /** Tensors on the second GPU run there (its context and stream), whatever the thread's current device is. */
    @Test
    void tensorsOnAnotherDeviceRunOnThatDevice() {
        assumeTrue(torch.cuda_device_count() >= 2, "needs two GPUs");
        Random r = new Random(4);
        int n = 5000;
        Tensor boxes = RandomInputs.boxes(r, n, ScalarType.Float), scores = RandomInputs.scores(r, n, ScalarType.Float);
        Tensor labels = RandomInputs.labels(r, n, 80);
        org.bytedeco.pytorch.Device second = new org.bytedeco.pytorch.Device(torch.DeviceType.CUDA, (byte) 1);
        long[] expected = Tensors.toLongs(new CpuNms().batchedNms(boxes, scores, labels, 0.5));
        long[] got = Tensors.toLongs(new KernelNms(cuda).batchedNms(boxes.to(second, ScalarType.Float),
                scores.to(second, ScalarType.Float), labels.to(second, ScalarType.Long), 0.5));
        assertArrayEquals(expected, got);
        try (KernelArgs mixed = new KernelArgs().tensor("a", boxes.cuda(), ScalarType.Float).tensor("b", boxes.to(second, ScalarType.Float),
                ScalarType.Float)) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> cuda.launch("dw_pairwise_overlaps_f32", 1, 1, 32, mixed));
            assertTrue(e.getMessage().contains("all tensors of a launch must share one device"), e.getMessage());
        }
    }

    /** 100,000 boxes: the mask in strips (1.25 GB whole), the same boxes as the CPU. */
    @Test
    void nmsAt100000BoxesInStripsMatchesTheCpu() {
        Random r = new Random(5);
        int n = 100_000;
        Tensor boxes = RandomInputs.boxes(r, n, ScalarType.Float), scores = RandomInputs.scores(r, n, ScalarType.Float);
        Tensor labels = RandomInputs.labels(r, n, 80);
        long[] expected = Tensors.toLongs(new CpuNms().batchedNms(boxes, scores, labels, 0.5));
        long[] got = Tensors.toLongs(new KernelNms(cuda).batchedNms(boxes.cuda(), scores.cuda(), labels.cuda(), 0.5).cpu());
        assertArrayEquals(expected, got);
    }

    private static RandomInputs.DwInputs onCuda(RandomInputs.DwInputs in) {
        return new RandomInputs.DwInputs(
                new dev.dwjava.core.point.PointGrid(in.points().xy().cuda(), in.points().strides().cuda(), in.points().levels()),
                new dev.dwjava.core.dw.ImagePredictions(in.predictions().clsLogits().cuda(), in.predictions().distances().cuda(),
                        in.predictions().objLogits().cuda()),
                new dev.dwjava.core.dw.GroundTruth(in.gt().boxes().cuda(), in.gt().labels().cuda()));
    }

    private static DwAssignment cpu(DwAssignment a) {
        var d = a.diagnostics();
        return new DwAssignment(a.pairPoint().cpu(), a.pairGt().cpu(), a.posWeight().cpu(), a.negIndex().cpu(), a.negValue().cpu(),
                a.negFactor().cpu(), new dev.dwjava.core.dw.AssignmentDiagnostics(d.insideCount().cpu(), d.maxIou().cpu(),
                d.numIouAtLeastHalf().cpu(), d.sumPosWeight().cpu()));
    }
}
