package dev.dwjava.train.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import dev.dwjava.core.dw.DwLoss;
import dev.dwjava.core.runtime.Autocast;
import dev.dwjava.core.runtime.ComputeDevice;
import dev.dwjava.core.runtime.Precision;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.data.loader.DetectionBatch;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.ModelConfig;
import dev.dwjava.model.head.HeadOutputs;
import dev.dwjava.model.weights.WeightLoader;
import dev.dwjava.train.app.TrainRunnerTest;
import dev.dwjava.train.config.DwConfig;
import dev.dwjava.train.solver.LossScaler;
import dev.dwjava.train.solver.LrSchedule;
import dev.dwjava.train.solver.Optimizer;
import dev.dwjava.train.solver.Sgd;
import dev.dwjava.train.solver.SolverConfig;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code runtime.amp}: the autocast forward, its closeness to fp32, and the fp16 loss scaler's skip-and-adapt rule. */
class MixedPrecisionTest {
    private static final ModelConfig TINY = new ModelConfig(18, 8, 1, 16, 16, 1, 4, 3, true, false);
    private static final SolverConfig SOLVER = new SolverConfig(0.01, 2, 0.9, 1e-4, 0, 5, 0.1, List.of(1), 0.1, 2, 0);

    @BeforeAll
    static void init() {
        Torch.init();
    }

    private static DwDetector model() {
        torch.manual_seed(3);
        return new DwDetector(TINY);
    }

    private static Trainer trainer(DwDetector model, Optimizer sgd) {
        return trainer(model, sgd, 0);
    }

    private static Trainer trainer(DwDetector model, Optimizer sgd, long startIter) {
        return new Trainer(model, new DwLoss(), sgd, new LrSchedule(SOLVER.scaledLr(2), SOLVER), 0, 1, 10, 0, startIter);
    }

    private static Sgd sgd(DwDetector model) {
        return new Sgd(Sgd.groups(WeightLoader.stateOf(model), 1e-4, 0), 0.9);
    }

    /** The trainable gradients after a step, by name, copied to fp64. */
    private static Map<String, double[]> grads(Optimizer sgd) {
        Map<String, double[]> out = new java.util.LinkedHashMap<>();
        for (Optimizer.Param p : sgd.params()) {
            Tensor g = p.tensor().grad();
            if (g != null && g.defined()) {
                out.put(p.name(), Tensors.toDoubles(g.to(ScalarType.Double)));
            }
        }
        return out;
    }

    @Test
    void autocastRunsConvolutionsInBf16AndRestoresTheThreadState() {
        DwDetector model = model();
        Tensor images = TrainerTestData.batch(new Random(1), 1).images();
        assertFalse(torch.is_autocast_enabled(DeviceType.CPU));
        HeadOutputs out;
        try (Autocast a = Autocast.enter(Precision.BF16, ComputeDevice.CPU)) {
            assertTrue(torch.is_autocast_enabled(DeviceType.CPU));
            out = model.forward(images);
        }
        assertFalse(torch.is_autocast_enabled(DeviceType.CPU), "autocast stays on after the block");
        assertEquals(ScalarType.BFloat16.value, out.level(0).clsLogits().scalar_type().value, "the head's last conv ran in bf16");
        HeadOutputs f = out.toFloat();
        assertEquals(ScalarType.Float.value, f.level(0).distances().scalar_type().value);
        assertEquals(ScalarType.Float.value, model.forward(images).level(0).clsLogits().scalar_type().value,
                "fp32 outside the block");
        for (Tensor p : model.parameterList()) {
            assertEquals(ScalarType.Float.value, p.scalar_type().value, "the weights stay fp32 masters");
        }
    }

