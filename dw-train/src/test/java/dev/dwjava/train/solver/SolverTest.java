package dev.dwjava.train.solver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.SGD;
import org.bytedeco.pytorch.SGDOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The schedule against hand-computed values and our SGD against libtorch's own optimizer. */
class SolverTest {
    private static final SolverConfig ONE_X = new SolverConfig(0.01, 16, 0.9, 1e-4, 0, 1000, 0.001, List.of(8, 11), 0.1, 12, 0);

    @BeforeAll
    static void init() {
        Torch.init();
    }

    @Test
    void warmupAndStepsFollowMmcv() {
        LrSchedule s = new LrSchedule(0.01, ONE_X);
        assertEquals(1e-5, s.lr(0, 0), 1e-18);                           // 0.01 · 0.001
        assertEquals(0.01 * (1 - 0.5 * 0.999), s.lr(500, 0), 1e-15);
        assertEquals(0.01, s.lr(1000, 0), 0);
        assertEquals(0.01, s.lr(60_000, 7), 0);
        assertEquals(0.001, s.lr(60_000, 8), 1e-15);
        assertEquals(0.0001, s.lr(80_000, 11), 1e-16);
    }

    @Test
    void learningRateScalesLinearlyWithTheTotalBatch() {
        assertEquals(0.0025, ONE_X.scaledLr(4), 1e-15);
        assertEquals(0.01, ONE_X.scaledLr(16), 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SolverConfig(0.01, 16, 0.9, 1e-4, 0, 10, 0, List.of(), 0.1, 12, 0));
        assertTrue(e.getMessage().contains("warmup_ratio in (0, 1]"), e.getMessage());
    }

    @Test
    void normLayersAreRecognisedByName() {
        assertTrue(Sgd.isNorm("backbone.bn1.weight"));
        assertTrue(Sgd.isNorm("backbone.layer1.0.bn3.bias"));
        assertTrue(Sgd.isNorm("backbone.layer2.0.downsample.1.weight"));
        assertTrue(Sgd.isNorm("bbox_head.cls_convs.0.gn.weight"));
        assertFalse(Sgd.isNorm("backbone.layer2.0.downsample.0.weight"));
        assertFalse(Sgd.isNorm("bbox_head.cls_convs.0.conv.bias"));
        assertFalse(Sgd.isNorm("bbox_head.scales.0.scale"));
    }

    @Test
    void sgdMatchesLibtorchsOptimizer() {
        try (TensorScope scope = TensorScope.open()) {
            torch.manual_seed(3);
            Tensor a = torch.randn(5, 3).to(ScalarType.Double).requires_grad_(true);
            Tensor b = a.detach().clone().requires_grad_(true);
            Tensor x = torch.randn(3, 4).to(ScalarType.Double);
            Sgd ours = new Sgd(List.of(new Sgd.Param("w", a, 1e-2)), 0.9);
            SGDOptions opts = new SGDOptions(0.05);
            opts.momentum().put(0.9);
            opts.weight_decay().put(1e-2);
            SGD reference = new SGD(new TensorVector(b), opts);
            for (int step = 0; step < 4; step++) {
                ours.zeroGrad();
                reference.zero_grad();
                a.matmul(x).sin().sum().backward();
                b.matmul(x).sin().sum().backward();
                ours.step(0.05);
                reference.step();
            }
            assertArrayEquals(Tensors.toDoubles(b), Tensors.toDoubles(a), 1e-15);
            Map<String, Tensor> state = ours.state();
            assertEquals(List.of("w"), List.copyOf(state.keySet()));
        }
    }

    @Test
    void gradientClippingScalesToTheMaxNorm() {
        try (TensorScope scope = TensorScope.open()) {
            Tensor w = Tensors.of(new double[] {1, 1}, ScalarType.Double, 2).requires_grad_(true);
            Sgd sgd = new Sgd(List.of(new Sgd.Param("w", w, 0)), 0.9);
            w.mul(Tensors.of(new double[] {3, 4}, ScalarType.Double, 2)).sum().backward();
            assertEquals(5.0, sgd.clipGradNorm(1.0), 1e-12);
            assertArrayEquals(new double[] {0.6, 0.8}, Tensors.toDoubles(w.grad()), 1e-6);
        }
    }
}
