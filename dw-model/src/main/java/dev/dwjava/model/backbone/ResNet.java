package dev.dwjava.model.backbone;

import java.util.ArrayList;
import java.util.List;

import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.model.nn.Conv2d;
import dev.dwjava.model.nn.WinogradConv;
import dev.dwjava.model.nn.WinogradTape;
import dev.dwjava.model.nn.FrozenBatchNorm2d;
import dev.dwjava.model.nn.Indexed;
import dev.dwjava.model.nn.Init;
import dev.dwjava.model.nn.Layer;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * ResNet-18/34/50/101, "pytorch" style (the stride sits on the 3×3 conv), torchvision's parameter names
 * ({@code conv1, bn1, layer1.0.conv1, ..., layerN.0.downsample.{0,1}}), docs/DW_SPEC.md §1.1. Batch norms always use their
 * running statistics ({@code norm_eval}); the stem and the first {@code frozenStages} stages do not train.
 * Returns C3, C4, C5 (strides 8, 16, 32).
 */
public final class ResNet extends Layer {
    private final Conv2d conv1;
    private final FrozenBatchNorm2d bn1;
    private final List<Indexed<ResidualBlock>> stages = new ArrayList<>();
    private final int[] outChannels = new int[4];

    /**
     * @param depth        18, 34, 50 or 101
     * @param baseWidth    channels of the stem and of stage 1's 3×3 convs (64 for the standard networks)
     * @param frozenStages 0 = nothing frozen, 1 = stem and layer1 frozen (DW), up to 4
     */
    public ResNet(int depth, int baseWidth, int frozenStages) {
        this(depth, baseWidth, frozenStages, false);
    }

    /** @param dcn DCNv2 as the 3×3 conv of every bottleneck of stages c3–c5 (layer2..4); ResNet-50/101 only */
    private final boolean dcn;
    private final int frozenStages;

    public ResNet(int depth, int baseWidth, int frozenStages, boolean dcn) {
        this.dcn = dcn;
        int[] blocks = switch (depth) {
            case 18 -> new int[] {2, 2, 2, 2};
            case 34, 50 -> new int[] {3, 4, 6, 3};
            case 101 -> new int[] {3, 4, 23, 3};
            default -> throw new IllegalArgumentException("ResNet depth must be 18, 34, 50 or 101, found " + depth);
        };
        if (frozenStages < 0 || frozenStages > 4) {
            throw new IllegalArgumentException("frozenStages must be in [0, 4], found " + frozenStages);
        }
        boolean bottleneck = depth >= 50;
        if (dcn && !bottleneck) {
            throw new IllegalArgumentException("DCNv2 in the backbone needs a bottleneck ResNet (50 or 101), found depth " + depth);
        }
        int expansion = bottleneck ? 4 : 1;
        conv1 = child("conv1", new Conv2d(3, baseWidth, 7, 2, 3, false));
        bn1 = child("bn1", new FrozenBatchNorm2d(baseWidth));
        int in = baseWidth;
        for (int s = 0; s < 4; s++) {
            int width = baseWidth << s;
            Indexed<ResidualBlock> stage = child("layer" + (s + 1), new Indexed<>());
            for (int b = 0; b < blocks[s]; b++) {
                int stride = b == 0 && s > 0 ? 2 : 1;
                boolean downsample = b == 0 && (stride != 1 || in != width * expansion);
                stage.add(bottleneck ? new Bottleneck(in, width, stride, downsample, dcn && s > 0) : new BasicBlock(in, width, stride, downsample));
                in = width * expansion;
            }
            stages.add(stage);
            outChannels[s] = in;
        }
        for (Conv2d conv : convs()) {
            Init.kaimingNormalFanOut(conv);
        }
        this.frozenStages = frozenStages;
        freeze(frozenStages);
    }

    /** Channels of C2..C5. */
    public int[] outChannels() {
        return outChannels.clone();
    }

    private List<Tensor> forwardOnednn(Tensor x) {
        List<Tensor> out = new ArrayList<>();
        Tensor h;
        try (TensorScope scope = TensorScope.open()) {
            h = scope.handOut(torch.max_pool2d(conv1.forwardOnednn(x.to_mkldnn(), bn1).relu_(), new long[] {3, 3},
                    new long[] {2, 2}, new long[] {1, 1}, new long[] {1, 1}, false));
        }
        for (int s = 0; s < 4; s++) {
            try (TensorScope scope = TensorScope.open()) {
                for (ResidualBlock block : stages.get(s).items()) {
                    h = block.forwardOnednn(h);
                }
                h = scope.handOut(h);
            }
            if (s >= 1) {
                out.add(h.to_dense());
            }
        }
        return out;
    }

