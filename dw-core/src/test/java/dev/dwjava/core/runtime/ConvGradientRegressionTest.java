package dev.dwjava.core.runtime;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Regression test for the oneDNN defect of libtorch 2.10.0 / 2.7.1 (JAVACPP_NOTES.md): the input gradient of 3×3
 * convs with few output channels (FCOS conv_reg, objectness) was wrong on AVX-512 CPUs. The float32 input gradient
 * (oneDNN) must agree with the transposed convolution of the output gradient computed in float64, which libtorch runs
 * on its own native kernels, not oneDNN's (comparing two float32 paths would compare oneDNN with itself).
 */
class ConvGradientRegressionTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 4, 8, 80})
    void inputGradientEqualsTransposedConvolution(int outChannels) {
        Torch.init();
        try (TensorScope scope = TensorScope.open()) {
            torch.manual_seed(outChannels);
            Tensor x = torch.randn(2, 64, 24, 32).requires_grad_(true);
            // Weight and bias require grad as in training: backward then asks oneDNN for all three gradients at once.
            Tensor w = torch.randn(outChannels, 64, 3, 3).requires_grad_(true);
            Tensor b = torch.randn(outChannels).requires_grad_(true);
            Tensor y = torch.conv2d(x, w, new TensorOptional(b), new long[] {1, 1}, new long[] {1, 1}, new long[] {1, 1}, 1);
            Tensor g = torch.randn(y.shape());
            y.mul(g).sum().backward();
            Tensor expected = torch.conv_transpose2d(g.to(ScalarType.Double), w.detach().to(ScalarType.Double), new TensorOptional(),
                    new long[] {1, 1}, new long[] {1, 1}, new long[] {0, 0}, 1, new long[] {1, 1});
            double err = x.grad().to(ScalarType.Double).sub(expected).abs().max().item_double();
            double scale = expected.abs().max().item_double();
            assertTrue(err <= 1e-4 * scale, "conv input gradient off by " + err / scale + " (relative) with "
                    + outChannels + " output channels; libtorch " + Torch.init().pytorchVersion());
        }
    }
}
