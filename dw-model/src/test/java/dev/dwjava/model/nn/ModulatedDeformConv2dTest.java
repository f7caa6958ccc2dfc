package dev.dwjava.model.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Map;

import dev.dwjava.core.ScopedTensors;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.model.Fixtures;
import dev.dwjava.model.weights.TorchFile;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * DCNv2 against torchvision's deform_conv2d (fixtures/dcn_cases.pth, made by make_dcn_fixtures.py in float64): output
 * and the gradients of input, offsets, mask logits, weight and bias, with taps inside, across and outside the map.
 */
@ExtendWith(ScopedTensors.class)
class ModulatedDeformConv2dTest {

    @ParameterizedTest
    @ValueSource(strings = {"s1_", "s2_"})
    void outputAndGradientsMatchTorchvision(String prefix) throws IOException {
        Map<String, Tensor> c = TorchFile.loadStateDict(Fixtures.path("dcn_cases.pth"));
        int stride = prefix.equals("s1_") ? 1 : 2;
        Tensor x = c.get(prefix + "x").clone().requires_grad_(true);
        Tensor weight = c.get(prefix + "weight").clone().requires_grad_(true);
        Tensor bias = c.get(prefix + "bias").clone().requires_grad_(true);
        Tensor offset = c.get(prefix + "offset").clone().requires_grad_(true);
        Tensor maskLogits = c.get(prefix + "mask_logits").clone().requires_grad_(true);
        Tensor y = ModulatedDeformConv2d.deform(x, offset, maskLogits.sigmoid(), weight, bias, stride, 1);
        assertClose(c.get(prefix + "y"), y, "output");
        y.mul(c.get(prefix + "g")).sum().backward();
        assertClose(c.get(prefix + "grad_x"), x.grad(), "input gradient");
        assertClose(c.get(prefix + "grad_offset"), offset.grad(), "offset gradient");
        assertClose(c.get(prefix + "grad_mask_logits"), maskLogits.grad(), "mask gradient");
        assertClose(c.get(prefix + "grad_weight"), weight.grad(), "weight gradient");
        assertClose(c.get(prefix + "grad_bias"), bias.grad(), "bias gradient");
    }

    @Test
    void freshLayerIsHalfAPlainConvolution() {
        // conv_offset starts at zero: no offsets and mask sigmoid(0) = 1/2 everywhere, so the layer is 0.5·conv + bias.
        try (NoGradGuard g = new NoGradGuard()) {
            torch.manual_seed(3);
            ModulatedDeformConv2d dcn = new ModulatedDeformConv2d(6, 5, 2, true);
            dcn.bias.uniform_(-1, 1, new org.bytedeco.pytorch.GeneratorOptional());
            Tensor x = torch.randn(2, 6, 11, 10);
            Tensor plain = torch.conv2d(x, dcn.weight, new TensorOptional(), new long[] {2, 2}, new long[] {1, 1},
                    new long[] {1, 1}, 1).mul(Tensors.s(0.5)).add(dcn.bias.view(1, 5, 1, 1));
            assertClose(plain, dcn.forward(x), "fresh DCN vs conv");
        }
    }

    private static void assertClose(Tensor expected, Tensor got, String what) {
        assertTrue(java.util.Arrays.equals(expected.shape(), got.shape()), what + " shape");
        double scale = Math.max(1, expected.abs().max().item_double());
        double err = expected.sub(got.to(expected.scalar_type())).abs().max().item_double();
        double tol = Tensors.hasType(got, torch.ScalarType.Double) ? 1e-10 : 1e-5;
        assertTrue(err <= tol * scale, what + ": max abs difference " + err + " (scale " + scale + ")");
    }
}
