package dev.dwjava.model.head;

import static dev.dwjava.core.tensor.Tensors.s;

import java.util.ArrayList;
import java.util.List;

import dev.dwjava.model.nn.Conv2d;
import dev.dwjava.model.nn.ConvModule;
import dev.dwjava.model.nn.ModulatedDeformConv2d;
import dev.dwjava.model.nn.GroupNorm;
import dev.dwjava.model.nn.Indexed;
import dev.dwjava.model.nn.Init;
import dev.dwjava.model.nn.Layer;
import dev.dwjava.model.nn.Scale;
import dev.dwjava.model.nn.WinogradConv;
import dev.dwjava.model.nn.WinogradTape;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The DW head (docs/DW_SPEC.md §1.3, §1.6), shared by all levels: a classification tower and a regression tower of
 * conv3×3 + GroupNorm + ReLU; {@code conv_cls} on the first, {@code conv_reg}, {@code conv_centerness} (used as
 * objectness) and, with refinement, {@code reg_offset} on the second; one learnable {@code scales.L} per level.
 * Distances are {@code stride·ReLU(scale·conv_reg)}, then refined (§1.4).
 */
public final class DwHead extends Layer {
    /** Prior probability of the classification bias, 0.02 (not FCOS's 0.01): bias −ln(49). */
    public static final double CLS_PRIOR = 0.02;
    /** Initial regression bias: distances start at 4 strides. */
    public static final double REG_BIAS = 4.0;

    private final Indexed<ConvModule> clsConvs, regConvs;
    private final Conv2d convCls, convReg, convCenterness, regOffset;
    private final Indexed<Scale> scales;
    private final int[] strides;

    /**
     * @param inChannels   FPN channels
     * @param featChannels tower channels (256)
     * @param stackedConvs convs per tower (4)
     * @param gnGroups     GroupNorm groups (32)
     * @param numClasses   C
     * @param refine       box refinement on
     * @param strides      one stride per level
     */
    public DwHead(int inChannels, int featChannels, int stackedConvs, int gnGroups, int numClasses, boolean refine,
                  int[] strides) {
        this(inChannels, featChannels, stackedConvs, gnGroups, numClasses, refine, false, strides);
    }

    /** @param dcnOnLastConv the last conv of both towers is a DCNv2 (with bias), as in the DCN config */
    public DwHead(int inChannels, int featChannels, int stackedConvs, int gnGroups, int numClasses, boolean refine,
                  boolean dcnOnLastConv, int[] strides) {
        this.strides = strides.clone();
        clsConvs = child("cls_convs", tower(inChannels, featChannels, stackedConvs, gnGroups, dcnOnLastConv));
        regConvs = child("reg_convs", tower(inChannels, featChannels, stackedConvs, gnGroups, dcnOnLastConv));
        convCls = child("conv_cls", new Conv2d(featChannels, numClasses, 3, 1, 1, true));
        convReg = child("conv_reg", new Conv2d(featChannels, 4, 3, 1, 1, true));
        convCenterness = child("conv_centerness", new Conv2d(featChannels, 1, 3, 1, 1, true));
        regOffset = refine ? child("reg_offset", new Conv2d(featChannels, 8, 3, 1, 1, true)) : null;
        scales = child("scales", new Indexed<>());
        for (int ignored : strides) {
            scales.add(new Scale(1.0));
        }
        // Fixed, unused center-prior statistics of the original; kept so that its checkpoints load strictly.
        Layer centerPrior = child("center_prior", new CenterPriorState(numClasses));
        initWeights();
    }

    private static Indexed<ConvModule> tower(int in, int feat, int depth, int groups, boolean dcnOnLastConv) {
        Indexed<ConvModule> t = new Indexed<>();
        for (int k = 0; k < depth; k++) {
            int c = k == 0 ? in : feat;
            t.add(dcnOnLastConv && k == depth - 1
                    ? new ConvModule(new ModulatedDeformConv2d(c, feat, 1, true), new GroupNorm(groups, feat))
                    : new ConvModule(new Conv2d(c, feat, 3, 1, 1, true), new GroupNorm(groups, feat)));
        }
        return t;
    }

    /**
     * Tower init N(0, 0.01²), bias 0. For a DCNv2 it hits only the offset/mask conv (a plain Conv2d); the main weight
     * keeps mmcv's own init, as mmcv 1.4's initializer matches layers by class name (docs/DW_SPEC.md §1.6).
     */
    private static void initTower(Indexed<ConvModule> tower) {
        for (ConvModule m : tower.items()) {
            // conv_offset N(0, 0.01), not zero: DW ran on mmdetection 2.18.0 (strongwolf/DW train.py has no 2.18.1
            // init_random_seed); re-zeroing it came in 2.19.1 (open-mmlab/mmdetection#6625). See docs/design.md.
            Init.normal(m.conv != null ? m.conv : m.deformConv.convOffset, 0.01, 0);
        }
    }

    private void initWeights() {
        initTower(clsConvs);
        initTower(regConvs);
        Init.normal(convCls, 0.01, -Math.log((1 - CLS_PRIOR) / CLS_PRIOR));
        Init.normal(convReg, 0.01, REG_BIAS);
        Init.normal(convCenterness, 0.01, 0);
        if (regOffset != null) {
            Init.normal(regOffset, 0.01, 0);
        }
    }

    /** Whether box refinement is on. */
    public boolean refines() {
        return regOffset != null;
    }

