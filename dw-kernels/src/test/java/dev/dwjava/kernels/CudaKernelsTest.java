package dev.dwjava.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
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

    private static DwAssignment cpu(DwAssignment a) {
        var d = a.diagnostics();
        return new DwAssignment(a.pairPoint().cpu(), a.pairGt().cpu(), a.posWeight().cpu(), a.negIndex().cpu(), a.negValue().cpu(),
                a.negFactor().cpu(), new dev.dwjava.core.dw.AssignmentDiagnostics(d.insideCount().cpu(), d.maxIou().cpu(),
                d.numIouAtLeastHalf().cpu(), d.sumPosWeight().cpu()));
    }
}
