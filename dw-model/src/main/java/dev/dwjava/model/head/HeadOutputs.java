package dev.dwjava.model.head;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.dwjava.core.dw.ImagePredictions;
import dev.dwjava.core.point.FeatureLevel;
import dev.dwjava.core.point.Levels;
import dev.dwjava.core.point.PointGrid;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The head's outputs for a batch, P3..P7 ({@link LevelOutput} per level), and the only place that turns them into
 * per-point tensors: {@link #points()} and {@link #predictions()} for the loss (levels concatenated, docs/DW_SPEC.md §2
 * order), {@link #image(int)} for post-processing (one image, level by level). Nothing is cached: every view is made
 * in the caller's tensor scope.
 */
public final class HeadOutputs {
    private final List<LevelOutput> levels;

    /** @param levels per level (B, C, H, W) class logits, (B, 4, H, W) distances, (B, 1, H, W) objectness */
    public HeadOutputs(List<LevelOutput> levels) {
        if (levels.isEmpty()) {
            throw new IllegalArgumentException("head outputs need at least one level");
        }
        long batch = levels.get(0).clsLogits().size(0), classes = levels.get(0).clsLogits().size(1);
        for (int l = 0; l < levels.size(); l++) {
            LevelOutput o = levels.get(l);
            long h = o.clsLogits().size(2), w = o.clsLogits().size(3);
            require(o.clsLogits(), l, "class logits", batch, classes, h, w);
            require(o.distances(), l, "distances", batch, 4, h, w);
            require(o.objLogits(), l, "objectness logits", batch, 1, h, w);
        }
        this.levels = List.copyOf(levels);
    }

    /** Outputs given as per-level (B, ·, H, W) tensors, as the reference cases store them. */
    public static HeadOutputs of(List<Tensor> cls, List<Tensor> dist, List<Tensor> obj, int[] strides) {
        if (cls.size() != strides.length || dist.size() != strides.length || obj.size() != strides.length) {
            throw new IllegalArgumentException("need one class, distance and objectness tensor per stride: found " + cls.size()
                    + ", " + dist.size() + ", " + obj.size() + " for " + strides.length + " strides");
        }
        List<LevelOutput> levels = new ArrayList<>();
        for (int l = 0; l < strides.length; l++) {
            levels.add(new LevelOutput(cls.get(l), dist.get(l), obj.get(l), strides[l]));
        }
        return new HeadOutputs(levels);
    }

    private static void require(Tensor t, int level, String what, long... shape) {
        if (t.dim() != 4 || !Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(what + " of level " + level + " must be " + Arrays.toString(shape) + ", found "
                    + Arrays.toString(t.shape()));
        }
    }

    /**
     * The outputs in fp32: an autocast forward leaves them in bf16 or fp16, and the DW assignment and loss run in
     * fp32 (the cast is part of the autograd graph). Outputs already in fp32 come back as they are.
     */
    public HeadOutputs toFloat() {
        if (levels.get(0).clsLogits().scalar_type().value == ScalarType.Float.value) {
            return this;
        }
        List<LevelOutput> out = new ArrayList<>();
        for (LevelOutput o : levels) {
            out.add(new LevelOutput(o.clsLogits().to(ScalarType.Float), o.distances().to(ScalarType.Float),
                    o.objLogits().to(ScalarType.Float), o.stride()));
        }
        return new HeadOutputs(out);
    }

    /** The per-level outputs, P3 first. */
    public List<LevelOutput> levels() {
        return levels;
    }

    public LevelOutput level(int l) {
        return levels.get(l);
    }

    public int numLevels() {
        return levels.size();
    }

    public int numImages() {
        return (int) levels.get(0).clsLogits().size(0);
    }

    public long numClasses() {
        return levels.get(0).clsLogits().size(1);
    }

    /** The device the outputs are on. */
    public Device device() {
        return levels.get(0).clsLogits().device();
    }

    public boolean onCpu() {
        return levels.get(0).clsLogits().is_cpu();
    }

    public int[] strides() {
        return levels.stream().mapToInt(LevelOutput::stride).toArray();
    }

    /** The feature-map sizes and strides of the levels. */
    public List<FeatureLevel> featureLevels() {
        List<FeatureLevel> out = new ArrayList<>();
        for (LevelOutput o : levels) {
            out.add(new FeatureLevel((int) o.clsLogits().size(2), (int) o.clsLogits().size(3), o.stride()));
        }
        return out;
    }

    /** The points of all levels (P), in the class logits' dtype, on their device. */
    public PointGrid points() {
        Tensor like = levels.get(0).clsLogits();
        return PointGrid.generate(featureLevels(), like.scalar_type()).to(like.device());
    }

    /** Per image, the outputs of all levels as (P, C), (P, 4), (P) in {@link #points()} order (what the loss takes). */
    public List<ImagePredictions> predictions() {
        List<Tensor> cls = new ArrayList<>(), dist = new ArrayList<>(), obj = new ArrayList<>();
        for (LevelOutput o : levels) {
            cls.add(o.clsLogits());
            dist.add(o.distances());
            obj.add(o.objLogits());
        }
        List<Tensor> c = Levels.toImages(cls), d = Levels.toImages(dist), ob = Levels.toImages(obj);
        List<ImagePredictions> preds = new ArrayList<>();
        for (int b = 0; b < c.size(); b++) {
            preds.add(new ImagePredictions(c.get(b), d.get(b), ob.get(b).reshape(-1)));
        }
        return preds;
    }

    /**
     * One image's outputs at one level, point-major.
     *
     * @param points    (HW, 2) the level's points
     * @param clsLogits (HW, C)
     * @param distances (HW, 4)
     * @param objLogits (HW)
     * @param stride    the level's stride
     */
    public record ImageLevel(Tensor points, Tensor clsLogits, Tensor distances, Tensor objLogits, int stride) {}

    /** Image {@code b}'s outputs, level by level (what post-processing takes: it ranks candidates per level). */
    public List<ImageLevel> image(int b) {
        if (b < 0 || b >= numImages()) {
            throw new IndexOutOfBoundsException("image " + b + " of a batch of " + numImages());
        }
        List<ImageLevel> out = new ArrayList<>();
        for (LevelOutput o : levels) {
            Tensor c = o.clsLogits();
            FeatureLevel level = new FeatureLevel((int) c.size(2), (int) c.size(3), o.stride());
            Tensor points = PointGrid.generate(List.of(level), c.scalar_type()).to(c.device()).xy();
            out.add(new ImageLevel(points, Levels.pointMajor(c.select(0, b)), Levels.pointMajor(o.distances().select(0, b)),
                    Levels.pointMajor(o.objLogits().select(0, b)).reshape(-1), o.stride()));
        }
        return out;
    }
}
