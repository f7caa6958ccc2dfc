package dev.dwjava.model.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** Group normalization with affine {@code weight} (1) and {@code bias} (0), eps 1e-5. */
public final class GroupNorm extends Layer {
    public final Tensor weight, bias;
    private final int groups;

    /** {@code channels} split into {@code groups} groups; a count that does not divide is an error. */
    public GroupNorm(int groups, int channels) {
        if (channels % groups != 0) {
            throw new IllegalArgumentException("GroupNorm: " + channels + " channels are not divisible into " + groups + " groups");
        }
        this.groups = groups;
        weight = parameter("weight", torch.ones(channels), true);
        bias = parameter("bias", torch.zeros(channels), true);
    }

    /** Normalises (B, C, H, W) per sample and group, then applies weight and bias per channel. */
    public Tensor forward(Tensor x) {
        return torch.group_norm(x, groups, new TensorOptional(weight), new TensorOptional(bias), 1e-5, true);
    }
}
