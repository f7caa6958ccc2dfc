package dev.dwjava.model.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.ModelConfig;
import dev.dwjava.model.head.LevelOutput;
import dev.dwjava.model.head.TestLosses;
import dev.dwjava.model.weights.WeightLoader;
import org.bytedeco.pytorch.AutoGradMode;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The whole detector trained through a {@link WinogradTape} (the backbone cut after every block, its bottlenecks' 3×3
 * stride-1 convs, the FPN's output convs of P3–P5 and the head's towers recorded) against the same detector under
 * plain autograd, for every trainable parameter's gradient.
 *
 * <p>First with libtorch's convolution as the tape's arithmetic, on tensors in the plain path's layout (norms not
 * folded, in either): the forward is then the same bits, and only the bookkeeping differs (cuts, the order of
 * the backward, inputs read by several calls). Every gradient agrees to float rounding; a cut whose gradient did not
 * flow on would leave the stages below it without gradients, an input gradient counted twice or lost would show in
 * every layer before it. Then with Winograd's arithmetic, whose 1e-5 error flips the odd ReLU whose input lies within
 * it of zero; a flip moves every gradient behind it by one term of sums of random-signed terms. Measured (median, largest
 * difference over the parameters): R-50 7e-6 and 1.5e-3, R-50 DCN 3e-6 and 8e-6, R-18 2.7e-3 and 1.2e-2 (a flip in the
 * head). So there the bounds are loose, still far below a bookkeeping error; Winograd's own accuracy is
 * {@code WinogradConvTest}'s.
 */
class DetectorWinogradTrainingTest {
    /** Largest difference with the exact arithmetic, relative to the gradient's largest magnitude. */
    static final double EXACT_TOLERANCE = 2e-5;
    /** With Winograd's: the median difference, and the largest (ReLU flips; a bookkeeping error would be about 1). */
    static final double WINOGRAD_MEDIAN = 1e-2;
    static final double WINOGRAD_MAX = 5e-2;

    @BeforeAll
    static void init() {
        Torch.init();
    }

    @ParameterizedTest
    @CsvSource({"50, false, false, 20, 15", "50, true, true, 8, 15", "18, false, false, 10, 8"})
    void gradientsMatchAutograd(int depth, boolean refine, boolean dcn, int recorded, int cuts) {
        assumeTrue(WinogradConv.available(), "the Winograd library is not built or not supported here: skipped");
        String what = "R-" + depth + (refine ? " refine" : "") + (dcn ? " dcn" : "");
        torch.manual_seed(depth + (refine ? 1 : 0) + (dcn ? 2 : 0));
        DwDetector model = new DwDetector(new ModelConfig(depth, 16, 1, 64, 64, 3, 8, 16, refine, dcn));
        try (NoGradGuard g = new NoGradGuard()) {
            WeightLoader.stateOf(model).forEach((name, t) -> {
                if (name.endsWith("running_var")) {
                    t.copy_(torch.rand(t.sizes().vec().get()).add(Tensors.s(0.5)));
                } else if (name.endsWith("running_mean")) {
                    t.copy_(torch.randn(t.sizes().vec().get()).mul(Tensors.s(0.1)));
                }
            });
        }
        Tensor images = torch.randn(2, 3, 160, 224);
        Map<String, Tensor> plain, exact, winograd;
        boolean fold = Conv2d.fold;
        Conv2d.fold = false;
        try {
            plain = gradients(model, images, false, 0, 0);
            WinogradTape.arithmetic = new Exact(!dcn);
            exact = gradients(model, images, true, recorded, cuts);
        } finally {
            WinogradTape.arithmetic = WinogradTape.WINOGRAD;
            Conv2d.fold = fold;
        }
        winograd = gradients(model, images, true, recorded, cuts);
        assertEquals(plain.keySet(), exact.keySet());
        double[] bookkeeping = new double[plain.size()], rounding = new double[plain.size()];
        int i = 0, nonZero = 0;
        for (String name : plain.keySet()) {
            Tensor e = plain.get(name);
            double scale = e.abs().max().item_double();
            nonZero += scale > 0 ? 1 : 0;
            bookkeeping[i] = scale == 0 ? 0 : e.sub(exact.get(name)).abs().max().item_double() / scale;
            rounding[i] = scale == 0 ? 0 : e.sub(winograd.get(name)).abs().max().item_double() / scale;
            assertTrue(bookkeeping[i] <= EXACT_TOLERANCE, what + " " + name + " " + Tensors.shapeOf(e)
                    + ": the exact-arithmetic tape's gradient differs by " + bookkeeping[i] + " of its scale");
            assertTrue(rounding[i] <= WINOGRAD_MAX, what + " " + name + " " + Tensors.shapeOf(e) + ": Winograd's gradient differs by "
                    + rounding[i] + " of its scale");
            i++;
        }
        Arrays.sort(rounding);
        assertTrue(rounding[i / 2] <= WINOGRAD_MEDIAN, what + ": Winograd, median difference " + rounding[i / 2]);
        assertTrue(nonZero >= plain.size() - 2, nonZero + " of " + plain.size() + " gradients are non-zero");
    }

