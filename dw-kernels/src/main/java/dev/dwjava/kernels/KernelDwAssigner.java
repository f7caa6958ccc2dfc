package dev.dwjava.kernels;

import java.util.ArrayList;
import java.util.List;

import dev.dwjava.core.dw.AssignmentDiagnostics;
import dev.dwjava.core.dw.DwAssigner;
import dev.dwjava.core.dw.DwAssignment;
import dev.dwjava.core.dw.DwConstants;
import dev.dwjava.core.dw.GroundTruth;
import dev.dwjava.core.dw.ImagePredictions;
import dev.dwjava.core.point.PointGrid;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@link DwAssigner} with the fused DW weighting kernels of {@code dw_weighting.cu}, for a whole batch at once: the
 * GTs of all images in one grid, five launches per batch and one small read to the host (the inside-pair and kept
 * counts per GT, which size every output). Memory is O(B·P + n + G); no P × G or P × G × C tensor exists. The outputs
 * of a batch are a few tensors, and each image's assignment is views into them. Results equal
 * {@link dev.dwjava.core.dw.TorchDwAssigner}'s up to float rounding of the per-GT sums (fixed-order tree reductions
 * here), and do not depend on how the images are batched; the P_neg entries come in pair order rather than sorted by
 * index.
 */
public final class KernelDwAssigner implements DwAssigner {
    private final KernelLauncher launcher;
    private final int requestedBlock;

    /** The launcher's default block, capped per kernel by its limit ({@link KernelLauncher#blockFor}). */
    public KernelDwAssigner(KernelLauncher launcher) {
        this(launcher, 0);
    }

    /**
     * @param block threads per block of every launch (a power of two, at most 1024; 0 for the launcher's default); a
     *              launch whose kernel allows fewer threads is refused with an {@link IllegalArgumentException}
     */
    public KernelDwAssigner(KernelLauncher launcher, int block) {
        this.launcher = launcher;
        this.requestedBlock = KernelLauncher.validRequest(block);
    }

    private int block(String kernel) {
        return launcher.blockFor(kernel, requestedBlock);
    }

    @Override
    public DwAssignment assign(PointGrid points, ImagePredictions predictions, GroundTruth gt) {
        return assignBatch(points, List.of(predictions), List.of(gt)).get(0);
    }

