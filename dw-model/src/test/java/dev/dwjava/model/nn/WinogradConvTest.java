package dev.dwjava.model.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;

import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Winograd F(4×4, 3×3) convolution against libtorch's convolution computed in float64 (the exact answer to float
 * precision): every output within {@link #TOLERANCE} of the map's largest value. F(4×4, 3×3) in float32 rounds about
 * 1e-5 of that (the transforms' constants reach 8 and 1/24); libtorch's own float32 convolution lands near 1e-6. Sizes
 * are chosen so that tiles are cut at the right and bottom borders, and a map smaller than one tile is covered.
 */
class WinogradConvTest {
    /** Largest difference allowed, relative to the output's largest magnitude. */
    static final double TOLERANCE = 4e-5;

    @BeforeAll
    static void init() {
        Torch.init();
    }

    @BeforeEach
    void needsLibrary() {
        assumeTrue(WinogradConv.available(), "the Winograd library is not built (dw-model's native-conv profile needs"
                + " g++) or this CPU lacks AVX2/FMA: skipped");
    }

    private static Conv2d conv(int in, int out, boolean bias, long seed) {
        torch.manual_seed(seed);
        Conv2d c = new Conv2d(in, out, 3, 1, 1, bias);
        try (NoGradGuard g = new NoGradGuard()) {
            c.weight.copy_(torch.randn(out, in, 3, 3).mul(Tensors.s(1.0 / Math.sqrt(9.0 * in))));
            if (bias) {
                c.bias.copy_(torch.randn(out));
            }
        }
        return c;
    }

    /** The exact convolution (float64) of x by weight and bias, as float32. */
    private static Tensor exact(Tensor x, Tensor weight, Tensor bias) {
        Tensor d = torch.conv2d(x.to(torch.ScalarType.Double), weight.to(torch.ScalarType.Double),
                bias == null ? new TensorOptional() : new TensorOptional(bias.to(torch.ScalarType.Double)),
                new long[] {1, 1}, new long[] {1, 1}, new long[] {1, 1}, 1);
        return d.to(torch.ScalarType.Float);
    }

    private static void assertClose(Tensor expected, Tensor actual, String what) {
        assertTrue(java.util.Arrays.equals(expected.shape(), actual.shape()), what + ": shape "
                + Tensors.shapeOf(actual) + ", expected " + Tensors.shapeOf(expected));
        double scale = expected.abs().max().item_double(), diff = expected.sub(actual).abs().max().item_double();
        assertTrue(scale > 0, what + " is all zero");
        assertTrue(diff <= TOLERANCE * scale, what + ": max difference " + diff + " at scale " + scale);
    }

    @Test
    void matchesTheExactConvolution() {
        int[][] cases = {{1, 8, 16, 3, 2}, {1, 8, 16, 5, 7}, {2, 32, 48, 13, 21}, {1, 64, 80, 30, 37}, {1, 256, 256, 9, 12}};
        for (int[] c : cases) {
            for (boolean bias : new boolean[] {true, false}) {
                Conv2d conv = conv(c[1], c[2], bias, c[3]);
                Tensor x = torch.randn(c[0], c[1], c[3], c[4]);
                try (NoGradGuard g = new NoGradGuard()) {
                    assertTrue(WinogradConv.applies(conv, x));
                    Tensor y = conv.forward(x);
                    assertTrue(y.is_contiguous(torch.MemoryFormat.ChannelsLast), "the output is channels-last");
                    assertClose(exact(x, conv.weight, conv.bias), y, java.util.Arrays.toString(c) + " bias " + bias);
                    // A channels-last input gives the same result.
                    assertClose(exact(x, conv.weight, conv.bias), conv.forward(x.contiguous(torch.MemoryFormat.ChannelsLast)),
                            java.util.Arrays.toString(c) + " channels-last input");
                }
            }
        }
    }

    @Test
    void severalInputsShareOneCall() {
        Conv2d conv = conv(16, 32, true, 3);
        List<Tensor> xs = new ArrayList<>();
        for (int[] hw : new int[][] {{40, 24}, {20, 12}, {10, 6}, {5, 3}, {3, 2}}) {
            xs.add(torch.randn(2, 16, hw[0], hw[1]));
        }
        try (NoGradGuard g = new NoGradGuard()) {
            List<Tensor> ys = conv.forward(xs);
            assertEquals(xs.size(), ys.size());
            for (int i = 0; i < xs.size(); i++) {
                assertClose(exact(xs.get(i), conv.weight, conv.bias), ys.get(i), "input " + i);
            }
        }
    }

    @Test
    void foldsTheFrozenNorm() {
        Conv2d conv = conv(24, 32, false, 5);
        FrozenBatchNorm2d bn = new FrozenBatchNorm2d(32);
        try (NoGradGuard g = new NoGradGuard()) {
            bn.weight.copy_(torch.rand(32).add(Tensors.s(0.5)));
            bn.bias.copy_(torch.randn(32));
            bn.runningMean.copy_(torch.randn(32));
            bn.runningVar.copy_(torch.rand(32).add(Tensors.s(0.1)));
            Tensor x = torch.randn(1, 24, 17, 19);
            Tensor s = bn.weight.div(bn.runningVar.add(Tensors.s(FrozenBatchNorm2d.EPS)).sqrt());
            Tensor expected = exact(x, conv.weight, null).sub(bn.runningMean.view(1, -1, 1, 1))
                    .mul(s.view(1, -1, 1, 1)).add(bn.bias.view(1, -1, 1, 1));
            assertClose(expected, conv.forward(x, bn), "conv + frozen norm");
            // A changed statistic (a checkpoint loaded in place) is seen at the next forward.
            bn.runningMean.add_(Tensors.s(1.0));
            assertClose(expected.sub(s.view(1, -1, 1, 1)), conv.forward(x, bn), "after the mean moved by 1");
        }
    }

    @Test
    void followsWeightChangesAndReleases() {
        Conv2d conv = conv(16, 16, true, 7);
        Tensor x = torch.randn(1, 16, 11, 9);
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor before = conv.forward(x);
            assertClose(exact(x, conv.weight, conv.bias), before, "first forward");
            conv.weight.mul_(Tensors.s(-2.0));                 // an optimizer step or a load, in place
            conv.bias.add_(Tensors.s(3.0));
            assertClose(exact(x, conv.weight, conv.bias), conv.forward(x), "after an in-place update");
            conv.releaseDerived();
            conv.releaseDerived();                            // idempotent
            assertClose(exact(x, conv.weight, conv.bias), conv.forward(x), "after releaseDerived");
        }
    }

    @Test
    void onlyForCpuFloatInferenceOfItsShapes() {
        Tensor x = torch.randn(1, 16, 8, 8);
        Conv2d conv = conv(16, 16, true, 9);
        assertFalse(WinogradConv.applies(conv, x), "autograd on: libtorch's convolution, which has a backward");
        try (NoGradGuard g = new NoGradGuard()) {
            assertTrue(WinogradConv.applies(conv, x));
            assertFalse(WinogradConv.applies(new Conv2d(16, 16, 3, 2, 1, true), x), "stride 2");
            assertFalse(WinogradConv.applies(new Conv2d(16, 16, 1, 1, 0, true), x), "1×1");
            assertFalse(WinogradConv.applies(new Conv2d(16, 8, 3, 1, 1, true), x), "8 outputs (not a multiple of 16)");
            assertFalse(WinogradConv.applies(new Conv2d(12, 16, 3, 1, 1, true), torch.randn(1, 12, 8, 8)),
                    "12 inputs (not a multiple of 8)");
            assertFalse(WinogradConv.applies(conv, x.to(torch.ScalarType.Double)), "float64");
            WinogradConv.setEnabled(false);
            try {
                assertFalse(WinogradConv.applies(conv, x), "switched off");
                // ... and the layer then gives libtorch's result.
                assertClose(exact(x, conv.weight, conv.bias), conv.forward(x), "libtorch path");
            } finally {
                WinogradConv.setEnabled(true);
            }
        }
    }
    /**
     * The gradients of the input and of the weights against libtorch's autograd of the float64 convolution, for
     * several inputs of one call (sizes cut tiles at the borders, one map is smaller than a tile). The weights'
     * gradient sums over every input and tile; its error stays at the forward's scale.
     */
    @Test
    void gradientsMatchAutogradOfTheExactConvolution() {
        int[][] cases = {{2, 16, 16}, {1, 32, 48}, {2, 64, 80}, {1, 256, 256}};
        int[][] sizes = {{13, 21}, {3, 2}, {8, 8}, {1, 1}, {2, 1}};
        for (int[] c : cases) {
            Conv2d conv = conv(c[1], c[2], true, c[1] + c[2]);
            List<Tensor> xs = new ArrayList<>(), dys = new ArrayList<>(), exactDx = new ArrayList<>();
            Tensor w64 = conv.weight.detach().to(torch.ScalarType.Double).requires_grad_(true);
            for (int[] hw : sizes) {
                Tensor x = torch.randn(c[0], c[1], hw[0], hw[1]);
                Tensor dy = torch.randn(c[0], c[2], hw[0], hw[1]);
                Tensor x64 = x.to(torch.ScalarType.Double).requires_grad_(true);
                Tensor y64 = torch.conv2d(x64, w64, new TensorOptional(), new long[] {1, 1}, new long[] {1, 1},
                        new long[] {1, 1}, 1);
                y64.mul(dy.to(torch.ScalarType.Double)).sum().backward();
                xs.add(x.contiguous(torch.MemoryFormat.ChannelsLast));
                dys.add(dy);
                exactDx.add(x64.grad().to(torch.ScalarType.Float));
            }
            assertTrue(WinogradConv.trainable(conv, xs.get(0)), "trainable " + java.util.Arrays.toString(c));
            List<Tensor> dx = WinogradConv.gradInput(conv, dys);
            for (int i = 0; i < sizes.length; i++) {
                assertTrue(dx.get(i).is_contiguous(torch.MemoryFormat.ChannelsLast), "the input gradient is channels-last");
                assertClose(exactDx.get(i), dx.get(i), "dx " + java.util.Arrays.toString(c) + " input " + i);
            }
            assertClose(w64.grad().to(torch.ScalarType.Float), WinogradConv.gradWeight(conv, xs, dys),
                    "dW " + java.util.Arrays.toString(c));
        }
    }

    /**
     * The AVX-512 contraction against AVX2's: both add the same products in the same order into each output, so the
     * forward, the input's gradient and the weights' gradient are the same bits. The shapes reach every block of both:
     * K = 80 (two-panel and one-panel blocks), C = 80 and 48 (64-column blocks, the 16-column rest, only the rest), tile
     * counts that leave a single group of six rows.
     */
    @Test
    void avx512AndAvx2GiveTheSameBits() {
        boolean before = "avx512".equals(WinogradConv.instructionSet());
        boolean cpuHasIt = cpuFlags().contains("avx512f");
        assertEquals(cpuHasIt, WinogradConv.useAvx512(true), "AVX-512 is granted exactly where /proc/cpuinfo lists avx512f");
        if (!cpuHasIt) {
            assertEquals("avx2", WinogradConv.instructionSet(), "without AVX-512F the AVX2 contraction stays");
            return;   // (nothing to compare on this CPU; not a skip, so that CI's check of these tests holds)
        }
        try {
            int[][] cases = {{2, 16, 80, 13, 21}, {1, 80, 48, 9, 7}, {1, 48, 32, 5, 5}, {2, 256, 256, 17, 19}};
            for (int[] c : cases) {
                Conv2d conv = conv(c[1], c[2], true, c[3] * c[4]);
                Tensor x = torch.randn(c[0], c[1], c[3], c[4]).contiguous(torch.MemoryFormat.ChannelsLast);
                Tensor dy = torch.randn(c[0], c[2], c[3], c[4]);
                WinogradConv.useAvx512(true);
                assertEquals("avx512", WinogradConv.instructionSet());
                Tensor[] wide = forwardAndGradients(conv, x, dy);
                WinogradConv.useAvx512(false);
                assertEquals("avx2", WinogradConv.instructionSet());
                Tensor[] narrow = forwardAndGradients(conv, x, dy);
                String[] what = {"forward", "input gradient", "weight gradient"};
                for (int i = 0; i < what.length; i++) {
                    assertTrue(torch.equal(wide[i], narrow[i]), what[i] + " " + java.util.Arrays.toString(c)
                            + ": max difference " + wide[i].sub(narrow[i]).abs().max().item_double());
                }
                assertClose(exact(x, conv.weight, conv.bias), wide[0], "forward " + java.util.Arrays.toString(c));
            }
        } finally {
            WinogradConv.useAvx512(before);
        }
    }

    /** The CPU's feature flags as the kernel reports them ("" where there is no /proc/cpuinfo). */
    private static java.util.Set<String> cpuFlags() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) {
                    String[] flags = line.substring(line.indexOf(':') + 1).trim().split("\\s+");
                    return new java.util.HashSet<>(java.util.Arrays.asList(flags));
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // no /proc/cpuinfo: no flags
        }
        return java.util.Set.of();
    }

    private static Tensor[] forwardAndGradients(Conv2d conv, Tensor x, Tensor dy) {
        Tensor y;
        try (NoGradGuard g = new NoGradGuard()) {
            y = conv.forward(x);
        }
        return new Tensor[] {y, WinogradConv.gradInput(conv, List.of(dy)).get(0),
                WinogradConv.gradWeight(conv, List.of(x), List.of(dy))};
    }
}
