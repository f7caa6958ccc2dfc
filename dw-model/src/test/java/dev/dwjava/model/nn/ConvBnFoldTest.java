package dev.dwjava.model.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link Conv2d#forward(Tensor, FrozenBatchNorm2d)}, the convolution with the frozen norm folded in, against convolving
 * then normalising: outputs and the gradients of the input, the conv weight and the norm's γ and β agree to float
 * rounding (relative 1e-5 of each tensor's largest value; the fold changes only the order of the multiplications).
 */
class ConvBnFoldTest {
    @BeforeAll
    static void init() {
        Torch.init();
    }

    private static void assertClose(Tensor expected, Tensor actual, String what) {
        double scale = expected.abs().max().item_double(), diff = expected.sub(actual).abs().max().item_double();
        assertTrue(diff <= 1e-5 * scale, what + ": max difference " + diff + " at scale " + scale);
        assertTrue(scale > 0, what + " is all zero");
    }

    @Test
    void foldedEqualsConvThenNorm() {
        torch.manual_seed(4);
        for (int k : new int[] {1, 3}) {
            Conv2d conv = new Conv2d(8, 16, k, k == 3 ? 2 : 1, k / 2, false);
            FrozenBatchNorm2d bn = new FrozenBatchNorm2d(16);
            try (NoGradGuard g = new NoGradGuard()) {
                conv.weight.copy_(torch.randn(16, 8, k, k).mul(Tensors.s(0.2)));
                bn.weight.copy_(torch.rand(16).add(Tensors.s(0.5)));
                bn.bias.copy_(torch.randn(16));
                bn.runningMean.copy_(torch.randn(16));
                bn.runningVar.copy_(torch.rand(16).add(Tensors.s(0.1)));
            }
            Tensor x = torch.randn(2, 8, 12, 10).requires_grad_(true);
            Tensor ref = bn.forward(conv.forward(x));
            Tensor probe = torch.randn(ref.sizes().vec().get());
            ref.mul(probe).sum().backward();
            Tensor[] expected = {ref.detach().clone(), x.grad().clone(), conv.weight.grad().clone(), bn.weight.grad().clone(),
                bn.bias.grad().clone()};
            for (Tensor t : new Tensor[] {x, conv.weight, bn.weight, bn.bias}) {
                t.grad().zero_();
            }
            Tensor folded = conv.forward(x, bn);
            folded.mul(probe).sum().backward();
            Tensor[] actual = {folded.detach(), x.grad(), conv.weight.grad(), bn.weight.grad(), bn.bias.grad()};
            String[] names = {"output", "input gradient", "weight gradient", "γ gradient", "β gradient"};
            for (int i = 0; i < names.length; i++) {
                assertClose(expected[i], actual[i], k + "×" + k + " " + names[i]);
            }
        }
    }
}