    /**
     * One bf16 step against one fp32 step from the same weights on the same batch. bf16 keeps 8 significant bits (unit
     * roundoff 2^-9 ≈ 0.2%); the convolutions accumulate in fp32 and the loss runs in fp32, so the loss terms carry
     * about one input rounding: they must agree within 1% (measured: ≤ 0.3%). The gradients go back through every
     * layer in bf16, and in the backbone of a randomly initialised model they are small sums of cancelling terms, so
     * their relative error grows with depth: over all gradients together the direction must agree (cosine ≥ 0.99,
     * measured 0.9993) with the norm within 5% (measured 0.5%); per tensor, the head and neck (closest to the loss) have
     * cosine ≥ 0.99 (measured ≥ 0.995) with norms within 10% (measured ≤ 6%, the P3 scale: one number summing many
     * cancelling terms), the backbone cosine ≥ 0.85 (measured ≥ 0.93, the first trainable stage) with norms within 25%
     * (measured ≤ 16%). A step whose gradients missed the fp32 weights, or whose forward did not run in
     * bf16, fails these (the second is also checked directly above).
     */
    @Test
    void aBf16StepIsCloseToTheFp32Step() {
        DetectionBatch batch = TrainerTestData.batch(new Random(7), 2);
        DwDetector a = model(), b = model();
        Sgd sa = sgd(a), sb = sgd(b);
        StepResult fp32 = trainer(a, sa).step(batch, 0, 0);
        StepResult bf16 = trainer(b, sb).withPrecision(Precision.BF16).step(batch, 0, 0);
        double[][] terms = {{fp32.clsPos(), bf16.clsPos()}, {fp32.loc(), bf16.loc()}, {fp32.clsNeg(), bf16.clsNeg()}};
        for (double[] t : terms) {
            assertTrue(Math.abs(t[1] - t[0]) <= 0.01 * Math.abs(t[0]), "loss term fp32 " + t[0] + " vs bf16 " + t[1]);
        }
        assertTrue(fp32.total() != bf16.total(), "the bf16 step must differ from fp32 (else autocast did not run)");
        Map<String, double[]> ga = grads(sa), gb = grads(sb);
        assertEquals(ga.keySet(), gb.keySet());
        double dotAll = 0, nxAll = 0, nyAll = 0;
        for (String k : ga.keySet()) {
            double[] x = ga.get(k), y = gb.get(k);
            double dot = 0, nx = 0, ny = 0;
            for (int i = 0; i < x.length; i++) {
                dot += x[i] * y[i];
                nx += x[i] * x[i];
                ny += y[i] * y[i];
            }
            dotAll += dot;
            nxAll += nx;
            nyAll += ny;
            assertEquals(nx == 0, ny == 0, k + ": a gradient vanished in one (fp32 norm² " + nx + ", bf16 " + ny + ")");
            if (nx == 0) {
                continue;   // (the scale of a level without positives)
            }
            double cos = dot / Math.sqrt(nx * ny), ratio = Math.sqrt(ny / nx);
            boolean backbone = k.startsWith("backbone.");
            assertTrue(cos >= (backbone ? 0.85 : 0.99), k + ": cosine " + cos);
            assertTrue(Math.abs(ratio - 1) <= (backbone ? 0.25 : 0.10), k + ": norm ratio " + ratio);
        }
        double cosAll = dotAll / Math.sqrt(nxAll * nyAll);
        assertTrue(cosAll >= 0.99, "all gradients: cosine " + cosAll);
        assertTrue(Math.abs(Math.sqrt(nyAll / nxAll) - 1) <= 0.05, "all gradients: norm ratio " + Math.sqrt(nyAll / nxAll));
        assertEquals(fp32.gradNorm(), bf16.gradNorm(), 0.05 * fp32.gradNorm());
        System.out.printf("bf16 vs fp32 step: loss terms %s, gradient cosine %.5f, norm ratio %.5f%n",
                java.util.Arrays.deepToString(terms), cosAll, Math.sqrt(nyAll / nxAll));
    }

