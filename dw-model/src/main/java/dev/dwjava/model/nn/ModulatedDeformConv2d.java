package dev.dwjava.model.nn;

import static dev.dwjava.core.tensor.Tensors.s;

import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * A 3×3 modulated deformable convolution (DCNv2), mmcv's {@code ModulatedDeformConv2dPack} (docs/DW_SPEC.md §6): a child
 * {@code conv_offset} (3×3, same stride and padding, bias) predicts 27 channels per output position, 18 offsets
 * (per kernel tap t: channel 2t = dy, 2t + 1 = dx) and 9 mask logits (sigmoid). The main conv samples its input at
 * each tap's position plus offset, bilinearly with zeros outside the map, multiplies by the mask and applies
 * {@code weight} (out, in, 3, 3). Parameter names: {@code weight}, {@code bias} (optional), {@code conv_offset.*}.
 *
 * <p>Written over libtorch ops, so autograd gives every gradient (input, offsets, mask, weight): one
 * {@code grid_sampler_2d} call gathers all nine taps (with {@code g = (2·pix + 1)/size − 1}, the mapping under which it
 * reproduces the deformable-conv sampling rule, see {@code BoxRefinement}), then one batched matmul.
 */
public final class ModulatedDeformConv2d extends Layer {
    private static final int K = 3, TAPS = K * K;
    private static final long BILINEAR = 0, ZEROS_PADDING = 0;

    public final Tensor weight;
    public final Tensor bias;
    public final Conv2d convOffset;
    public final int inChannels, outChannels, stride, padding;

    /** A 3×3 DCNv2 with padding 1, initialised as mmcv does ({@link Init#deformDefault}). */
    public ModulatedDeformConv2d(int inChannels, int outChannels, int stride, boolean withBias) {
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.stride = stride;
        this.padding = 1;
        this.weight = parameter("weight", torch.empty(outChannels, inChannels, K, K), true);
        this.bias = withBias ? parameter("bias", torch.zeros(outChannels), true) : null;
        this.convOffset = child("conv_offset", new Conv2d(inChannels, 3 * TAPS, K, stride, padding, true));
        Init.deformDefault(this);
    }

    /** (B, in, H, W) → (B, out, H', W'): offsets and mask from {@code conv_offset}, then {@link #deform}. */
    public Tensor forward(Tensor x) {
        Tensor om = convOffset.forward(x);
        Tensor y = deform(x, om.narrow(1, 0, 2 * TAPS), om.narrow(1, 2 * TAPS, TAPS).sigmoid(), weight, bias, stride, padding);
        MacCounter.add(y.numel(), (long) inChannels * K * K);
        return y;
    }

    /**
     * The deformable convolution itself, torchvision's {@code deform_conv2d(x, offset, weight, bias, stride, padding,
     * mask=mask)} for a 3×3 kernel, dilation 1, one group and one deformable group.
     *
     * @param x      (B, C, H, W)
     * @param offset (B, 18, Ho, Wo) per tap (dy, dx)
     * @param mask   (B, 9, Ho, Wo) modulation, already through the sigmoid
     * @param weight (O, C, 3, 3)
     * @param bias   (O) or null
     * @return (B, O, Ho, Wo)
     */
    public static Tensor deform(Tensor x, Tensor offset, Tensor mask, Tensor weight, Tensor bias, int stride, int padding) {
        long b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        long ho = offset.size(2), wo = offset.size(3), o = weight.size(0);
        Tensors.requireShape(offset, "deform offsets", b, 2 * TAPS, ho, wo);
        Tensors.requireShape(mask, "deform mask", b, TAPS, ho, wo);
        Tensors.requireShape(weight, "deform weight", o, c, K, K);
        // Tap t samples row (ho·stride − padding + t / 3 + dy) and column (wo·stride − padding + t % 3 + dx).
        double[] tapRow = new double[TAPS], tapCol = new double[TAPS];
        for (int t = 0; t < TAPS; t++) {
            tapRow[t] = t / K - padding;
            tapCol[t] = t % K - padding;
        }
        Tensor rows = Tensors.of(tapRow, x.scalar_type(), 1, TAPS, 1, 1).to(x.device(), x.scalar_type())
                .add(torch.arange(new Scalar(ho), x.options()).mul(s((double) stride)).view(1, 1, ho, 1));   // (1, 9, Ho, 1)
        Tensor cols = Tensors.of(tapCol, x.scalar_type(), 1, TAPS, 1, 1).to(x.device(), x.scalar_type())
                .add(torch.arange(new Scalar(wo), x.options()).mul(s((double) stride)).view(1, 1, 1, wo));   // (1, 9, 1, Wo)
        Tensor pairs = offset.view(b, TAPS, 2, ho, wo);
        Tensor py = pairs.select(2, 0).add(rows), px = pairs.select(2, 1).add(cols);                     // (B, 9, Ho, Wo)
        Tensor gy = py.mul(s(2.0)).add(s(1.0)).div(s((double) h)).sub(s(1.0));
        Tensor gx = px.mul(s(2.0)).add(s(1.0)).div(s((double) w)).sub(s(1.0));
        Tensor grid = torch.stack(new TensorVector(gx, gy), -1).view(b, TAPS * ho, wo, 2);
        Tensor sampled = torch.grid_sampler_2d(x, grid, BILINEAR, ZEROS_PADDING, false)                  // (B, C, 9·Ho, Wo)
                .view(b, c, TAPS, ho, wo).mul(mask.unsqueeze(1));
        Tensor out = weight.reshape(o, c * TAPS).matmul(sampled.reshape(b, c * TAPS, ho * wo)).view(b, o, ho, wo);
        return bias == null ? out : out.add(bias.view(1, o, 1, 1));
    }
}
