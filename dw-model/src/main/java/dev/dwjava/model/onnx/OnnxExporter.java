package dev.dwjava.model.onnx;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.ModelConfig;
import dev.dwjava.model.nn.FrozenBatchNorm2d;
import dev.dwjava.model.onnx.OnnxGraph.Attr;
import dev.dwjava.model.weights.WeightLoader;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Exports a {@link DwDetector} to ONNX: input {@value #INPUT} (B, 3, H, W), normalised and padded as for
 * {@code DwDetector.forward}; outputs per level P3..P7 {@code cls_logits_pL} (B, C, H_l, W_l), {@code distances_pL}
 * (B, 4, H_l, W_l, in input pixels after scale, stride and refinement) and {@code obj_logits_pL} (B, 1, H_l, W_l), in
 * that order, level by level: the tensors of {@code HeadOutputs}, as {@code dw forward} writes them.
 *
 * <p>The graph is the network's own computation with one change: each frozen batch norm is folded into the conv
 * (plain or deformable) before it, {@code w' = w·γ/√(σ²+ε)}, {@code b' = (b − μ)·γ/√(σ²+ε) + β}, computed in double
 * precision. GroupNorm becomes Reshape → InstanceNormalization → Reshape → Mul → Add; box refinement and DCNv2 are the
 * same GridSample (bilinear, zeros, {@code align_corners=0}) and MatMul decompositions the libtorch model runs.
 * Sizes are read from the tensors (Shape), so one graph serves any H, W multiple of 32 when exported with symbolic
 * dims. Opset {@value #OPSET}, IR version {@value #IR_VERSION}. docs/onnx.md has the details.
 */
public final class OnnxExporter {
    /** The default-domain opset the graph uses (GridSample needs 16). */
    public static final int OPSET = 17;
    /** The IR version that goes with opset 17 (ONNX 1.12). */
    public static final int IR_VERSION = 8;
    /** Name of the graph input. */
    public static final String INPUT = "images";

    /** Suffix of the initializers that carry a folded batch norm. */
    private static final String FOLDED = ".bn_folded";
    private static final String[] KINDS = {"cls_logits", "distances", "obj_logits"};

    private final OnnxGraph g = new OnnxGraph("dw_detector");
    private final Map<String, Tensor> state;
    private final ModelConfig cfg;

    private OnnxExporter(DwDetector model) {
        this.state = WeightLoader.stateOf(model);
        this.cfg = model.config();
    }

    /** The output names in graph order: per level P3..P7, {@code cls_logits_pL}, {@code distances_pL}, {@code obj_logits_pL}. */
    public static List<String> outputNames() {
        List<String> names = new ArrayList<>();
        for (int l = 0; l < ModelConfig.STRIDES.length; l++) {
            for (String k : KINDS) {
                names.add(k + "_p" + (l + 3));
            }
        }
        return names;
    }

    /**
     * The graph for a fixed 1×3×{@code height}×{@code width} input.
     *
     * @throws IllegalArgumentException when height or width is not a positive multiple of 32
     */
    public static OnnxModel exportFixed(DwDetector model, int height, int width) {
        if (height <= 0 || width <= 0 || height % 32 != 0 || width % 32 != 0) {
            throw new IllegalArgumentException("the input size must be positive multiples of 32, found " + height + "x" + width);
        }
        return new OnnxExporter(model).build(height, width);
    }

    /** The graph with symbolic {@code batch}, {@code height} and {@code width} (multiples of 32 at run time). */
    public static OnnxModel exportDynamic(DwDetector model) {
        return new OnnxExporter(model).build(-1, -1);
    }

    private OnnxModel build(int height, int width) {
        boolean dynamic = height < 0;
        int c = cfg.numClasses();
        if (dynamic) {
            g.input(INPUT, OnnxGraph.FLOAT, "batch", 3L, "height", "width");
        } else {
            g.input(INPUT, OnnxGraph.FLOAT, 1L, 3L, (long) height, (long) width);
        }
        try (TensorScope scope = TensorScope.open(); NoGradGuard ng = new NoGradGuard()) {
            List<String> p = fpn(backbone(INPUT));
            long h = height / 32, w = width / 32;
            long[] lh = {h * 4, h * 2, h, (h + 1) / 2, ((h + 1) / 2 + 1) / 2};
            long[] lw = {w * 4, w * 2, w, (w + 1) / 2, ((w + 1) / 2 + 1) / 2};
            for (int l = 0; l < p.size(); l++) {
                String[] out = headLevel(p.get(l), l);
                long[] ch = {c, 4, 1};
                for (int k = 0; k < 3; k++) {
                    String name = KINDS[k] + "_p" + (l + 3);
                    g.opTo(name, "Identity", List.of(out[k]));
                    if (dynamic) {
                        g.output(name, OnnxGraph.FLOAT, "batch", ch[k], "p" + (l + 3) + "_height", "p" + (l + 3) + "_width");
                    } else {
                        g.output(name, OnnxGraph.FLOAT, 1L, ch[k], lh[l], lw[l]);
                    }
                }
            }
        }
        return new OnnxModel(g, cfg, dynamic ? null : new int[] {height, width});
    }

    // ---- backbone -------------------------------------------------------------------------------------------------

    private List<String> backbone(String x) {
        g.scope("backbone.stem");
        String h = relu(conv(x, "backbone.conv1", 2, 3, "backbone.bn1"));
        h = g.op("MaxPool", h, Attr.ints("kernel_shape", 3, 3), Attr.ints("strides", 2, 2), Attr.ints("pads", 1, 1, 1, 1));
        List<String> c = new ArrayList<>();
        for (int s = 1; s <= 4; s++) {
            for (int b = 0; state.containsKey("backbone.layer" + s + "." + b + ".conv1.weight"); b++) {
                String p = "backbone.layer" + s + "." + b;
                g.scope(p);
                int stride = b == 0 && s > 1 ? 2 : 1;
                String identity = state.containsKey(p + ".downsample.0.weight")
                        ? conv(h, p + ".downsample.0", stride, 0, p + ".downsample.1") : h;
                String r;
                if (state.containsKey(p + ".conv3.weight")) {   // bottleneck: the stride on the 3×3 conv
                    r = relu(conv(h, p + ".conv1", 1, 0, p + ".bn1"));
                    r = relu(state.containsKey(p + ".conv2.conv_offset.weight")
                            ? deform(r, p + ".conv2", stride, p + ".bn2") : conv(r, p + ".conv2", stride, 1, p + ".bn2"));
                    r = conv(r, p + ".conv3", 1, 0, p + ".bn3");
                } else {                                          // basic block: the stride on the first conv
                    r = relu(conv(h, p + ".conv1", stride, 1, p + ".bn1"));
                    r = conv(r, p + ".conv2", 1, 1, p + ".bn2");
                }
                h = relu(g.op("Add", r, identity));
            }
            if (s >= 2) {
                c.add(h);
            }
        }
        return c;
    }

    // ---- FPN --------------------------------------------------------------------------------------------------------

    private List<String> fpn(List<String> c) {
        g.scope("neck");
        String l3 = conv(c.get(0), "neck.lateral_convs.0.conv", 1, 0, null);
        String l4 = conv(c.get(1), "neck.lateral_convs.1.conv", 1, 0, null);
        String l5 = conv(c.get(2), "neck.lateral_convs.2.conv", 1, 0, null);
        l4 = g.op("Add", l4, upsampleTo(l5, l4));
        l3 = g.op("Add", l3, upsampleTo(l4, l3));
        List<String> p = new ArrayList<>();
        p.add(conv(l3, "neck.fpn_convs.0.conv", 1, 1, null));
        p.add(conv(l4, "neck.fpn_convs.1.conv", 1, 1, null));
        p.add(conv(l5, "neck.fpn_convs.2.conv", 1, 1, null));
        p.add(conv(p.get(2), "neck.fpn_convs.3.conv", 2, 1, null));
        p.add(conv(relu(p.get(3)), "neck.fpn_convs.4.conv", 2, 1, null));
        return p;
    }

    /** Nearest upsampling of {@code x} to the size of {@code like}: libtorch's {@code upsample_nearest2d} (floor). */
    private String upsampleTo(String x, String like) {
        return g.op("Resize", List.of(x, "", "", g.op("Shape", like)), Attr.s("mode", "nearest"),
                Attr.s("coordinate_transformation_mode", "asymmetric"), Attr.s("nearest_mode", "floor"));
    }

    // ---- head -------------------------------------------------------------------------------------------------------

    private String[] headLevel(String x, int level) {
        int stride = ModelConfig.STRIDES[level];
        g.scope("bbox_head.p" + (level + 3));
        String cls = x, reg = x;
        for (int k = 0; state.containsKey("bbox_head.cls_convs." + k + ".gn.weight"); k++) {
            cls = towerConv(cls, "bbox_head.cls_convs." + k);
        }
        for (int k = 0; state.containsKey("bbox_head.reg_convs." + k + ".gn.weight"); k++) {
            reg = towerConv(reg, "bbox_head.reg_convs." + k);
        }
        String clsLogits = conv(cls, "bbox_head.conv_cls", 1, 1, null);
        String obj = conv(reg, "bbox_head.conv_centerness", 1, 1, null);
        String scale = scalarWeight("bbox_head.scales." + level + ".scale");
        String dist = g.op("Mul", relu(g.op("Mul", conv(reg, "bbox_head.conv_reg", 1, 1, null), scale)), g.scalar(stride));
        if (state.containsKey("bbox_head.reg_offset.weight")) {
            dist = refine(dist, conv(reg, "bbox_head.reg_offset", 1, 1, null), stride);
        }
        return new String[] {clsLogits, dist, obj};
    }

    /** conv (plain or DCNv2, with bias) → GroupNorm → ReLU. */
    private String towerConv(String x, String p) {
        String h = state.containsKey(p + ".conv.conv_offset.weight") ? deform(x, p + ".conv", 1, null) : conv(x, p + ".conv", 1, 1, null);
        return relu(groupNorm(h, p + ".gn"));
    }

    /**
     * GroupNorm as InstanceNormalization over (B, G, C/G·H·W), then the per-channel affine: the decomposition every
     * ONNX runtime runs (GroupNormalization itself is a function op of opset 18/21).
     */
    private String groupNorm(String x, String p) {
        int groups = cfg.gnGroups();
        float[] ones = new float[groups], zeros = new float[groups];
        java.util.Arrays.fill(ones, 1f);
        String grouped = g.op("Reshape", x, g.ints(0, groups, -1));
        String norm = g.op("InstanceNormalization", List.of(grouped, g.constFloats(new long[] {groups}, ones),
                g.constFloats(new long[] {groups}, zeros)), Attr.f("epsilon", 1e-5f));
        String back = g.op("Reshape", norm, g.op("Shape", x));
        Tensor gamma = state.get(p + ".weight"), beta = state.get(p + ".bias");
        long ch = gamma.numel();
        String wName = g.weight(p + ".weight", Tensors.toFloats(gamma), ch, 1, 1);
        String bName = g.weight(p + ".bias", Tensors.toFloats(beta), ch, 1, 1);
        return g.op("Add", g.op("Mul", back, wName), bName);
    }

    // ---- box refinement ---------------------------------------------------------------------------------------------

    /** BoxRefinement.refine as ONNX ops: the sides of the coarse box re-read by one GridSample over (B·4, 1, H, W). */
    private String refine(String coarse, String offsets, int stride) {
        String shape = g.op("Shape", coarse);
        String hf = dimFloat(shape, 2), wf = dimFloat(shape, 3);
        String h1 = g.op("Shape", coarse, Attr.i("start", 2), Attr.i("end", 3));
        String w1 = g.op("Shape", coarse, Attr.i("start", 3), Attr.i("end", 4));
        String col = g.op("Unsqueeze", range(wf), g.ints(0, 1));     // (1, 1, W)
        String row = g.op("Unsqueeze", range(hf), g.ints(0, 2));     // (1, H, 1)
        float s = stride;
        String px = g.op("Add", g.op("Mul", col, g.scalar(s)), g.scalar(s * 0.5f));
        String py = g.op("Add", g.op("Mul", row, g.scalar(s)), g.scalar(s * 0.5f));
        String[] d = new String[4], cells = new String[4], o = new String[8];
        for (int k = 0; k < 4; k++) {
            d[k] = select(coarse, k);
        }
        String cellMap = g.op("Div", coarse, g.scalar(s));
        for (int k = 0; k < 4; k++) {
            cells[k] = select(cellMap, k);
        }
        for (int k = 0; k < 8; k++) {
            o[k] = select(offsets, k);
        }
        String sides = stack(1, g.op("Sub", px, d[0]), g.op("Sub", py, d[1]), g.op("Add", px, d[2]), g.op("Add", py, d[3]));
        String[] y = {g.op("Add", row, o[0]), g.op("Add", row, g.op("Sub", o[2], cells[1])),
                      g.op("Add", row, o[4]), g.op("Add", row, g.op("Add", o[6], cells[3]))};
        String[] x = {g.op("Add", col, g.op("Sub", o[1], cells[0])), g.op("Add", col, o[3]),
                      g.op("Add", col, g.op("Add", o[5], cells[2])), g.op("Add", col, o[7])};
        String[] grids = new String[4];
        for (int side = 0; side < 4; side++) {
            grids[side] = stack(-1, normalise(x[side], wf), normalise(y[side], hf));   // (B, H, W, 2)
        }
        String grid = g.op("Reshape", stack(1, grids), g.op("Concat", List.of(g.ints(-1), h1, w1, g.ints(2)), Attr.i("axis", 0)));
        String planes = g.op("Reshape", sides, g.op("Concat", List.of(g.ints(-1, 1), h1, w1), Attr.i("axis", 0)));
        String sampled = g.op("Reshape", gridSample(planes, grid),
                g.op("Concat", List.of(g.ints(-1, 4), h1, w1), Attr.i("axis", 0)));      // (B, 4, H, W)
        return relu(stack(1, g.op("Sub", px, select(sampled, 0)), g.op("Sub", py, select(sampled, 1)),
                g.op("Sub", select(sampled, 2), px), g.op("Sub", select(sampled, 3), py)));
    }

    // ---- DCNv2 ------------------------------------------------------------------------------------------------------

    /**
     * ModulatedDeformConv2d.deform as ONNX ops: offsets and mask from {@code conv_offset}, the nine taps gathered by one
     * GridSample into (B, C, 9·Ho, Wo), masked, then one MatMul with the (O, C·9) weight. {@code bn}, when not null,
     * is folded into the weight and bias.
     */
    private String deform(String x, String p, int stride, String bn) {
        String om = conv(x, p + ".conv_offset", stride, 1, null);                     // (B, 27, Ho, Wo)
        String dy = g.op("Slice", List.of(om, g.ints(0), g.ints(18), g.ints(1), g.ints(2)));
        String dx = g.op("Slice", List.of(om, g.ints(1), g.ints(18), g.ints(1), g.ints(2)));
        String mask = g.op("Sigmoid", g.op("Slice", List.of(om, g.ints(18), g.ints(27), g.ints(1))));
        String xShape = g.op("Shape", x), oShape = g.op("Shape", om);
        String hf = dimFloat(xShape, 2), wf = dimFloat(xShape, 3);
        String b1 = g.op("Shape", x, Attr.i("start", 0), Attr.i("end", 1));
        String wo1 = g.op("Shape", om, Attr.i("start", 3), Attr.i("end", 4));
        float[] tapRow = new float[9], tapCol = new float[9];
        for (int t = 0; t < 9; t++) {
            tapRow[t] = t / 3 - 1;
            tapCol[t] = t % 3 - 1;
        }
        String rowsBase = g.op("Reshape", g.op("Mul", range(dimFloat(oShape, 2)), g.scalar(stride)), g.ints(1, 1, -1, 1));
        String colsBase = g.op("Reshape", g.op("Mul", range(dimFloat(oShape, 3)), g.scalar(stride)), g.ints(1, 1, 1, -1));
        String rows = g.op("Add", g.constFloats(new long[] {1, 9, 1, 1}, tapRow), rowsBase);
        String cols = g.op("Add", g.constFloats(new long[] {1, 9, 1, 1}, tapCol), colsBase);
        String gy = normalise(g.op("Add", dy, rows), hf), gx = normalise(g.op("Add", dx, cols), wf);
        String grid = g.op("Reshape", stack(-1, gx, gy), g.op("Concat", List.of(b1, g.ints(-1), wo1, g.ints(2)), Attr.i("axis", 0)));
        Tensor w = state.get(p + ".weight");
        long o = w.size(0), c = w.size(1);
        String sampled = g.op("Reshape", gridSample(x, grid),
                g.op("Concat", List.of(b1, g.ints(c, 9, -1), wo1), Attr.i("axis", 0)));   // (B, C, 9, Ho, Wo)
        String masked = g.op("Reshape", g.op("Mul", sampled, g.op("Unsqueeze", mask, g.ints(1))), g.ints(0, c * 9, -1));
        Tensor[] wb = folded(p, bn);
        String wName = g.weight(p + ".weight" + (bn == null ? "" : FOLDED), Tensors.toFloats(wb[0]), o, c * 9);
        String out = g.op("Reshape", g.op("MatMul", wName, masked),
                g.op("Concat", List.of(b1, g.ints(o, -1), wo1), Attr.i("axis", 0)));       // (B, O, Ho, Wo)
        if (wb[1] == null) {
            return out;
        }
        String bName = g.weight(p + ".bias" + (bn == null ? "" : FOLDED), Tensors.toFloats(wb[1]), o, 1, 1);
        return g.op("Add", out, bName);
    }

    // ---- pieces -----------------------------------------------------------------------------------------------------

    /** A conv with the weights of {@code p} ({@code .weight}, optional {@code .bias}), {@code bn} folded in when not null. */
    private String conv(String x, String p, int stride, int pad, String bn) {
        Tensor[] wb = folded(p, bn);
        long[] dims = wb[0].shape();
        String tag = bn == null ? "" : FOLDED;
        List<String> in = new ArrayList<>(List.of(x, g.weight(p + ".weight" + tag, Tensors.toFloats(wb[0]), dims)));
        if (wb[1] != null) {
            in.add(g.weight(p + ".bias" + tag, Tensors.toFloats(wb[1]), dims[0]));
        }
        return g.op("Conv", in, Attr.ints("kernel_shape", dims[2], dims[3]), Attr.ints("strides", stride, stride),
                Attr.ints("pads", pad, pad, pad, pad));
    }

    /**
     * The weight and bias of {@code p} (bias null when absent and no norm is folded), with the frozen batch norm
     * {@code bn} folded in, in double precision.
     */
    private Tensor[] folded(String p, String bn) {
        Tensor w = state.get(p + ".weight");
        Tensor b = state.get(p + ".bias");
        if (w == null) {
            throw new IllegalStateException("no parameter " + p + ".weight in the model");
        }
        if (bn == null) {
            return new Tensor[] {w, b};
        }
        Tensor gamma = state.get(bn + ".weight").to(ScalarType.Double), beta = state.get(bn + ".bias").to(ScalarType.Double);
        Tensor mean = state.get(bn + ".running_mean").to(ScalarType.Double), var = state.get(bn + ".running_var").to(ScalarType.Double);
        Tensor k = gamma.div(var.add(Tensors.s(FrozenBatchNorm2d.EPS)).sqrt());                        // γ/√(σ²+ε)
        long[] view = new long[(int) w.dim()];
        java.util.Arrays.fill(view, 1);
        view[0] = -1;
        Tensor wf = w.to(ScalarType.Double).mul(k.view(view));
        Tensor b0 = b == null ? torch.zeros_like(mean) : b.to(ScalarType.Double);
        Tensor bf = b0.sub(mean).mul(k).add(beta);
        return new Tensor[] {wf, bf};
    }

    private String scalarWeight(String name) {
        return g.weight(name, new float[] {(float) state.get(name).item_double()});
    }

    private String relu(String x) {
        return g.op("Relu", x);
    }

    /** {@code x.select(1, k)}: Gather with a 0-dim index drops the axis. */
    private String select(String x, int k) {
        return g.op("Gather", x, g.index(k), Attr.i("axis", 1));
    }

    /** torch.stack along {@code axis}: Unsqueeze each, then Concat. */
    private String stack(int axis, String... xs) {
        List<String> u = new ArrayList<>();
        for (String x : xs) {
            u.add(g.op("Unsqueeze", x, g.ints(axis)));
        }
        return g.op("Concat", u, Attr.i("axis", axis));
    }

    /** One dim of a Shape output as a 0-dim float. */
    private String dimFloat(String shape, int axis) {
        return g.op("Cast", g.op("Gather", shape, g.index(axis), Attr.i("axis", 0)), Attr.i("to", OnnxGraph.FLOAT));
    }

    /** 0, 1, ..., n − 1 as floats, n a 0-dim float. */
    private String range(String n) {
        return g.op("Range", List.of(g.scalar(0f), n, g.scalar(1f)));
    }

    /** Pixel position → GridSample coordinate with {@code align_corners=0}: {@code (2·pix + 1)/size − 1}. */
    private String normalise(String pix, String size) {
        return g.op("Sub", g.op("Div", g.op("Add", g.op("Mul", pix, g.scalar(2f)), g.scalar(1f)), size), g.scalar(1f));
    }

    private String gridSample(String x, String grid) {
        return g.op("GridSample", List.of(x, grid), Attr.s("mode", "bilinear"), Attr.s("padding_mode", "zeros"),
                Attr.i("align_corners", 0));
    }
}
