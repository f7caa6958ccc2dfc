package dev.dwjava.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.dwjava.core.box.BoxOps;
import dev.dwjava.core.box.CpuNms;
import dev.dwjava.core.box.Nms;
import dev.dwjava.core.dw.DwAssigner;
import dev.dwjava.core.dw.GroundTruth;
import dev.dwjava.core.dw.ImagePredictions;
import dev.dwjava.core.dw.TorchDwAssigner;
import dev.dwjava.core.point.PointGrid;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.kernels.KernelBoxOverlaps;
import dev.dwjava.kernels.KernelDwAssigner;
import dev.dwjava.kernels.KernelLauncher;
import dev.dwjava.kernels.KernelNms;
import dev.dwjava.kernels.Kernels;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch_cuda;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * dw-kernels against the libtorch paths, op by op, at the sizes of the goals: DW weighting for a batch of 2 at
 * 800×1088 (P = 17,952), G = 50, C = 80; class-aware NMS over 5,000 and 30,000 boxes (80 classes, IoU 0.6); pairwise
 * IoU 20,000 × 50. {@code device=cpu} runs the kernels' host build (the grid emulator: a correctness vehicle, expected
 * to be slower than libtorch); {@code device=cuda} needs a GPU build ({@code mvn -Pgpu}) and a GPU:
 * {@code bin/bench KernelBenchmark -p device=cuda}. On CUDA every invocation ends with a stream synchronisation.
 * The libtorch path of NMS is {@link CpuNms} (libtorch has no NMS operator), after copying to the host on CUDA.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dorg.bytedeco.javacpp.maxPhysicalBytes=0"})
public class KernelBenchmark {
    @Param({"libtorch", "kernel"})
    public String path;

    @Param({"cpu"})
    public String device;

    private TensorScope scope;
    private boolean cuda;
    private PointGrid grid;
    private final List<ImagePredictions> preds = new ArrayList<>();
    private final List<GroundTruth> gts = new ArrayList<>();
    private DwAssigner assigner;
    private Nms nms;
    private java.util.function.BinaryOperator<Tensor> pairwiseIou;
    private Tensor boxes5k, scores5k, labels5k, boxes30k, scores30k, labels30k, iouA, iouB;

    @Setup(Level.Trial)
    public void setUp() {
        Torch.init();
        scope = TensorScope.open();
        cuda = device.equals("cuda");
        if (cuda && !torch.cuda_is_available()) {
            throw new IllegalStateException("device=cuda but libtorch sees no GPU (build with -Pgpu on a GPU machine)");
        }
        if (!cuda && !device.equals("cpu")) {
            throw new IllegalArgumentException("device must be cpu or cuda, found " + device);
        }
        boolean kernel = path.equals("kernel");
        KernelLauncher launcher = kernel ? (cuda ? Kernels.cuda().orElseThrow(() -> new IllegalStateException(
                "no CUDA kernels: dw-kernels was built without nvcc")) : Kernels.forTensor(torch.zeros(1))) : null;
        assigner = kernel ? new KernelDwAssigner(launcher) : new TorchDwAssigner();
        nms = kernel ? new KernelNms(launcher) : new CpuNms();
        pairwiseIou = kernel ? new KernelBoxOverlaps(launcher)::pairwiseIou : BoxOps::pairwiseIou;

        Inputs.DwBatch batch = Inputs.dwBatch(50, false, this::place);
        grid = batch.grid();
        preds.addAll(batch.predictions());
        gts.addAll(batch.gts());
        boxes5k = place(Inputs.randomBoxes(5_000, 400, 300, 3));
        scores5k = place(Tensors.of(Inputs.uniform(5_000, 4), torch.ScalarType.Float, 5_000));
        labels5k = place(Tensors.ofLongs(Inputs.labels(5_000, 80, 5), 5_000));
        boxes30k = place(Inputs.randomBoxes(30_000, 1000, 800, 6));
        scores30k = place(Tensors.of(Inputs.uniform(30_000, 7), torch.ScalarType.Float, 30_000));
        labels30k = place(Tensors.ofLongs(Inputs.labels(30_000, 80, 8), 30_000));
        iouA = place(Inputs.randomBoxes(20_000, 1088, 800, 9));
        iouB = place(Inputs.randomBoxes(50, 1088, 800, 10));
    }

    /** On CUDA runs, moves a setup tensor to the GPU (the CPU path's inputs stay put). */
    private Tensor place(Tensor t) {
        return cuda ? t.cuda() : t;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        scope.close();
    }

    @Benchmark
    public long dwWeightingBatch2() {
        try (TensorScope s = TensorScope.open()) {
            long pairs = 0;
            // The loss's call: one batch (the kernels launch once for it; libtorch goes image by image).
            for (var a : assigner.assignBatch(grid, preds.subList(0, 2), gts.subList(0, 2))) {
                pairs += a.numPairs();
            }
            sync();
            return pairs;
        }
    }

    @Benchmark
    public long nms5000() {
        return runNms(boxes5k, scores5k, labels5k);
    }

    @Benchmark
    public long nms30000() {
        return runNms(boxes30k, scores30k, labels30k);
    }

    private long runNms(Tensor boxes, Tensor scores, Tensor labels) {
        try (TensorScope s = TensorScope.open()) {
            boolean toHost = cuda && nms instanceof CpuNms;
            Tensor kept = toHost ? nms.batchedNms(boxes.cpu(), scores.cpu(), labels.cpu(), 0.6) : nms.batchedNms(boxes, scores, labels, 0.6);
            sync();
            return kept.numel();
        }
    }

    @Benchmark
    public long pairwiseIou20000x50() {
        try (TensorScope s = TensorScope.open()) {
            long n = pairwiseIou.apply(iouA, iouB).numel();
            sync();
            return n;
        }
    }

    private void sync() {
        if (cuda) {
            torch_cuda.getCurrentCUDAStream().synchronize();
        }
    }
}
