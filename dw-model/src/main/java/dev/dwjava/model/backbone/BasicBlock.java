package dev.dwjava.model.backbone;

import java.util.ArrayList;
import java.util.List;

import dev.dwjava.model.nn.Conv2d;
import dev.dwjava.model.nn.FrozenBatchNorm2d;
import org.bytedeco.pytorch.Tensor;

/** Two 3×3 convs (ResNet-18/34); the stride is on the first. */
public final class BasicBlock extends ResidualBlock {
    private final Conv2d conv1, conv2;
    private final FrozenBatchNorm2d bn1, bn2;

    BasicBlock(int in, int width, int stride, boolean downsample) {
        super(in, width, stride, downsample);
        conv1 = child("conv1", new Conv2d(in, width, 3, stride, 1, false));
        bn1 = child("bn1", new FrozenBatchNorm2d(width));
        conv2 = child("conv2", new Conv2d(width, width, 3, 1, 1, false));
        bn2 = child("bn2", new FrozenBatchNorm2d(width));
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor h = conv1.forward(x, bn1).relu_();
        h = conv2.forward(h, bn2);
        return h.add_(identity(x)).relu_();
    }

    @Override
    Tensor forwardOnednn(Tensor x) {
        Tensor h = conv1.forwardOnednn(x, bn1).relu_();
        h = conv2.forwardOnednn(h, bn2);
        return h.add_(identityOnednn(x)).relu_();
    }

    @Override
    List<Conv2d> convs() {
        List<Conv2d> all = new ArrayList<>(List.of(conv1, conv2));
        all.addAll(downsampleConvs());
        return all;
    }
}
