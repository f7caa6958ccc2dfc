package dev.dwjava.train.solver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.ModelConfig;
import dev.dwjava.model.weights.WeightLoader;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link ExpMomentumEma} against a hand computation of mmdetection's ExpMomentumEMA rule. */
class ExpMomentumEmaTest {
    private static final ModelConfig TINY = new ModelConfig(18, 8, 1, 16, 16, 1, 4, 3, true, false);

    @BeforeAll
    static void init() {
        Torch.init();
    }

    /** Sets every floating tensor of {@code model} to {@code value + i·1e-3} (i: its index), buffers included. */
    private static void fill(DwDetector model, double value) {
        try (NoGradGuard g = new NoGradGuard()) {
            int i = 0;
            for (Tensor t : WeightLoader.stateOf(model).values()) {
                if (t.is_floating_point()) {
                    t.fill_(Tensors.s(value + 1e-3 * i));
                }
                i++;
            }
        }
    }

    private static double valueOf(Map<String, Tensor> state, String name) {
        double[] v = Tensors.toDoubles(state.get(name).to(ScalarType.Double));
        for (double x : v) {
            assertEquals(v[0], x, 0.0, name + " is not uniform");
        }
        return v[0];
    }

    /**
     * Momentum 0.1, gamma 3, interval 2, the source weights w_s = 1, 2, 4, 8, 16 at updates s = 0..4 (+ a per-tensor
     * offset). By hand: s=0 copies (a = w0); s=1 only counts; s=2: a = (1 − m2)·a + m2·w2; s=3 counts; s=4 likewise with
     * m4, where m_s = 0.9·exp(−(1 + s)/3) + 0.1. Buffers (running mean and variance) are copied at every update.
     */
    @Test
    void followsTheExpMomentumRuleWithItsIntervalAndCopiesBuffers() {
        DwDetector source = new DwDetector(TINY);
        try (ExpMomentumEma ema = new ExpMomentumEma(source, 0.1, 3, 2, false)) {
            double[] w = {1, 2, 4, 8, 16};
            String param = "bbox_head.conv_cls.weight", buffer = "backbone.bn1.running_mean";
            Map<String, Tensor> src = WeightLoader.stateOf(source);
            int paramIndex = List.copyOf(src.keySet()).indexOf(param), bufferIndex = List.copyOf(src.keySet()).indexOf(buffer);
            assertTrue(paramIndex >= 0 && bufferIndex >= 0, "the names exist: " + src.keySet());
            double expected = 0;
            for (int s = 0; s < w.length; s++) {
                fill(source, w[s]);
                ema.update();
                double ws = w[s] + 1e-3 * paramIndex;
                if (s == 0) {
                    expected = ws;
                } else if (s % 2 == 0) {
                    double m = 0.9 * Math.exp(-(1.0 + s) / 3) + 0.1;
                    assertEquals(m, ema.momentumAt(s), 1e-15);
                    expected = (1 - m) * expected + m * ws;
                }
                Map<String, Tensor> avg = ema.state();
                assertEquals(expected, valueOf(avg, param), 2e-6 * expected, "parameter after update " + s);
                assertEquals(w[s] + 1e-3 * bufferIndex, valueOf(avg, buffer), 1e-6, "buffer after update " + s);
            }
            assertEquals(5, ema.steps());
            // by hand: a2 = (1 − m2)·1.0xx + m2·4.0xx; a4 = (1 − m4)·a2 + m4·16.0xx, with m2 ≈ 0.4311, m4 ≈ 0.2700
            double m2 = 0.9 * Math.exp(-1.0) + 0.1, m4 = 0.9 * Math.exp(-5.0 / 3) + 0.1;
            assertEquals(0.43109, m2, 1e-5);
            assertEquals(0.26999, m4, 1e-5);
        }
    }

    @Test
    void updateBuffersAveragesFloatingBuffersAndTheModelStartsAsTheSource() {
        DwDetector source = new DwDetector(TINY);
        fill(source, 3);
        try (ExpMomentumEma ema = new ExpMomentumEma(source, 0.5, 1e9, 1, true)) {
            Map<String, Tensor> src = WeightLoader.stateOf(source), avg = ema.state();
            for (String k : src.keySet()) {
                assertTrue(src.get(k).equal(avg.get(k)), k + ": the average starts as a copy");
            }
            ema.update();   // copies
            fill(source, 5);
            ema.update();   // m = 0.5·exp(−2e-9) + 0.5 ≈ 1 − 1e-9: a → 5.0xx
            String buffer = "backbone.bn1.running_var";
            int idx = List.copyOf(src.keySet()).indexOf(buffer);
            assertEquals(5 + 1e-3 * idx, valueOf(ema.state(), buffer), 1e-5, "averaged, not copied, with update_buffers");
            assertEquals(0, ema.model().trainableParameterCount(), "the average is not trained");
        }
        assertThrows(IllegalArgumentException.class, () -> new ExpMomentumEma(source, 1.5, 2000, 1, false));
        assertThrows(IllegalArgumentException.class, () -> new ExpMomentumEma(source, 0.1, 2000, 0, false));
    }
}