    /**
     * Whether inference runs in oneDNN's layout: where libtorch has oneDNN, unless the comparison switch
     * {@code -Ddw.onednnLayout=false} says no.
     */
    static boolean onednnLayout = !"false".equals(System.getProperty("dw.onednnLayout")) && torch.hasMKLDNN();

    /**
     * @return C3, C4, C5. Inference on a CPU in fp32 (no autograd, no autocast) keeps the activations in oneDNN's
     *         blocked layout from the stem to C5 and hands NCHW copies of C3–C5 on; the result is the same function
     *         (one library computes both; only the memory layout between layers differs).
     */
    public List<Tensor> forward(Tensor x) {
        boolean cpuInference = !dcn && x.is_cpu() && x.scalar_type().value == torch.ScalarType.Float.value
                && !org.bytedeco.pytorch.GradMode.is_enabled() && !torch.is_autocast_enabled(torch.DeviceType.CPU);
        Tensor h = x;
        if (cpuInference && WinogradConv.available()) {
            // Channels-last from the stem on: the 3×3 stride-1 convs run by Winograd on it without a copy, the others
            // in oneDNN, which takes channels-last as it is.
            h = x.contiguous(torch.MemoryFormat.ChannelsLast);
        } else if (cpuInference && onednnLayout) {
            return forwardOnednn(x);
        }
        List<Tensor> out = new ArrayList<>();
        // Training: the frozen stem and stages need no autograd when the input needs none (images never do), so they
        // run as inference does (norms folded, Winograd where it applies). On the CPU the trainable stages, the FPN and
        // the head then stay channels-last: oneDNN trains in it, and the Winograd convs recorded on the tape read and
        // write it without a copy (the step 10% faster than with NCHW stages, 5 alternating pairs). DCN stages get
        // NCHW, which grid_sampler gathers from.
        boolean frozenAsInference = frozenStages > 0 && org.bytedeco.pytorch.GradMode.is_enabled() && !x.requires_grad();
        NoGradGuard noGrad = frozenAsInference ? new NoGradGuard() : null;
        try {
            if (frozenAsInference && x.is_cpu() && WinogradConv.available()) {
                h = x.contiguous(torch.MemoryFormat.ChannelsLast);
            }
            try (TensorScope scope = TensorScope.open()) {
                h = scope.handOut(torch.max_pool2d(conv1.forward(h, bn1).relu_(), new long[] {3, 3}, new long[] {2, 2},
                        new long[] {1, 1}, new long[] {1, 1}, false));
            }
            for (int s = 0; s < 4; s++) {
                if (noGrad != null && s == frozenStages) {
                    noGrad.close();
                    noGrad = null;
                    if (dcn) {
                        h = h.contiguous();
                    }
                }
                // One scope per stage: the block temporaries are released as soon as the stage output exists.
                // Under a Winograd tape (CPU training) the graph is cut after every block, so that the blocks' 3×3
                // convs can be recorded (WinogradTape#cut); the FPN and the next block read the cut.
                WinogradTape tape = WinogradTape.active();
                try (TensorScope scope = TensorScope.open()) {
                    for (ResidualBlock block : stages.get(s).items()) {
                        h = block.forward(h);
                        if (tape != null) {
                            h = tape.cut(h);
                        }
                    }
                    h = scope.handOut(h);
                }
                if (s >= 1) {
                    out.add(h);
                }
            }
        } finally {
            if (noGrad != null) {
                noGrad.close();
            }
        }
        return out;
    }

    private void freeze(int frozenStages) {
        if (frozenStages >= 1) {
            conv1.weight.requires_grad_(false);
            bn1.weight.requires_grad_(false);
            bn1.bias.requires_grad_(false);
        }
        for (int s = 0; s < frozenStages; s++) {
            for (Tensor p : stages.get(s).parameterList()) {
                p.requires_grad_(false);
            }
        }
    }

    private List<Conv2d> convs() {
        List<Conv2d> all = new ArrayList<>(List.of(conv1));
        for (Indexed<ResidualBlock> stage : stages) {
            for (ResidualBlock b : stage.items()) {
                all.addAll(b.convs());
            }
        }
        return all;
    }
}