    @Override
    public List<DwAssignment> assignBatch(PointGrid points, List<ImagePredictions> predictions, List<GroundTruth> gts) {
        int batch = predictions.size();
        if (gts.size() != batch || batch == 0) {
            throw new IllegalArgumentException("need one ground truth per image, found " + batch + " predictions and "
                    + gts.size() + " ground truths");
        }
        long numPoints = points.numPoints(), numClasses = predictions.get(0).numClasses();
        for (int b = 0; b < batch; b++) {
            ImagePredictions p = predictions.get(b);
            if (p.numPoints() != numPoints) {
                throw new IllegalArgumentException("predictions of image " + b + " have " + p.numPoints()
                        + " points but the grid has " + numPoints);
            }
            if (p.numClasses() != numClasses) {
                throw new IllegalArgumentException("predictions of image " + b + " have " + p.numClasses()
                        + " classes but image 0 has " + numClasses);
            }
        }
        Tensor ref = predictions.get(0).distances();
        ScalarType st = ref.scalar_type();
        KernelDtype dtype = KernelDtype.of(ref, "distances");
        launcher.require(ref, "distances");

        // GT layout: image b's GTs at [gtBegin[b], gtBegin[b + 1]); per GT its image and the end of its image's GTs.
        long[] gtBegin = new long[batch + 1];
        for (int b = 0; b < batch; b++) {
            gtBegin[b + 1] = gtBegin[b] + gts.get(b).size();
        }
        int numGt = Math.toIntExact(gtBegin[batch]);
        long[] layout = new long[2 * numGt + batch + 1];  // gt_image (G), gt_end (G), image_gt_begin (B + 1)
        for (int b = 0; b < batch; b++) {
            for (long g = gtBegin[b]; g < gtBegin[b + 1]; g++) {
                layout[(int) g] = b;
                layout[numGt + (int) g] = gtBegin[b + 1];
            }
        }
        System.arraycopy(gtBegin, 0, layout, 2 * numGt, batch + 1);

        Tensor counts32, maxIou, numGood, sumWeight, factor, pairPoint, pairGt, posWeight, negIndex, negValue;
        int[] hostCounts = new int[2 * numGt];
        if (numGt == 0) {
            Tensor emptyLong = Tensors.empty(Tensors.optionsLike(ref, ScalarType.Long), 0);
            Tensor emptyReal = Tensors.empty(Tensors.optionsLike(ref, st), 0);
            pairPoint = pairGt = negIndex = emptyLong;
            posWeight = negValue = emptyReal;
            counts32 = Tensors.empty(Tensors.optionsLike(ref, ScalarType.Int), 0);
            maxIou = sumWeight = emptyReal;
            numGood = emptyLong;
            factor = torch.zeros(new long[] {batch}, Tensors.optionsLike(ref, st));
        } else {
            Tensor xy = points.xy().to(st).contiguous();
            Tensor strides = points.strides().to(st).contiguous();
            Tensor boxes = concat(gts, true, st);
            Tensor labels = concat(gts, false, ScalarType.Long);
            Tensor cls = stack(predictions, 0, st);
            Tensor obj = stack(predictions, 1, st);
            Tensor dist = stack(predictions, 2, st);
            Tensor meta = Tensors.ofLongs(layout, layout.length).to(ref.device(), ScalarType.Long);
            Tensor gtImage = meta.narrow(0, 0, numGt), gtEnd = meta.narrow(0, numGt, numGt);
            Tensor imageGtBegin = meta.narrow(0, 2L * numGt, batch + 1);

            Tensor counts = torch.zeros(new long[] {2L * numGt}, Tensors.optionsLike(ref, ScalarType.Int));
            Tensor inside = counts.narrow(0, 0, numGt), kept = counts.narrow(0, numGt, numGt);
            String k = dtype.kernel("dw_count_inside");
            try (KernelArgs a = new KernelArgs().tensor("xy", xy, st).i64(numPoints).tensor("gt boxes", boxes, st)
                    .tensor("gt labels", labels, ScalarType.Long).tensor("gt end", gtEnd, ScalarType.Long)
                    .tensor("counts", inside, ScalarType.Int).tensor("kept", kept, ScalarType.Int)) {
                launcher.launch(k, numGt, 1, block(k), a);
            }
            // The one read of the batch: inside and kept counts per GT size every output.
            long[] c = Tensors.toLongs(counts);
            for (int i = 0; i < c.length; i++) {
                hostCounts[i] = Math.toIntExact(c[i]);
            }
            long n = 0;
            for (int g = 0; g < numGt; g++) {
                n += hostCounts[g];
            }

            // All outputs of the batch in three tensors (int64, element type, int32), views below.
            Tensor longs = Tensors.empty(Tensors.optionsLike(ref, ScalarType.Long), 3 * n + numGt);
            pairPoint = longs.narrow(0, 0, n);
            pairGt = longs.narrow(0, n, n);
            negIndex = longs.narrow(0, 2 * n, n);
            numGood = longs.narrow(0, 3 * n, numGt);
            Tensor reals = Tensors.empty(Tensors.optionsLike(ref, st), 4 * n + 2L * numGt + batch);
            Tensor pairIou = reals.narrow(0, 0, n);
            posWeight = reals.narrow(0, n, n);
            Tensor negPerPair = reals.narrow(0, 2 * n, n);
            negValue = reals.narrow(0, 3 * n, n);
            maxIou = reals.narrow(0, 4 * n, numGt);
            sumWeight = reals.narrow(0, 4 * n + numGt, numGt);
            factor = reals.narrow(0, 4 * n + 2L * numGt, batch);
            Tensor keep = Tensors.empty(Tensors.optionsLike(ref, ScalarType.Int), n);

            if (n > 0) {
                k = dtype.kernel("dw_collect_pairs");
                try (KernelArgs a = new KernelArgs().tensor("xy", xy, st).i64(numPoints).tensor("gt boxes", boxes, st)
                        .tensor("counts", inside, ScalarType.Int).tensor("pair point", pairPoint, ScalarType.Long)
                        .tensor("pair gt", pairGt, ScalarType.Long)) {
                    launcher.launch(k, numGt, 1, block(k), a);
                }
            }
            k = dtype.kernel("dw_gt_weights");
            try (KernelArgs a = new KernelArgs().tensor("xy", xy, st).tensor("strides", strides, st).tensor("gt boxes", boxes, st)
                    .tensor("gt labels", labels, ScalarType.Long).tensor("gt image", gtImage, ScalarType.Long).i64(numPoints)
                    .tensor("cls logits", cls, st).i64(numClasses).tensor("obj logits", obj, st).tensor("distances", dist, st)
                    .tensor("counts", inside, ScalarType.Int).tensor("pair point", pairPoint, ScalarType.Long)
                    .real(st, DwConstants.TWO_SIGMA_SQUARED).real(st, DwConstants.LOC_SCORE_SCALE)
                    .real(st, DwConstants.POS_NUMERATOR_SHARPNESS).real(st, DwConstants.POS_NORMALIZER_SHARPNESS)
                    .real(st, DwConstants.NEG_IOU_THRESHOLD).real(st, DwConstants.NEG_TRANSFORM_SLOPE)
                    .real(st, DwConstants.WEIGHT_EPS)
                    .tensor("pair iou", pairIou, st).tensor("pos weight", posWeight, st).tensor("neg per pair", negPerPair, st)
                    .tensor("max iou", maxIou, st).tensor("num good", numGood, ScalarType.Long)
                    .tensor("sum weight", sumWeight, st)) {
                launcher.launch(k, numGt, 1, block(k), a);
            }
            if (n > 0) {
                k = dtype.kernel("dw_neg_keep");
                int block = block(k);
                try (KernelArgs a = new KernelArgs().tensor("xy", xy, st).tensor("gt boxes", boxes, st)
                        .tensor("gt labels", labels, ScalarType.Long).tensor("gt end", gtEnd, ScalarType.Long)
                        .tensor("pair point", pairPoint, ScalarType.Long).tensor("pair gt", pairGt, ScalarType.Long).i64(n)
                        .tensor("keep", keep, ScalarType.Int)) {
                    launcher.launch(k, (n + block - 1) / block, 1, block, a);
                }
            }
            k = dtype.kernel("dw_neg_compact");
            try (KernelArgs a = new KernelArgs().tensor("gt labels", labels, ScalarType.Long).i64(numClasses)
                    .tensor("image gt begin", imageGtBegin, ScalarType.Long).tensor("counts", inside, ScalarType.Int)
                    .tensor("pair point", pairPoint, ScalarType.Long).tensor("pair gt", pairGt, ScalarType.Long)
                    .tensor("neg per pair", negPerPair, st).tensor("keep", keep, ScalarType.Int)
                    .tensor("neg index", negIndex, ScalarType.Long).tensor("neg value", negValue, st)
                    .tensor("neg factor", factor, st)) {
                launcher.launch(k, batch, 1, block(k), a);
            }
            counts32 = inside;
        }

        Tensor insideCount = counts32.to(ScalarType.Long);
        List<DwAssignment> out = new ArrayList<>(batch);
        long pairBegin = 0;
        for (int b = 0; b < batch; b++) {
            long g0 = gtBegin[b], gn = gtBegin[b + 1] - g0, nb = 0, mb = 0;
            for (long g = g0; g < g0 + gn; g++) {
                nb += hostCounts[(int) g];
                mb += hostCounts[numGt + (int) g];
            }
            AssignmentDiagnostics diagnostics = new AssignmentDiagnostics(insideCount.narrow(0, g0, gn),
                    maxIou.narrow(0, g0, gn), numGood.narrow(0, g0, gn), sumWeight.narrow(0, g0, gn));
            out.add(new DwAssignment(pairPoint.narrow(0, pairBegin, nb), pairGt.narrow(0, pairBegin, nb),
                    posWeight.narrow(0, pairBegin, nb), negIndex.narrow(0, pairBegin, mb), negValue.narrow(0, pairBegin, mb),
                    factor.select(0, b), diagnostics));
            pairBegin += nb;
        }
        return out;
    }

    /** The images' GT boxes (or labels) one after another, contiguous. */
    private static Tensor concat(List<GroundTruth> gts, boolean boxes, ScalarType st) {
        TensorVector parts = new TensorVector();
        for (GroundTruth gt : gts) {
            parts.push_back((boxes ? gt.boxes() : gt.labels()).to(st));
        }
        return torch.cat(parts, 0).contiguous();
    }

    /** One input of every image, stacked (B, P, ·) and detached: 0 class logits, 1 objectness, 2 distances. */
    private static Tensor stack(List<ImagePredictions> predictions, int which, ScalarType st) {
        if (predictions.size() == 1) {
            ImagePredictions p = predictions.get(0);
            return (which == 0 ? p.clsLogits() : which == 1 ? p.objLogits() : p.distances()).detach().to(st).contiguous();
        }
        TensorVector parts = new TensorVector();
        for (ImagePredictions p : predictions) {
            parts.push_back((which == 0 ? p.clsLogits() : which == 1 ? p.objLogits() : p.distances()).detach().to(st));
        }
        return torch.stack(parts, 0);
    }
}
