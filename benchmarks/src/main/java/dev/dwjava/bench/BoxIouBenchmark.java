package dev.dwjava.bench;

import java.util.concurrent.TimeUnit;

import dev.dwjava.core.box.BoxOps;
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

/** Pairwise IoU and GIoU of P = 20,000 predicted boxes against G ground-truth boxes (float32, CPU). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Dorg.bytedeco.javacpp.maxPhysicalBytes=0"})
public class BoxIouBenchmark {
    @Param({"7", "50", "200"})
    public int numGt;

    private TensorScope scope;
    private Tensor points, gts;

    @Setup(Level.Trial)
    public void setUp() {
        Torch.init();
        scope = TensorScope.open();
        points = Inputs.randomBoxes(20_000, 1333, 800, 1);
        gts = Inputs.randomBoxes(numGt, 1333, 800, 2);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        scope.close();
    }

    @Benchmark
    public double pairwiseIou() {
        try (TensorScope s = TensorScope.open()) {
            return BoxOps.pairwiseIou(points, gts).sum().item_double();
        }
    }

    @Benchmark
    public double pairwiseGiou() {
        try (TensorScope s = TensorScope.open()) {
            return BoxOps.pairwiseGiou(points, gts).sum().item_double();
        }
    }
}
