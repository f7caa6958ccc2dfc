package dev.dwjava.bench;

import java.util.concurrent.TimeUnit;

import dev.dwjava.core.box.CpuNms;
import dev.dwjava.core.box.Nms;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
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

/** Class-aware CPU NMS (IoU 0.6) over N boxes spread over 80 classes, as in post-processing. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Dorg.bytedeco.javacpp.maxPhysicalBytes=0"})
public class NmsBenchmark {
    @Param({"1000", "5000", "20000"})
    public int numBoxes;

    private final Nms nms = new CpuNms();
    private TensorScope scope;
    private Tensor boxes, scores, labels;

    @Setup(Level.Trial)
    public void setUp() {
        Torch.init();
        scope = TensorScope.open();
        // Boxes concentrated in a 400×300 region so that many overlap, as candidates around objects do.
        boxes = Inputs.randomBoxes(numBoxes, 400, 300, 3);
        scores = Tensors.of(Inputs.uniform(numBoxes, 4), ScalarType.Float, numBoxes);
        labels = Tensors.ofLongs(Inputs.labels(numBoxes, 80, 5), numBoxes);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        scope.close();
    }

    @Benchmark
    public long batchedNms() {
        try (TensorScope s = TensorScope.open()) {
            return nms.batchedNms(boxes, scores, labels, 0.6).numel();
        }
    }
}
