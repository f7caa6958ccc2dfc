package dev.dwjava.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.dwjava.core.dw.DwLoss;
import dev.dwjava.core.dw.GroundTruth;
import dev.dwjava.core.dw.ImagePredictions;
import dev.dwjava.core.dw.TorchDwAssigner;
import dev.dwjava.core.point.PointGrid;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import org.bytedeco.pytorch.Tensor;
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
 * The DW assignment, and assignment + loss forward + backward, for a batch of 2 images at 800×1088
 * (P = 17,952 points per image), C = 80, G GTs per image, float32, on the threads of {@code dw.threads}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dorg.bytedeco.javacpp.maxPhysicalBytes=0"})
public class DwLossBenchmark {
    @Param({"7", "50", "200"})
    public int numGt;

    private TensorScope scope;
    private PointGrid grid;
    private final List<ImagePredictions> preds = new ArrayList<>();
    private final List<GroundTruth> gts = new ArrayList<>();
    private final TorchDwAssigner assigner = new TorchDwAssigner();
    private final DwLoss loss = new DwLoss();

    @Setup(Level.Trial)
    public void setUp() {
        Torch.init();
        scope = TensorScope.open();
        Inputs.DwBatch batch = Inputs.dwBatch(numGt, true, t -> t);
        grid = batch.grid();
        preds.addAll(batch.predictions());
        gts.addAll(batch.gts());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        scope.close();
    }

    @Benchmark
    public long assignmentOnly() {
        try (TensorScope s = TensorScope.open()) {
            long pairs = 0;
            for (int b = 0; b < 2; b++) {
                pairs += assigner.assign(grid, preds.get(b), gts.get(b)).numPairs();
            }
            return pairs;
        }
    }

    @Benchmark
    public double lossForwardBackward() {
        try (TensorScope s = TensorScope.open()) {
            Tensor total = loss.compute(grid, preds, gts).total();
            total.backward();
            for (ImagePredictions p : preds) {        // keep gradients from accumulating across invocations
                p.clsLogits().grad().zero_();
                p.distances().grad().zero_();
                p.objLogits().grad().zero_();
            }
            return total.item_double();
        }
    }
}
