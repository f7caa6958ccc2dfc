package dev.dwjava.model.nn;

import org.bytedeco.pytorch.Tensor;

/** Weight initializers with PyTorch's fan conventions, drawing from libtorch's seeded default generator. */
public final class Init {
    private Init() {}

    /** Normal(0, std²) weight, constant bias. */
    public static void normal(Conv2d conv, double std, double bias) {
        try (org.bytedeco.pytorch.NoGradGuard g = new org.bytedeco.pytorch.NoGradGuard()) {
            conv.weight.normal_(0, std, new org.bytedeco.pytorch.GeneratorOptional());
            if (conv.bias != null) {
                conv.bias.fill_(new org.bytedeco.pytorch.Scalar(bias));
            }
        }
    }

    /** Xavier-uniform weight (gain 1), zero bias. */
    public static void xavierUniform(Conv2d conv) {
        double bound = Math.sqrt(6.0 / (conv.fanIn() + conv.fanOut()));
        uniform(conv.weight, bound);
        zeroBias(conv);
    }

    /** Kaiming-normal weight, mode fan_out, ReLU gain (mmdetection's ResNet init without pretrained weights). */
    public static void kaimingNormalFanOut(Conv2d conv) {
        try (org.bytedeco.pytorch.NoGradGuard g = new org.bytedeco.pytorch.NoGradGuard()) {
            conv.weight.normal_(0, Math.sqrt(2.0 / conv.fanOut()), new org.bytedeco.pytorch.GeneratorOptional());
        }
        zeroBias(conv);
    }

    /** PyTorch's default Conv2d init: weight and bias uniform in ±1/sqrt(fan_in). */
    public static void pytorchDefault(Conv2d conv) {
        double bound = 1.0 / Math.sqrt(conv.fanIn());
        uniform(conv.weight, bound);
        if (conv.bias != null) {
            uniform(conv.bias, bound);
        }
    }

    /**
     * mmcv's DCNv2 init: main weight uniform in ±1/sqrt(in·k²), bias 0, and the offset/mask conv zero, so a fresh
     * deformable conv samples the regular grid with mask 0.5.
     */
    public static void deformDefault(ModulatedDeformConv2d dcn) {
        uniform(dcn.weight, 1.0 / Math.sqrt((double) dcn.inChannels * 9));
        try (org.bytedeco.pytorch.NoGradGuard g = new org.bytedeco.pytorch.NoGradGuard()) {
            if (dcn.bias != null) {
                dcn.bias.zero_();
            }
            dcn.convOffset.weight.zero_();
            dcn.convOffset.bias.zero_();
        }
    }

    private static void uniform(Tensor t, double bound) {
        try (org.bytedeco.pytorch.NoGradGuard g = new org.bytedeco.pytorch.NoGradGuard()) {
            t.uniform_(-bound, bound, new org.bytedeco.pytorch.GeneratorOptional());
        }
    }

    private static void zeroBias(Conv2d conv) {
        if (conv.bias != null) {
            try (org.bytedeco.pytorch.NoGradGuard g = new org.bytedeco.pytorch.NoGradGuard()) {
                conv.bias.zero_();
            }
        }
    }
}
