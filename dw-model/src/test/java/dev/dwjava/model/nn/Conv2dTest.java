package dev.dwjava.model.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dwjava.core.runtime.Autocast;
import dev.dwjava.core.runtime.ComputeDevice;
import dev.dwjava.core.runtime.Precision;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link Conv2d} around libtorch's own convolution. */
class Conv2dTest {
    @BeforeAll
    static void init() {
        Torch.init();
    }

    /**
     * Under CPU bf16 autocast, a 3×3 stride-2 convolution of a 1×1 map (the FPN's P7 conv on a small image): libtorch
     * returns uninitialised memory as its weight gradient on CPUs with AVX-512 BF16. Ours must be finite, the same on
     * every run, and within bf16 rounding (1%) of the fp32 gradient.
     */
    @Test
    void bf16WeightGradientOfAOnePixelMapIsRight() {
        torch.manual_seed(1);
        Conv2d conv = new Conv2d(16, 16, 3, 2, 1, true);
        Tensor x = torch.randn(2, 16, 1, 1).relu();
        Tensor dy = torch.randn(2, 16, 1, 1);
        conv.forward(x).mul(dy).sum().backward();
        Tensor exact = conv.weight.grad().clone();
        double scale = exact.abs().max().item_double();
        assertTrue(scale > 0);
        for (int run = 0; run < 8; run++) {
            conv.weight.grad().zero_();
            try (Autocast a = Autocast.enter(Precision.BF16, ComputeDevice.CPU)) {
                Tensor y = conv.forward(x);
                assertTrue(y.scalar_type().value == torch.ScalarType.BFloat16.value, "the output is bf16, as autocast's");
                y.to(torch.ScalarType.Float).mul(dy).sum().backward();
            }
            double diff;
            try (NoGradGuard g = new NoGradGuard()) {
                diff = conv.weight.grad().sub(exact).abs().max().item_double();
            }
            assertTrue(diff <= 0.01 * scale, "run " + run + ": bf16 weight gradient differs by " + diff + " at scale "
                    + scale + " " + Tensors.shapeOf(exact));
        }
    }
}