    /**
     * The scaler's rule inside the trainer: a scale so large that the scaled loss overflows fp32 makes every gradient
     * non-finite; those steps are skipped (the weights and momentum do not move), each lowers the scale, and the first
     * finite step then updates the weights exactly as an unscaled step would (the scales are powers of two, so scaling
     * and unscaling are exact). Two finite steps in a row then double the scale.
     */
    @Test
    void theLossScalerSkipsOverflowingStepsLowersTheScaleAndThenStepsExactly() {
        DwDetector scaled = model(), plain = model();
        Sgd ss = sgd(scaled), sp = sgd(plain);
        LossScaler scaler = new LossScaler(Math.pow(2, 200), 2, Math.pow(2, -32), 2);
        Trainer ts = trainer(scaled, ss).withLossScaler(scaler), tp = trainer(plain, sp, 3);   // (the same warmup lr)
        Map<String, Tensor> before = copy(scaled);
        List<Double> scales = new ArrayList<>();
        List<Boolean> skipped = new ArrayList<>();
        DetectionBatch batch = TrainerTestData.batch(new Random(11), 2);
        for (int k = 0; k < 3; k++) {
            StepResult r = ts.step(batch, 0, 0);
            scales.add(r.lossScale());
            skipped.add(r.skipped());
            assertFalse(Double.isFinite(r.gradNorm()), "2^" + (200 - 32 * k) + " overflows fp32");
            assertTrue(Double.isFinite(r.total()), "the logged loss is the unscaled one");
        }
        assertEquals(List.of(Math.pow(2, 200), Math.pow(2, 168), Math.pow(2, 136)), scales);
        assertEquals(List.of(true, true, true), skipped);
        assertEquals(3, scaler.skipped());
        assertEquals(3, ts.iteration(), "skipped steps still count as iterations (the schedule moves on)");
        assertSame(before, copy(scaled), "skipped steps leave the weights alone");
        assertTrue(ss.state().isEmpty() || ss.state().values().stream().allMatch(t -> t.abs().sum().item_double() == 0),
                "and the momentum");

        // 2^104: the scaled gradients are finite. The step equals the unscaled one bit for bit.
        StepResult first = ts.step(batch, 0, 0);
        StepResult reference = tp.step(batch, 0, 0);
        assertFalse(first.skipped());
        assertEquals(Math.pow(2, 104), first.lossScale());
        assertEquals(reference.gradNorm(), first.gradNorm(), 0.0);
        assertEquals(reference.total(), first.total(), 0.0);
        assertSame(copy(plain), copy(scaled), "a finite scaled step is the unscaled step");
        assertEquals(Math.pow(2, 104), scaler.scale(), "one finite step: not yet grown");
        ts.step(batch, 0, 0);
        assertEquals(Math.pow(2, 105), scaler.scale(), "the growth interval (2) of finite steps doubles the scale");
        assertEquals(new LossScaler.State(Math.pow(2, 105), 0), scaler.state());
    }

    @Test
    void theScalerStateRoundTripsAndRefusesNonsense() {
        LossScaler s = LossScaler.dynamic();
        assertEquals(65536, s.scale());
        assertFalse(s.update(false));
        assertEquals(32768, s.scale());
        assertTrue(s.update(true));
        assertEquals(new LossScaler.State(32768, 1), s.state());
        LossScaler t = LossScaler.dynamic();
        t.restore(s.state());
        assertEquals(s.state(), t.state());
        assertThrows(IllegalArgumentException.class, () -> t.restore(new LossScaler.State(0, 0)));
        assertThrows(IllegalArgumentException.class, () -> new LossScaler(1, 1, 0.5, 10));
    }

    @Test
    void theConfigTakesOffBf16AndAutoAndRefusesFp16OnACpu() {
        assertEquals(Precision.OFF, load().runtime().precision(), "absent: off");
        assertEquals(Precision.BF16, load("runtime.amp=bf16").runtime().precision());
        assertEquals(Precision.BF16, load("runtime.amp=auto").runtime().precision(), "--amp alone on a CPU");
        assertEquals(Precision.OFF, load("runtime.amp=off").runtime().precision());
        IllegalArgumentException fp16 = assertThrows(IllegalArgumentException.class, () -> load("runtime.amp=fp16"));
        assertTrue(fp16.getMessage().contains("runtime.amp: fp16 needs a CUDA device"), fp16.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> load("runtime.amp=fp8"));
        assertTrue(bad.getMessage().contains("runtime.amp must be off, bf16, fp16 or auto, found 'fp8'"), bad.getMessage());
        assertEquals(Precision.FP16, Precision.parse("auto", new ComputeDevice(true, 0)), "--amp alone on a GPU");
    }

    private static DwConfig load(String... overrides) {
        return DwConfig.load(TrainRunnerTest.quickstartConfig(), List.of(overrides)).config();
    }

    private static Map<String, Tensor> copy(DwDetector model) {
        Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        WeightLoader.stateOf(model).forEach((k, v) -> out.put(k, v.clone()));
        return out;
    }

    private static void assertSame(Map<String, Tensor> a, Map<String, Tensor> b, String what) {
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            assertTrue(a.get(k).equal(b.get(k)), what + ": " + k + " differs");
        }
    }
}
