package dev.dwjava.model.nn;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.slf4j.LoggerFactory;

/**
 * 3×3 stride-1 convolutions for CPU inference by Winograd's F(4×4, 3×3) ({@code src/main/native/dw_winograd.h}): the
 * channel contraction needs 4× fewer multiplications than the direct convolution libtorch runs, and the results
 * differ from it by float rounding only (about 1e-5 of the output's magnitude; {@code WinogradConvTest}). It serves the
 * FPN's and the head's 256-channel 3×3 convolutions, which are over half of the detector's arithmetic, and takes all
 * FPN levels in one call where they share weights.
 *
 * <p>Used where {@link #applies} says so: inference (no autograd, no autocast) on a CPU in fp32, channels a multiple of
 * 8 in and 16 out, the native library built and a CPU with AVX2 and FMA. Elsewhere, or with the comparison switch
 * {@code -Ddw.winograd=false}, libtorch convolves. The contraction uses AVX-512 where the CPU has it
 * ({@link #instructionSet}). Outputs are channels-last (NHWC in memory, NCHW in shape), which the
 * next such convolution reads without a copy.
 */
public final class WinogradConv {
    private static final boolean LOADED = load();
    private static volatile boolean enabled = true;

    private WinogradConv() {}

    private static boolean load() {
        if ("false".equals(System.getProperty("dw.winograd"))) {
            return false;
        }
        try {
            WinogradNative.load();
            if (WinogradNative.dw_wino_supported() == 1) {
                if ("false".equals(System.getProperty("dw.winograd.avx512"))) {
                    WinogradNative.dw_wino_contraction_isa(1);
                }
                return true;
            }
            LoggerFactory.getLogger(WinogradConv.class).info("this CPU lacks AVX2/FMA: 3x3 convolutions run in libtorch");
        } catch (LinkageError | RuntimeException e) {
            LoggerFactory.getLogger(WinogradConv.class).info("Winograd convolution library not loaded ({}): 3x3"
                    + " convolutions run in libtorch (slower on the CPU); build with g++ to have it", e.getMessage());
        }
        return false;
    }

    /** Whether the native kernels are built, loaded and supported here (and not switched off). */
    public static boolean available() {
        return LOADED && enabled;
    }

    /**
     * Switches this path off (or on again) for the whole process, as {@code -Ddw.winograd=false} does at start: for
     * comparisons of both paths in one run (tests, benchmarks).
     */
    public static void setEnabled(boolean on) {
        enabled = on;
    }

    /**
     * The instruction set of the channel contraction (most of the time): "avx512" where the CPU has AVX-512F (16-float
     * vectors, twice the multiply-adds per instruction), else "avx2"; "none" where this path is unavailable.
     * {@code -Ddw.winograd.avx512=false} keeps AVX2. Both give the same bits (the same multiply-adds in the same order
     * per output; {@code WinogradConvTest}).
     */
    public static String instructionSet() {
        if (!available()) {
            return "none";
        }
        return WinogradNative.dw_wino_contraction_isa(0) == 2 ? "avx512" : "avx2";
    }

    /**
     * Asks for the AVX-512 contraction (granted where the CPU has it) or AVX2, for the whole process; for tests that
     * compare both. Returns whether AVX-512 is in use.
     */
    static boolean useAvx512(boolean on) {
        return WinogradNative.dw_wino_contraction_isa(on ? 2 : 1) == 2;
    }

    /** Whether {@code conv} on {@code x} runs here rather than in libtorch. */
    public static boolean applies(Conv2d conv, Tensor x) {
        return fits(conv, x) && !GradMode.is_enabled();
    }

    /**
     * Whether {@code conv} on {@code x} can also train here, its gradients computed by {@link #gradInput} and
     * {@link #gradWeight} (as {@link WinogradTape} does): as {@link #applies} but under autograd, with input channels a
     * multiple of 16.
     */
    public static boolean trainable(Conv2d conv, Tensor x) {
        return fits(conv, x) && conv.inChannels % 16 == 0;
    }

