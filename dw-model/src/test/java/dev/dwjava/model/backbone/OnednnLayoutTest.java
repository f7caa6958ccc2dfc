package dev.dwjava.model.backbone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.model.weights.WeightLoader;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The backbone's inference in oneDNN's layout against the NCHW path: C3–C5 within 1e-5 of each map's largest value
 * (the same oneDNN convolutions; the blocked layout may reorder the accumulation), for bottleneck and basic blocks,
 * with random batch-norm statistics; autograd still takes the NCHW path.
 */
class OnednnLayoutTest {
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

    @Test
    void sameMapsAsTheNchwPath() {
        for (int depth : new int[] {18, 50}) {
            ResNet net = randomized(depth);
            Tensor x = torch.randn(2, 3, 64, 96);
            List<Tensor> blocked, nchw;
            try (NoGradGuard g = new NoGradGuard()) {
                blocked = net.forward(x);
                ResNet.onednnLayout = false;
                try {
                    nchw = net.forward(x);
                } finally {
                    ResNet.onednnLayout = true;
                }
            }
            assertEquals(3, blocked.size());
            for (int l = 0; l < 3; l++) {
                Tensor a = nchw.get(l), b = blocked.get(l);
                assertFalse(b.is_mkldnn(), "C" + (l + 3) + " is handed on as a dense tensor");
                assertTrue(java.util.Arrays.equals(a.shape(), b.shape()), "C" + (l + 3) + " shape");
                double scale = a.abs().max().item_double(), diff = a.sub(b).abs().max().item_double();
                assertTrue(scale > 0 && diff <= 1e-5 * scale, "R-" + depth + " C" + (l + 3) + ": " + diff + " at " + scale);
            }
        }
        // With autograd on, the NCHW path runs (oneDNN tensors have no autograd): gradients reach the input.
        ResNet net = randomized(18);
        Tensor x = torch.randn(1, 3, 64, 64).requires_grad_(true);
        net.forward(x).get(2).sum().backward();
        assertTrue(x.grad().defined() && x.grad().abs().sum().item_double() > 0);
    }
}
