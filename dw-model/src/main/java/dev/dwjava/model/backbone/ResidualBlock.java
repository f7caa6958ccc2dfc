package dev.dwjava.model.backbone;

import java.util.List;

import dev.dwjava.model.nn.Conv2d;
import dev.dwjava.model.nn.FrozenBatchNorm2d;
import dev.dwjava.model.nn.Indexed;
import dev.dwjava.model.nn.Layer;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

/** A residual block of a ResNet stage. */
public abstract sealed class ResidualBlock extends Layer permits BasicBlock, Bottleneck {
    /** {@code downsample.0} (1×1 conv with the block's stride) and {@code downsample.1} (BN), or null. */
    protected final Indexed<Module> downsample;
    private final Conv2d downConv;
    private final FrozenBatchNorm2d downBn;

    protected ResidualBlock(int in, int out, int stride, boolean withDownsample) {
        if (withDownsample) {
            downsample = child("downsample", new Indexed<>());
            downConv = (Conv2d) downsample.add(new Conv2d(in, out, 1, stride, 0, false));
            downBn = (FrozenBatchNorm2d) downsample.add(new FrozenBatchNorm2d(out));
        } else {
            downsample = null;
            downConv = null;
            downBn = null;
        }
    }

    /** The block's output, ReLU of residual plus identity (downsampled when the block has {@code downsample}). */
    public abstract Tensor forward(Tensor x);

    /** The block's convolutions, for initialisation. */
    abstract List<Conv2d> convs();

    /**
     * The same on an activation in oneDNN's layout, the result in it too (inference: see
     * {@link Conv2d#forwardOnednn}); null when the block cannot (a DCNv2 block).
     */
    abstract Tensor forwardOnednn(Tensor x);

    protected Tensor identityOnednn(Tensor x) {
        return downsample == null ? x : downConv.forwardOnednn(x, downBn);
    }

    protected Tensor identity(Tensor x) {
        return downsample == null ? x : downConv.forward(x, downBn);
    }

    protected List<Conv2d> downsampleConvs() {
        return downConv == null ? List.of() : List.of(downConv);
    }
}
