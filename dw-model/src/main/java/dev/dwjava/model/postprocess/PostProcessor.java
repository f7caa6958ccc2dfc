package dev.dwjava.model.postprocess;

import static dev.dwjava.core.tensor.Tensors.s;

import java.util.ArrayList;
import java.util.List;

import dev.dwjava.core.box.BoxOps;
import dev.dwjava.core.box.DistanceCoder;
import dev.dwjava.core.box.Nms;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.model.head.HeadOutputs;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Head outputs → detections (docs/DW_SPEC.md §4), per image: for each level, the (point, class) pairs with joint score
 * {@code σ(cls)·σ(obj) > scoreThr}, the best {@code nmsPre} of them by score, decoded and clipped to the unpadded
 * resized image; levels concatenated, boxes divided by the resize factors, class-aware NMS, the first
 * {@code maxPerImage} kept. Pairs, not points, are ranked, so one point can give several classes.
 */
public final class PostProcessor {
    private final TestConfig config;
    private final Nms nms;

    /** Post-processing with {@code config}'s thresholds and counts, suppressing with {@code nms}. */
    public PostProcessor(TestConfig config, Nms nms) {
        this.config = config;
        this.nms = nms;
    }

    /** Counts along the way, for equivalence checks and logs. */
    public record Trace(long[] aboveThresholdPerLevel, long[] keptPerLevel, long candidates, long afterNms,
                        long degenerateCandidates) {}

    /** The detections of one image plus its trace. */
    public record Result(Detections detections, Trace trace) {}

    /**
     * The detections of one image.
     *
     * @param levels the image's head outputs level by level ({@link HeadOutputs#image(int)})
     * @param meta   the image's sizes and resize factors
     */
    public Result process(List<HeadOutputs.ImageLevel> levels, ImageMeta meta) {
        Candidates c = candidates(levels, meta);
        Tensor keep = nms.batchedNms(c.boxes(), c.scores(), c.labels(), config.iouThreshold());
        long afterNms = keep.size(0);
        keep = keep.narrow(0, 0, Math.min(afterNms, config.maxPerImage()));
        Detections det = new Detections(c.boxes().index_select(0, keep), c.scores().index_select(0, keep),
                c.labels().index_select(0, keep));
        Trace t = c.trace();
        return new Result(det, new Trace(t.aboveThresholdPerLevel(), t.keptPerLevel(), t.candidates(), afterNms,
                t.degenerateCandidates()));
    }

    /**
     * The candidates of one image before NMS, in original-image pixels (boxes (N, 4) xyxy, scores (N), labels (N)),
     * and their trace (without the NMS count): what test-time augmentation merges over augmentations.
     */
    public record Candidates(Tensor boxes, Tensor scores, Tensor labels, Trace trace) {}

    /** Every step of {@link #process} up to NMS. */
    public Candidates candidates(List<HeadOutputs.ImageLevel> levels, ImageMeta meta) {
        int numLevels = levels.size();
        long numClasses = levels.get(0).clsLogits().size(1);
        long[] above = new long[numLevels], kept = new long[numLevels];
        TensorVector boxes = new TensorVector(), scores = new TensorVector(), labels = new TensorVector();
        for (int l = 0; l < numLevels; l++) {
            HeadOutputs.ImageLevel level = levels.get(l);
            Tensor points = level.points();                                                          // (HW, 2)
            Tensor clsProb = level.clsLogits().sigmoid();                                            // (HW, C)
            Tensor objProb = level.objLogits().sigmoid();                                            // (HW)
            Tensor joint = clsProb.mul(objProb.unsqueeze(1)).reshape(-1);                            // (HW·C)
            Tensor candidates = joint.gt(s(config.scoreThr())).nonzero().squeeze(1);                 // flat pair ids
            above[l] = candidates.size(0);
            // Stable descending sort: equal scores keep the pairs' row-major order.
            T_TensorTensor_T sorted = joint.index_select(0, candidates).sort(new BoolOptional(true), 0, true);
            long k = Math.min(config.nmsPre(), above[l]);
            kept[l] = k;
            Tensor top = candidates.index_select(0, sorted.get1().narrow(0, 0, k));
            Tensor point = top.floor_divide(s(numClasses)), label = top.remainder(s(numClasses));
            Tensor d = level.distances().index_select(0, point);
            Tensor decoded = DistanceCoder.decode(points.index_select(0, point), d);
            boxes.push_back(BoxOps.clip(decoded, meta.height(), meta.width()));
            // The original recomputes the product from the kept σ(cls) and σ(obj): the same float32 value.
            scores.push_back(clsProb.reshape(-1).index_select(0, top).mul(objProb.index_select(0, point)));
            labels.push_back(label);
        }
        Tensor allBoxes = torch.cat(boxes, 0), allScores = torch.cat(scores, 0), allLabels = torch.cat(labels, 0);
        Tensor w = allBoxes.select(1, 2).sub(allBoxes.select(1, 0)), h = allBoxes.select(1, 3).sub(allBoxes.select(1, 1));
        long degenerate = w.le(s(0.0)).logical_or(h.le(s(0.0))).sum().item_long();
        Tensor factors = Tensors.of(new double[] {meta.scaleWidth(), meta.scaleHeight(), meta.scaleWidth(), meta.scaleHeight()},
                org.bytedeco.pytorch.global.torch.ScalarType.Double, 4).to(allBoxes.device(), allBoxes.scalar_type());
        Tensor original = allBoxes.div(factors);
        return new Candidates(original, allScores, allLabels, new Trace(above, kept, allScores.size(0), -1, degenerate));
    }

    /**
     * Class-aware NMS with this post-processor's IoU threshold over candidates of several augmentations (merged in
     * original-image pixels), the best {@code maxPerImage} kept: mmdetection's {@code multiclass_nms} after
     * {@code merge_aug_bboxes}. The candidates are already above the score threshold.
     */
    public Detections suppress(Tensor boxes, Tensor scores, Tensor labels) {
        Tensor keep = nms.batchedNms(boxes, scores, labels, config.iouThreshold());
        keep = keep.narrow(0, 0, Math.min(keep.size(0), config.maxPerImage()));
        return new Detections(boxes.index_select(0, keep), scores.index_select(0, keep), labels.index_select(0, keep));
    }

    /** The settings of this post-processor. */
    public TestConfig config() {
        return config;
    }

    /** The detections of image {@code b} of a batch's head outputs. */
    public Result process(HeadOutputs heads, int b, ImageMeta meta) {
        return process(heads.image(b), meta);
    }

    /** The detections of every image of a batch, {@code metas} in batch order. */
    public List<Result> processBatch(HeadOutputs heads, List<ImageMeta> metas) {
        if (metas.size() != heads.numImages()) {
            throw new IllegalArgumentException(metas.size() + " image metas for a batch of " + heads.numImages());
        }
        List<Result> out = new ArrayList<>();
        for (int b = 0; b < metas.size(); b++) {
            out.add(process(heads, b, metas.get(b)));
        }
        return out;
    }
}
