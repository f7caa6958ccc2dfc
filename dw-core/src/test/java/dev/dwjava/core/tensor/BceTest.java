package dev.dwjava.core.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** PyTorch BCE semantics: the −100 log clamp and libtorch's backward (p − y)/max(p(1 − p), 1e-12f). */
class BceTest {

    @BeforeAll
    static void init() {
        Torch.init();
    }

    @Test
    void valuesWithLogClamp() {
        try (TensorScope scope = TensorScope.open()) {
            Tensor p = Tensors.of(new double[] {0.25, 0.5, 0.0, 1.0, 1e-50}, ScalarType.Double, 5);
            assertArrayEquals(new double[] {-Math.log(0.25), Math.log(2), 100, 0, 100}, Tensors.toDoubles(Bce.positive(p)), 1e-12);
            assertArrayEquals(new double[] {-Math.log(0.75), Math.log(2), 0, 100, 1e-50}, Tensors.toDoubles(Bce.negative(p)), 1e-12);
        }
    }

    @Test
    void gradientIsLibtorchsClampedQuotient() {
        try (TensorScope scope = TensorScope.open()) {
            Tensor p = Tensors.of(new double[] {0.25, 0.9, 1e-14}, ScalarType.Double, 3).requires_grad_(true);
            Bce.positive(p).sum().backward();
            // (p − 1)/max(p(1 − p), 1e-12f); the last entry hits the clamp: p(1−p) ≈ 1e-14 < 1e-12.
            double clamp = (double) 1e-12f;
            assertArrayEquals(new double[] {-0.75 / (0.25 * 0.75), -0.1 / (0.9 * 0.1), (1e-14 - 1) / clamp},
                    Tensors.toDoubles(p.grad()), 1e-9);
        }
    }
}