    /** @param features P3..P7 (B, inChannels, H_l, W_l) */
    public HeadOutputs forward(List<Tensor> features) {
        if (features.size() != strides.length) {
            throw new IllegalArgumentException("head expects " + strides.length + " levels, found " + features.size());
        }
        ConvModule first = clsConvs.items().get(0);
        if (first.conv != null && WinogradConv.applies(first.conv, features.get(0))) {
            return forwardLevelsTogether(features);
        }
        WinogradTape tape = WinogradTape.active();
        if (tape != null && first.conv != null && tape.records(first.conv, features.get(0))) {
            return forwardRecorded(features, tape);
        }
        List<LevelOutput> out = new ArrayList<>();
        for (int l = 0; l < features.size(); l++) {
            // One scope per level: tower activations are released once the level's three outputs exist
            // (under autograd the graph keeps what backward needs).
            try (dev.dwjava.core.runtime.TensorScope scope = dev.dwjava.core.runtime.TensorScope.open()) {
                LevelOutput o = forwardLevel(features.get(l), l);
                out.add(new LevelOutput(scope.handOut(o.clsLogits()), scope.handOut(o.distances()), scope.handOut(o.objLogits()),
                        o.stride()));
            }
        }
        return new HeadOutputs(out);
    }

    /**
     * CPU inference: each tower conv (and conv_cls) runs once over all levels ({@link Conv2d#forward(List)}), so
     * that the small levels share one parallel pass with P3. Each layer's activations are freed once the next exist.
     */
    private HeadOutputs forwardLevelsTogether(List<Tensor> features) {
        List<Tensor> cls = tower(clsConvs, features), reg = tower(regConvs, features);
        try {
            List<LevelOutput> out = new ArrayList<>();
            try (dev.dwjava.core.runtime.TensorScope scope = dev.dwjava.core.runtime.TensorScope.open()) {
                List<Tensor> clsLogits = convCls.forward(cls);
                for (int l = 0; l < features.size(); l++) {
                    LevelOutput o = regressionOutputs(reg.get(l), clsLogits.get(l), l);
                    out.add(new LevelOutput(scope.handOut(o.clsLogits()), scope.handOut(o.distances()),
                            scope.handOut(o.objLogits()), o.stride()));
                }
            }
            return new HeadOutputs(out);
        } finally {
            release(cls);
            release(reg);
        }
    }

    /**
     * CPU training under a {@link WinogradTape}: the towers' plain convs and conv_cls run as Winograd convolutions
     * over all levels at once, their gradients computed when the tape's backward runs; the rest is autograd's. The
     * tape's contract holds: each recorded conv reads the previous GroupNorm + ReLU, or the FPN level, which only the
     * two towers read.
     */
    private HeadOutputs forwardRecorded(List<Tensor> features, WinogradTape tape) {
        List<Tensor> cls = towerRecorded(clsConvs, features, tape), reg = towerRecorded(regConvs, features, tape);
        List<Tensor> clsLogits = tape.records(convCls, cls.get(0)) ? tape.forward(convCls, cls) : convCls.forward(cls);
        List<LevelOutput> out = new ArrayList<>();
        for (int l = 0; l < features.size(); l++) {
            out.add(regressionOutputs(reg.get(l), clsLogits.get(l), l));
        }
        return new HeadOutputs(out);
    }

    private static List<Tensor> towerRecorded(Indexed<ConvModule> tower, List<Tensor> features, WinogradTape tape) {
        List<Tensor> h = features;
        for (ConvModule m : tower.items()) {
            if (m.conv != null && tape.records(m.conv, h.get(0))) {
                List<Tensor> next = new ArrayList<>(h.size());
                for (Tensor y : tape.forward(m.conv, h)) {
                    next.add(m.normalize(y));
                }
                h = next;
            } else {
                h = m.forward(h);   // a DCNv2 conv: autograd's
            }
        }
        return h;
    }

    /** The tower over all levels; the result holds one reference per tensor for the caller to {@link #release}. */
    private static List<Tensor> tower(Indexed<ConvModule> tower, List<Tensor> features) {
        List<Tensor> h = features;
        for (ConvModule m : tower.items()) {
            List<Tensor> next = new ArrayList<>();
            try (dev.dwjava.core.runtime.TensorScope scope = dev.dwjava.core.runtime.TensorScope.open()) {
                for (Tensor t : m.forward(h)) {
                    next.add(scope.detach(t));
                }
            }
            if (h != features) {
                release(h);
            }
            h = next;
        }
        return h;
    }

    private static void release(List<Tensor> ts) {
        for (Tensor t : ts) {
            t.releaseReference();
        }
    }

    private LevelOutput forwardLevel(Tensor x, int level) {
        int stride = strides[level];
        Tensor cls = x, reg = x;
        for (ConvModule m : clsConvs.items()) {
            cls = m.forward(cls);
        }
        for (ConvModule m : regConvs.items()) {
            reg = m.forward(reg);
        }
        return regressionOutputs(reg, convCls.forward(cls), level);
    }

    /** The level's outputs from its regression tower output and its classification logits. */
    private LevelOutput regressionOutputs(Tensor reg, Tensor clsLogits, int level) {
        int stride = strides[level];
        Tensor objLogits = convCenterness.forward(reg);
        Tensor distances = scales.get(level).forward(convReg.forward(reg)).relu().mul(s((double) stride));
        if (regOffset != null) {
            distances = BoxRefinement.refine(distances, regOffset.forward(reg), stride);
        }
        return new LevelOutput(clsLogits, distances, objLogits, stride);
    }

    /** {@code center_prior.mean} (C, 2) zeros and {@code center_prior.sigma} (C, 2) 1.11, as in the checkpoints. */
    static final class CenterPriorState extends Layer {
        CenterPriorState(int numClasses) {
            buffer("mean", torch.zeros(numClasses, 2));
            buffer("sigma", torch.full(new long[] {numClasses, 2}, new Scalar(1.11f)));
        }
    }
}
