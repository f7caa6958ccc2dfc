package dev.dwjava.model.backbone;

import java.util.ArrayList;
import java.util.List;

import dev.dwjava.model.nn.Conv2d;
import dev.dwjava.model.nn.FrozenBatchNorm2d;
import dev.dwjava.model.nn.ModulatedDeformConv2d;
import dev.dwjava.model.nn.WinogradTape;
import org.bytedeco.pytorch.Tensor;

/**
 * 1×1 → 3×3 (with the stride, "pytorch" style) → 1×1 ×4 (ResNet-50/101). With {@code dcn} the 3×3 conv is a DCNv2
 * of the same name (its offsets/mask conv uses the same stride; mmdetection's {@code fallback_on_stride=False}).
 */
public final class Bottleneck extends ResidualBlock {
    private final Conv2d conv1, conv2, conv3;
    private final ModulatedDeformConv2d deformConv2;
    private final FrozenBatchNorm2d bn1, bn2, bn3;

    Bottleneck(int in, int width, int stride, boolean downsample, boolean dcn) {
        super(in, width * 4, stride, downsample);
        conv1 = child("conv1", new Conv2d(in, width, 1, 1, 0, false));
        bn1 = child("bn1", new FrozenBatchNorm2d(width));
        conv2 = dcn ? null : child("conv2", new Conv2d(width, width, 3, stride, 1, false));
        deformConv2 = dcn ? child("conv2", new ModulatedDeformConv2d(width, width, stride, false)) : null;
        bn2 = child("bn2", new FrozenBatchNorm2d(width));
        conv3 = child("conv3", new Conv2d(width, width * 4, 1, 1, 0, false));
        bn3 = child("bn3", new FrozenBatchNorm2d(width * 4));
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = conv1.forward(x, bn1).relu_();
        WinogradTape tape = WinogradTape.active();
        if (conv2 != null && tape != null && tape.records(conv2, h)) {
            // CPU training: the 3×3 stride-1 conv by Winograd on the tape (its input, conv1's ReLU, has no other
            // reader), its output in the input's layout; the norm after it stays autograd's, so that γ and β get
            // their gradients.
            h = bn2.forward(tape.forward(conv2, List.of(h), !h.is_contiguous()).get(0)).relu_();
        } else {
            h = (conv2 != null ? conv2.forward(h, bn2) : bn2.forward(deformConv2.forward(h))).relu_();
        }
        h = conv3.forward(h, bn3);
        return h.add_(identity(x)).relu_();
    }

    @Override
    Tensor forwardOnednn(Tensor x) {
        if (conv2 == null) {
            return null;   // the deformable conv samples with grid_sampler, which takes NCHW
        }
        Tensor h = conv1.forwardOnednn(x, bn1).relu_();
        h = conv2.forwardOnednn(h, bn2).relu_();
        h = conv3.forwardOnednn(h, bn3);
        return h.add_(identityOnednn(x)).relu_();
    }

    @Override
    List<Conv2d> convs() {
        // A DCNv2 keeps mmcv's own init (Init.deformDefault), as in mmdetection.
        List<Conv2d> all = new ArrayList<>(conv2 != null ? List.of(conv1, conv2, conv3) : List.of(conv1, conv3));
        all.addAll(downsampleConvs());
        return all;
    }
}
