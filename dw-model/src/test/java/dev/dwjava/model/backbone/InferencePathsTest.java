package dev.dwjava.model.backbone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.model.nn.WinogradConv;
import dev.dwjava.model.weights.WeightLoader;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The backbone's two fast inference paths against the plain NCHW one, for bottleneck and basic blocks with random
 * batch-norm statistics: oneDNN's blocked layout (the same oneDNN convolutions, the accumulation maybe reordered) within
 * 1e-5 of each map's largest value, and channels-last with the 3×3 stride-1 convolutions by Winograd (each rounds about
 * 1e-5 of its output, 8–16 of them in a row) within 1e-4. Autograd still takes the NCHW path.
 */
class InferencePathsTest {
    @BeforeAll
    static void init() {
        Torch.init();
    }

    private static ResNet randomized(int depth) {
        torch.manual_seed(depth);
        ResNet net = new ResNet(depth, 8, 1, false);
        try (NoGradGuard g = new NoGradGuard()) {
            WeightLoader.stateOf(net).forEach((name, t) -> {
                if (name.endsWith("running_var")) {
                    t.copy_(torch.rand(t.sizes().vec().get()).add(Tensors.s(0.5)));
                } else if (name.endsWith("running_mean") || name.endsWith("bn1.bias") || name.endsWith("bn3.bias")) {
                    t.copy_(torch.randn(t.sizes().vec().get()).mul(Tensors.s(0.1)));
                }
            });
        }
        return net;
    }

    /** C3–C5 of {@code net} on {@code x} in inference, with the Winograd and blocked-layout paths as given. */
    private static List<Tensor> maps(ResNet net, Tensor x, boolean winograd, boolean blocked) {
        WinogradConv.setEnabled(winograd);
        ResNet.onednnLayout = blocked;
        try (NoGradGuard g = new NoGradGuard()) {
            return net.forward(x);
        } finally {
            WinogradConv.setEnabled(true);
            ResNet.onednnLayout = true;
        }
    }

    private static void assertSameMaps(List<Tensor> expected, List<Tensor> actual, double tolerance, String what) {
        assertEquals(3, actual.size());
        for (int l = 0; l < 3; l++) {
            Tensor a = expected.get(l), b = actual.get(l);
            assertFalse(b.is_mkldnn(), "C" + (l + 3) + " is handed on as a dense tensor");
            assertTrue(java.util.Arrays.equals(a.shape(), b.shape()), "C" + (l + 3) + " shape");
            double scale = a.abs().max().item_double(), diff = a.sub(b).abs().max().item_double();
            assertTrue(scale > 0 && diff <= tolerance * scale, what + " C" + (l + 3) + ": " + diff + " at " + scale);
        }
    }

    @Test
    void sameMapsAsTheNchwPath() {
        for (int depth : new int[] {18, 50}) {
            ResNet net = randomized(depth);
            Tensor x = torch.randn(2, 3, 64, 96);
            List<Tensor> nchw = maps(net, x, false, false);
            assertSameMaps(nchw, maps(net, x, false, true), 1e-5, "R-" + depth + " blocked");
            if (WinogradConv.available()) {
                List<Tensor> winograd = maps(net, x, true, true);
                assertTrue(winograd.get(0).is_contiguous(torch.MemoryFormat.ChannelsLast));
                assertSameMaps(nchw, winograd, 1e-4, "R-" + depth + " Winograd");
            }
        }
        // With autograd on, the NCHW path runs (oneDNN tensors have no autograd): gradients reach the input.
        ResNet net = randomized(18);
        Tensor x = torch.randn(1, 3, 64, 64).requires_grad_(true);
        net.forward(x).get(2).sum().backward();
        assertTrue(x.grad().defined() && x.grad().abs().sum().item_double() > 0);
    }
}