    private static boolean fits(Conv2d conv, Tensor x) {
        return available() && conv.kernel == 3 && conv.stride == 1 && conv.padding == 1 && conv.inChannels % 8 == 0
                && conv.outChannels % 16 == 0 && x.dim() == 4 && x.is_cpu()
                && x.scalar_type().value == torch.ScalarType.Float.value
                && conv.weight.scalar_type().value == torch.ScalarType.Float.value && conv.weight.is_cpu()
                && !torch.is_autocast_enabled(torch.DeviceType.CPU);
    }

    /**
     * The gradients of the inputs of {@code conv} from those of its outputs {@code outputGrads} (any layout): the same
     * Winograd convolution of the gradients with the weights turned over, at the same float error as the forward.
     *
     * @return channels-last (C-channel) gradients, one per output, in the caller's scope
     */
    public static List<Tensor> gradInput(Conv2d conv, List<Tensor> outputGrads) {
        int n = outputGrads.size();
        long images = outputGrads.get(0).size(0);
        long[] dy = new long[n], dx = new long[n];
        int[] h = new int[n], w = new int[n];
        List<Tensor> keep = new ArrayList<>(n), out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Tensor g = nhwc(outputGrads.get(i), images, conv.outChannels, "output gradient " + i);
            keep.add(g);
            h[i] = (int) g.size(1);
            w[i] = (int) g.size(2);
            Tensor o = Tensors.empty(g.options(), images, h[i], w[i], conv.inChannels);
            out.add(o.permute(0, 3, 1, 2));
            dy[i] = g.data_ptr().address();
            dx[i] = o.data_ptr().address();
        }
        Tensor g = conv.weight.detach().contiguous();
        Tensor u = torch.empty(WinogradNative.dw_wino_packed_size(conv.outChannels, conv.inChannels));
        byte[] err = new byte[256];
        int threads = torch.get_num_threads();
        check(WinogradNative.dw_wino_pack_weights_transposed(g.data_ptr().address(), conv.outChannels, conv.inChannels,
                u.data_ptr().address(), threads, err, err.length), err);
        check(WinogradNative.dw_wino_conv3x3(n, dy, h, w, (int) images, conv.outChannels, conv.inChannels,
                u.data_ptr().address(), 0, dx, threads, err, err.length), err);
        return out;
    }

    /**
     * The gradient of the weights of {@code conv} (K, C, 3, 3), summed over its calls on {@code inputs} whose outputs
     * got {@code outputGrads} (pairwise; any layout).
     */
    public static Tensor gradWeight(Conv2d conv, List<Tensor> inputs, List<Tensor> outputGrads) {
        int n = inputs.size();
        if (outputGrads.size() != n) {
            throw new IllegalArgumentException("winograd grad: " + n + " inputs but " + outputGrads.size() + " gradients");
        }
        long images = inputs.get(0).size(0);
        long[] x = new long[n], dy = new long[n];
        int[] h = new int[n], w = new int[n];
        List<Tensor> keep = new ArrayList<>(2 * n);
        for (int i = 0; i < n; i++) {
            Tensor xi = nhwc(inputs.get(i), images, conv.inChannels, "input " + i);
            Tensor gi = nhwc(outputGrads.get(i), images, conv.outChannels, "output gradient " + i);
            if (gi.size(1) != xi.size(1) || gi.size(2) != xi.size(2)) {
                throw new IllegalArgumentException("winograd grad: output gradient " + i + " has shape "
                        + Tensors.shapeOf(outputGrads.get(i)) + " for input " + Tensors.shapeOf(inputs.get(i)));
            }
            keep.add(xi);
            keep.add(gi);
            h[i] = (int) xi.size(1);
            w[i] = (int) xi.size(2);
            x[i] = xi.data_ptr().address();
            dy[i] = gi.data_ptr().address();
        }
        Tensor dg = torch.empty(conv.outChannels, conv.inChannels, 3, 3);
        byte[] err = new byte[256];
        check(WinogradNative.dw_wino_conv3x3_grad_weight(n, x, dy, h, w, (int) images, conv.inChannels,
                conv.outChannels, dg.data_ptr().address(), torch.get_num_threads(), err, err.length), err);
        return dg;
    }

    /**
     * {@code t} (N, channels, H, W) as contiguous NHWC (N, H, W, channels): permute(0, 2, 3, 1) of a channels-last
     * tensor is already contiguous, so there is no copy then.
     */
    private static Tensor nhwc(Tensor t, long images, int channels, String what) {
        if (t.dim() != 4 || t.size(0) != images || t.size(1) != channels) {
            throw new IllegalArgumentException("winograd conv: " + what + " has shape " + Tensors.shapeOf(t)
                    + ", expected (" + images + ", " + channels + ", H, W)");
        }
        return t.permute(0, 2, 3, 1).contiguous();
    }

    private static void check(int rc, byte[] err) {
        if (rc != 0) {
            throw new IllegalStateException(message(err));
        }
    }

    /**
     * {@code conv} (followed by the frozen norm {@code bn} when not null, folded into its weights) over every input
     * (same image count and channels; sizes may differ), with one weight transform and one parallel pass over the
     * tiles of all of them.
     *
     * @return channels-last outputs, one per input, in the caller's scope
     */
    public static List<Tensor> forward(Conv2d conv, FrozenBatchNorm2d bn, List<Tensor> inputs) {
        int n = inputs.size();
        long images = inputs.get(0).size(0);
        long[] x = new long[n], y = new long[n];
        int[] h = new int[n], w = new int[n];
        List<Tensor> keep = new ArrayList<>(n), out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Tensor in = inputs.get(i);
            Tensor nhwc = nhwc(in, images, conv.inChannels, "input " + i);
            keep.add(nhwc);
            h[i] = (int) in.size(2);
            w[i] = (int) in.size(3);
            Tensor o = Tensors.empty(in.options(), images, h[i], w[i], conv.outChannels);
            out.add(o.permute(0, 3, 1, 2));
            x[i] = nhwc.data_ptr().address();
            y[i] = o.data_ptr().address();
            MacCounter.add(o.numel(), conv.fanIn());
        }
        Tensor[] ub = conv.winogradWeights(bn);
        Tensor u = ub[0], bias = ub[1];
        try {
            byte[] err = new byte[256];
            int threads = torch.get_num_threads();
            int rc = WinogradNative.dw_wino_conv3x3(n, x, h, w, (int) images, conv.inChannels, conv.outChannels,
                    u.data_ptr().address(), bias == null ? 0 : bias.data_ptr().address(), y, threads, err,
                    err.length);
            if (rc != 0) {
                throw new IllegalStateException(message(err));
            }
        } finally {
            u.releaseReference();
            if (bias != null) {
                bias.releaseReference();
            }
        }
        return out;
    }

    /** The transformed weights of (K, C, 3, 3) contiguous float weights, as a new tensor. */
    static Tensor pack(Tensor weight, int c, int k) {
        Tensor g = weight.contiguous();
        Tensor u = torch.empty(WinogradNative.dw_wino_packed_size(c, k));
        byte[] err = new byte[256];
        int rc = WinogradNative.dw_wino_pack_weights(g.data_ptr().address(), k, c, u.data_ptr().address(),
                torch.get_num_threads(), err, err.length);
        if (rc != 0) {
            throw new IllegalStateException(message(err));
        }
        return u;
    }

    private static String message(byte[] err) {
        int len = 0;
        while (len < err.length && err[len] != 0) {
            len++;
        }
        return new String(err, 0, len, StandardCharsets.UTF_8);
    }
}