    /** Every trainable parameter's gradient of a fixed weighted sum of the head's outputs. */
    private static Map<String, Tensor> gradients(DwDetector model, Tensor images, boolean tape, int recorded, int cuts) {
        for (Tensor p : model.parameterList()) {
            if (p.grad().defined()) {
                p.grad().zero_();
            }
        }
        try (WinogradTape t = tape ? WinogradTape.open() : null) {
            List<LevelOutput> out = model.forward(images).levels();
            TestLosses.randomlyWeighted(out, 11).backward();
            if (t != null) {
                assertEquals(recorded, t.recorded(), "recorded convolutions");
                assertEquals(cuts, t.cuts(), "cuts");
                t.backward();
            }
        }
        Map<String, Tensor> grads = new TreeMap<>();
        WeightLoader.stateOf(model).forEach((name, p) -> {
            if (p.requires_grad()) {
                grads.put(name, p.grad().clone());
            }
        });
        return grads;
    }

    /**
     * libtorch's convolution and its gradients, in Winograd's place, on tensors in the layout the plain path has there:
     * channels-last from the backbone on, NCHW with a DCN backbone (ResNet).
     */
    private static final class Exact implements WinogradTape.Arithmetic {
        private static final long[] ONE = {1, 1};
        private final boolean channelsLast;

        Exact(boolean channelsLast) {
            this.channelsLast = channelsLast;
        }

        private Tensor layoutOfThePlainPath(Tensor x) {
            return channelsLast ? x.contiguous(torch.MemoryFormat.ChannelsLast) : x.contiguous();
        }

        @Override
        public List<Tensor> forward(Conv2d conv, List<Tensor> inputs) {
            List<Tensor> out = new ArrayList<>();
            for (Tensor x : inputs) {
                out.add(torch.conv2d(layoutOfThePlainPath(x), conv.weight, conv.bias == null ? new TensorOptional()
                        : new TensorOptional(conv.bias), ONE, ONE, ONE, 1));
            }
            return out;
        }

        @Override
        public List<Tensor> gradInput(Conv2d conv, List<Tensor> outputGrads) {
            List<Tensor> out = new ArrayList<>();
            for (Tensor dy : outputGrads) {
                out.add(torch.conv_transpose2d(dy, conv.weight, new TensorOptional(), ONE, ONE, new long[] {0, 0}, 1, ONE));
            }
            return out;
        }

        @Override
        public Tensor gradWeight(Conv2d conv, List<Tensor> inputs, List<Tensor> outputGrads) {
            try (AutoGradMode on = new AutoGradMode(true)) {
                Tensor w = conv.weight.detach().requires_grad_(true);
                for (int i = 0; i < inputs.size(); i++) {
                    torch.conv2d(layoutOfThePlainPath(inputs.get(i)), w, new TensorOptional(), ONE, ONE, ONE, 1).mul(outputGrads.get(i))
                            .sum().backward();
                }
                return w.grad();
            }
        }
    }
}
