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
import org.bytedeco.pytorch.AdamWOptions;
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
            assertEquals(5.0, sgd.clipGradNorm(1.0).item_double(), 1e-12);
            assertArrayEquals(new double[] {0.6, 0.8}, Tensors.toDoubles(w.grad()), 1e-6);
        }
    }

    @Test
    void cosineAnnealsPerIterationAfterTheWarmup() {
        SolverConfig cos = new SolverConfig(0.01, 16, 0.9, 1e-4, 0, 100, 0.001, List.of(8, 11), 0.1, 12, 0, "cosine", 0.05,
                null, null, null);
        LrSchedule s = new LrSchedule(0.01, cos, 1000);   // 12 000 iterations in all
        double min = 0.01 * 0.05;
        assertEquals(0.01 * 0.001, s.lr(0, 0), 1e-18);     // warmup multiplies the (still full) cosine lr
        assertEquals((1 - 0.5 * 0.999) * (min + (0.01 - min) * (1 + Math.cos(Math.PI * 50 / 12000.0)) / 2),
                s.lr(50, 0), 1e-16);
        assertEquals((0.01 + min) / 2, s.lr(6000, 6), 1e-16);   // halfway: the mean of the two ends
        assertEquals(min, s.lr(12000, 11), 1e-16);
        assertEquals(min + (0.01 - min) * (1 + Math.cos(Math.PI * 0.25)) / 2, s.lr(3000, 3), 1e-16);
        // The step epochs play no part in the cosine policy.
        assertTrue(s.lr(8000, 8) > s.lr(8001, 8) && s.lr(8001, 8) > 0.1 * s.lr(7999, 7));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LrSchedule(0.01, cos));
        assertTrue(e.getMessage().contains("iterations per epoch"), e.getMessage());
    }

    @Test
    void adamWMatchesLibtorchsOptimizer() {
        try (TensorScope scope = TensorScope.open()) {
            torch.manual_seed(5);
            Tensor a = torch.randn(6, 3).to(ScalarType.Double).requires_grad_(true);
            Tensor b = a.detach().clone().requires_grad_(true);
            Tensor start = a.detach().clone();
            Tensor x = torch.randn(3, 4).to(ScalarType.Double);
            AdamW ours = new AdamW(List.of(new Optimizer.Param("w", a, 0.05)), 0.8, 0.95, 1e-6);
            AdamWOptions opts = new AdamWOptions(0.003);
            // betas is a std::tuple<double, double>, which libstdc++ lays out last element first: β2 at 0, β1 at 1.
            opts.betas().put(0, 0.95).put(1, 0.8);
            opts.eps().put(1e-6);
            opts.weight_decay().put(0.05);
            org.bytedeco.pytorch.AdamW reference = new org.bytedeco.pytorch.AdamW(new TensorVector(b), opts);
            for (int step = 0; step < 5; step++) {
                ours.zeroGrad();
                reference.zero_grad();
                a.matmul(x).sin().sum().backward();
                b.matmul(x).sin().sum().backward();
                ours.step(0.003);
                reference.step();
            }
            assertArrayEquals(Tensors.toDoubles(b), Tensors.toDoubles(a), 1e-15);
            assertTrue(Tensors.toDoubles(a.sub(start).abs().max())[0] > 1e-3, "the weights moved");
            assertEquals(List.of("w.exp_avg", "w.exp_avg_sq", "w.step"), List.copyOf(ours.state().keySet()));
            assertEquals(5.0, ours.state().get("w.step").item_double(), 0);
        }
    }

    @Test
    void adamWStateRoundTripsAndContinuesIdentically() {
        try (TensorScope scope = TensorScope.open()) {
            torch.manual_seed(6);
            Tensor a = torch.randn(4).to(ScalarType.Double).requires_grad_(true);
            Tensor b = a.detach().clone().requires_grad_(true);
            AdamW first = new AdamW(List.of(new Optimizer.Param("w", a, 0.01)), 0.9, 0.999, 1e-8);
            for (int k = 0; k < 3; k++) {
                first.zeroGrad();
                a.pow(Tensors.s(3.0)).sum().backward();
                first.step(0.01);
            }
            // A second optimizer resumes from the first's state on a copy of the weights.
            try (org.bytedeco.pytorch.NoGradGuard g = new org.bytedeco.pytorch.NoGradGuard()) {
                b.copy_(a);
            }
            AdamW resumed = new AdamW(List.of(new Optimizer.Param("w", b, 0.01)), 0.9, 0.999, 1e-8);
            resumed.loadState(first.state());
            for (int k = 0; k < 2; k++) {
                first.zeroGrad();
                resumed.zeroGrad();
                a.pow(Tensors.s(3.0)).sum().backward();
                b.pow(Tensors.s(3.0)).sum().backward();
                first.step(0.01);
                resumed.step(0.01);
            }
            assertArrayEquals(Tensors.toDoubles(a), Tensors.toDoubles(b), 0);
            // SGD momentum buffers are not AdamW state, and the other way round: a clear error, not a silent restart.
            Sgd sgd = new Sgd(List.of(new Optimizer.Param("w", b, 0.01)), 0.9);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sgd.loadState(first.state()));
            assertTrue(e.getMessage().contains("'w.exp_avg'"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> resumed.loadState(Map.of("w", a)));
            assertTrue(e.getMessage().contains("not AdamW state"), e.getMessage());
        }
    }

    @Test
    void solverChoicesAreValidated() {
        SolverConfig paper = new SolverConfig(0.01, 16, 0.9, 1e-4, 0, 1000, 0.001, List.of(8, 11), 0.1, 12, 0);
        assertEquals("step", paper.policy());
        assertEquals("sgd", paper.optimizer());
        assertEquals(List.of(0.9, 0.999), paper.betas());
        assertEquals(1e-8, paper.eps());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SolverConfig(0.01, 16, 0.9, 1e-4, 0,
                1000, 0.001, List.of(), 0.1, 12, 0, "poly", null, null, null, null));
        assertEquals("solver: policy must be step or cosine, found 'poly'", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new SolverConfig(0.01, 16, 0.9, 1e-4, 0,
                1000, 0.001, List.of(), 0.1, 12, 0, null, null, "adam", null, null));
        assertEquals("solver: optimizer must be sgd or adamw, found 'adam'", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new SolverConfig(0.01, 16, 0.9, 1e-4, 0,
                1000, 0.001, List.of(), 0.1, 12, 0, null, null, "adamw", List.of(0.9), null));
        assertTrue(e.getMessage().startsWith("solver: betas must be two numbers"), e.getMessage());
        Map<String, Tensor> named = Map.of("backbone.conv1.weight", torch.zeros(2).requires_grad_(true));
        SolverConfig adamw = new SolverConfig(0.01, 16, 0.9, 1e-4, 0, 1000, 0.001, List.of(), 0.1, 12, 0, "cosine", null,
                "adamw", null, null);
        assertTrue(Optimizer.of(adamw, named) instanceof AdamW);
        assertTrue(Optimizer.of(paper, named) instanceof Sgd);
    }
}
