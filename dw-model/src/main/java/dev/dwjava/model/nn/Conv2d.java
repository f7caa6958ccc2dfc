package dev.dwjava.model.nn;

import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** A 2-D convolution with parameters {@code weight} (out, in, k, k) and optional {@code bias} (out). */
public final class Conv2d extends Layer {
    public final Tensor weight;
    public final Tensor bias;
    public final int inChannels, outChannels, kernel, stride, padding;

    /**
     * A square {@code kernel} with the given stride and padding; {@code weight} stays uninitialised until the owner
     * initialises or loads it.
     */
    public Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding, boolean withBias) {
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.weight = parameter("weight", torch.empty(outChannels, inChannels, kernel, kernel), true);
        this.bias = withBias ? parameter("bias", torch.zeros(outChannels), true) : null;
    }

    /**
     * (B, in, H, W) → (B, out, H', W'), dilation 1, one group. In CPU inference a 3×3 stride-1 convolution runs by
     * {@link WinogradConv} where it applies (output channels-last).
     */
    public Tensor forward(Tensor x) {
        if (WinogradConv.applies(this, x)) {
            return WinogradConv.forward(this, null, java.util.List.of(x)).get(0);
        }
        Tensor y = conv2d(x, weight, bias);
        MacCounter.add(y.numel(), fanIn());
        return y;
    }

    /**
     * libtorch's convolution, except one case it gets wrong: on the CPU under bf16 autocast, the weight gradient of a
     * k×k (k > 1) convolution over a map one pixel high or wide comes back as uninitialised memory (libtorch
     * 2.13.0-1.5.14 on CPUs with AVX-512 BF16, nondeterministic: NaN or 1e15 values; the P7 conv of a small image
     * hits it). That case runs in fp32 with autocast off, its output cast to bf16 as autocast's would be: a
     * few-pixel map, so the cost is nil ({@code Conv2dTest}).
     */
    private Tensor conv2d(Tensor x, Tensor w, Tensor b) {
        long[] st = {stride, stride}, pad = {padding, padding}, dil = {1, 1};
        if (kernel > 1 && x.dim() == 4 && (x.size(2) == 1 || x.size(3) == 1) && x.is_cpu()
                && torch.is_autocast_enabled(torch.DeviceType.CPU)
                && torch.get_autocast_dtype(torch.DeviceType.CPU).value == torch.ScalarType.BFloat16.value) {
            torch.set_autocast_enabled(torch.DeviceType.CPU, false);
            try {
                Tensor f = torch.conv2d(x.to(torch.ScalarType.Float), w.to(torch.ScalarType.Float),
                        b == null ? new TensorOptional() : new TensorOptional(b.to(torch.ScalarType.Float)), st, pad, dil, 1);
                return f.to(torch.ScalarType.BFloat16);
            } finally {
                torch.set_autocast_enabled(torch.DeviceType.CPU, true);
            }
        }
        return torch.conv2d(x, w, b == null ? new TensorOptional() : new TensorOptional(b), st, pad, dil, 1);
    }

    /** {@link #forward(Tensor)} of each input: one {@link WinogradConv} call over all where it applies. */
    public java.util.List<Tensor> forward(java.util.List<Tensor> xs) {
        if (WinogradConv.applies(this, xs.get(0))) {
            return WinogradConv.forward(this, null, xs);
        }
        java.util.List<Tensor> out = new java.util.ArrayList<>(xs.size());
        for (Tensor x : xs) {
            out.add(forward(x));
        }
        return out;
    }

    static boolean fold = !"false".equals(System.getProperty("dw.foldBn"));   // (a comparison switch, not a setting)

    /**
     * This convolution followed by the frozen batch norm {@code bn}, computed as one convolution whose weights and
     * bias absorb the norm: {@code w·s} and {@code β − μ·s} (+ {@code b·s}), {@code s = γ / sqrt(σ² + eps)}. The
     * same function (gradients reach {@code weight}, γ and β through the folding), without the norm's pass over
     * the activations; it differs from convolving then normalising by float rounding only.
     */
    public Tensor forward(Tensor x, FrozenBatchNorm2d bn) {
        if (!fold) {
            return bn.forward(forward(x));
        }
        if (WinogradConv.applies(this, x)) {
            return WinogradConv.forward(this, bn, java.util.List.of(x)).get(0);
        }
        Tensor[] wb = folded(bn);
        Tensor y = conv2d(x, wb[0], wb[1]);
        MacCounter.add(y.numel(), fanIn());
        return y;
    }

    /**
     * {@link #forward(Tensor, FrozenBatchNorm2d)} on an activation in oneDNN's own layout ({@code to_mkldnn()}), the
     * result in that layout too: inference only (no autograd through oneDNN tensors), so that a chain of convolutions
     * pays no reorder between NCHW and oneDNN's blocked format around every layer.
     */
    public Tensor forwardOnednn(Tensor x, FrozenBatchNorm2d bn) {
        Tensor[] wb = folded(bn);
        Tensor y = torch.mkldnn_convolution(x, wb[0], new TensorOptional(wb[1]), new long[] {padding, padding},
                new long[] {stride, stride}, new long[] {1, 1}, 1);
        MacCounter.add(y.numel(), fanIn());
        return y;
    }

    /** The weight and bias of this convolution with {@code bn} folded in, from the live parameters (autograd sees it). */
    private Tensor[] folded(FrozenBatchNorm2d bn) {
        Tensor s = bn.weight.mul(bn.runningVar.add(Tensors.s(FrozenBatchNorm2d.EPS)).rsqrt());
        Tensor b = bn.bias.sub(bn.runningMean.mul(s));
        return new Tensor[] {weight.mul(s.view(-1, 1, 1, 1)), bias != null ? b.add(bias.mul(s)) : b};
    }

    private Tensor winograd, winogradBias;    // the Winograd transform of the (folded) weights and its bias, or null
    private long[] winogradKey;

    /**
     * The {@link WinogradConv} transform of the live weights, with {@code bn} folded in when it is not null, and the
     * bias to add (null for none): computed again whenever they change (an in-place update bumps a version, a load may
     * move the storage). Each tensor comes with one reference of the caller's own: release both after use, so that a
     * transform replaced meanwhile by another thread is freed only once nobody uses it.
     */
    synchronized Tensor[] winogradWeights(FrozenBatchNorm2d bn) {
        long[] key = bn == null ? key(weight, bias) : key(weight, bias, bn.weight, bn.bias, bn.runningMean, bn.runningVar);
        if (winograd == null || !java.util.Arrays.equals(key, winogradKey)) {
            releaseDerived();
            try (dev.dwjava.core.runtime.TensorScope scope = dev.dwjava.core.runtime.TensorScope.open()) {
                Tensor[] wb = bn == null ? new Tensor[] {weight, bias} : folded(bn);
                winograd = scope.detach(WinogradConv.pack(wb[0], inChannels, outChannels));
                winogradBias = wb[1] == null ? null : scope.detach(wb[1].contiguous().clone());
            }
            winogradKey = key;
        }
        winograd.retainReference();
        if (winogradBias != null) {
            winogradBias.retainReference();
        }
        return new Tensor[] {winograd, winogradBias};
    }

    /** Version and address of each tensor (null ones skipped): equal keys mean unchanged values. */
    private static long[] key(Tensor... ts) {
        long[] k = new long[2 * ts.length];
        for (int i = 0; i < ts.length; i++) {
            if (ts[i] != null) {
                k[2 * i] = ts[i]._version();
                k[2 * i + 1] = ts[i].data_ptr().address();
            }
        }
        return k;
    }

    /** Frees the Winograd transform now; it is computed again when next needed. */
    @Override
    public synchronized void releaseDerived() {
        super.releaseDerived();
        if (winograd != null) {
            winograd.releaseReference();
            winograd = null;
        }
        if (winogradBias != null) {
            winogradBias.releaseReference();
            winogradBias = null;
        }
        winogradKey = null;
    }

    /** fan_in = in·k², fan_out = out·k², as PyTorch's initializers count them. */
    public long fanIn() {
        return (long) inChannels * kernel * kernel;
    }

    /** out·k², see {@link #fanIn()}. */
    public long fanOut() {
        return (long) outChannels * kernel * kernel;
    }
}
