package dev.dwjava.kernels;

import dev.dwjava.core.dw.AssignmentDiagnostics;
import dev.dwjava.core.dw.DwAssigner;
import dev.dwjava.core.dw.DwAssignment;
import dev.dwjava.core.dw.DwConstants;
import dev.dwjava.core.dw.GroundTruth;
import dev.dwjava.core.dw.ImagePredictions;
import dev.dwjava.core.point.PointGrid;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@link DwAssigner} with the fused DW weighting kernels of {@code dw_weighting.cu}: per image, five launches and two
 * small reads (the number of inside pairs n, to size the pair arrays, and the number of written P_neg entries m).
 * Memory is O(P + n + G); no P × G or P × G × C tensor exists. Results equal {@link dev.dwjava.core.dw.TorchDwAssigner}'s
 * up to float rounding of the per-GT sums (fixed-order tree reductions here); the P_neg entries come in pair order
 * rather than sorted by index.
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
        if (predictions.numPoints() != points.numPoints()) {
            throw new IllegalArgumentException("predictions have " + predictions.numPoints() + " points but the grid has "
                    + points.numPoints());
        }
        ScalarType st = predictions.distances().scalar_type();
        KernelDtype dtype = KernelDtype.of(predictions.distances(), "distances");
        launcher.require(predictions.distances(), "distances");
        Tensor xy = points.xy().to(st).contiguous();
        Tensor strides = points.strides().to(st).contiguous();
        Tensor boxes = gt.boxes().to(st).contiguous();
        Tensor labels = gt.labels().to(ScalarType.Long).contiguous();
        Tensor cls = predictions.clsLogits().detach().to(st).contiguous();
        Tensor obj = predictions.objLogits().detach().to(st).contiguous();
        Tensor dist = predictions.distances().detach().contiguous();
        long numPoints = points.numPoints(), numGt = gt.size(), numClasses = predictions.numClasses();

        Tensor counts = torch.zeros(new long[] {numGt}, Tensors.optionsLike(dist, ScalarType.Int));
        if (numGt > 0) {
            try (KernelArgs a = new KernelArgs().tensor("xy", xy, st).i64(numPoints).tensor("gt boxes", boxes, st).tensor("counts", counts, ScalarType.Int)) {
                launcher.launch(dtype.kernel("dw_count_inside"), numGt, 1, block(dtype.kernel("dw_count_inside")), a);
            }
        }
        long n = numGt == 0 ? 0 : counts.sum().item_long();

        Tensor pairPoint = Tensors.empty(Tensors.optionsLike(dist, ScalarType.Long), n);
        Tensor pairGt = torch.empty_like(pairPoint);
        Tensor pairIou = Tensors.empty(Tensors.optionsLike(dist, st), n);
        Tensor posWeight = torch.empty_like(pairIou);
        Tensor negPerPair = torch.empty_like(pairIou);
        Tensor maxIou = Tensors.empty(Tensors.optionsLike(dist, st), numGt);
        Tensor numGood = Tensors.empty(Tensors.optionsLike(dist, ScalarType.Long), numGt);
        Tensor sumWeight = torch.empty_like(maxIou);
        Tensor negIndex = Tensors.empty(Tensors.optionsLike(dist, ScalarType.Long), n);
        Tensor negValue = torch.empty_like(pairIou);
        Tensor negCount = torch.zeros(new long[] {1}, Tensors.optionsLike(dist, ScalarType.Long));
        Tensor negFactor = torch.zeros(new long[] {1}, Tensors.optionsLike(dist, st));
        if (numGt > 0) {
            if (n > 0) {
                try (KernelArgs a = new KernelArgs().tensor("xy", xy, st).i64(numPoints).tensor("gt boxes", boxes, st)
                        .tensor("counts", counts, ScalarType.Int).tensor("pair point", pairPoint, ScalarType.Long).tensor("pair gt", pairGt, ScalarType.Long)) {
                    launcher.launch(dtype.kernel("dw_collect_pairs"), numGt, 1, block(dtype.kernel("dw_collect_pairs")), a);
                }
            }
            try (KernelArgs a = new KernelArgs().tensor("xy", xy, st).tensor("strides", strides, st).tensor("gt boxes", boxes, st)
                    .tensor("gt labels", labels, ScalarType.Long).tensor("cls logits", cls, st).i64(numClasses).tensor("obj logits", obj, st)
                    .tensor("distances", dist, st).tensor("counts", counts, ScalarType.Int).tensor("pair point", pairPoint, ScalarType.Long)
                    .real(st, DwConstants.TWO_SIGMA_SQUARED).real(st, DwConstants.LOC_SCORE_SCALE)
                    .real(st, DwConstants.POS_NUMERATOR_SHARPNESS).real(st, DwConstants.POS_NORMALIZER_SHARPNESS)
                    .real(st, DwConstants.NEG_IOU_THRESHOLD).real(st, DwConstants.NEG_TRANSFORM_SLOPE)
                    .real(st, DwConstants.WEIGHT_EPS)
                    .tensor("pair iou", pairIou, st).tensor("pos weight", posWeight, st).tensor("neg per pair", negPerPair, st)
                    .tensor("max iou", maxIou, st).tensor("num good", numGood, ScalarType.Long).tensor("sum weight", sumWeight, st)) {
                launcher.launch(dtype.kernel("dw_gt_weights"), numGt, 1, block(dtype.kernel("dw_gt_weights")), a);
            }
            Tensor keep = Tensors.empty(Tensors.optionsLike(dist, ScalarType.Int), n);
            if (n > 0) {
                try (KernelArgs a = new KernelArgs().tensor("xy", xy, st).tensor("gt boxes", boxes, st).tensor("gt labels", labels, ScalarType.Long)
                        .i64(numGt).tensor("pair point", pairPoint, ScalarType.Long).tensor("pair gt", pairGt, ScalarType.Long).i64(n).tensor("keep", keep, ScalarType.Int)) {
                    int block = block(dtype.kernel("dw_neg_keep"));
                    launcher.launch(dtype.kernel("dw_neg_keep"), (n + block - 1) / block, 1, block, a);
                }
            }
            try (KernelArgs a = new KernelArgs().tensor("gt labels", labels, ScalarType.Long).i64(numClasses).tensor("pair point", pairPoint, ScalarType.Long)
                    .tensor("pair gt", pairGt, ScalarType.Long).tensor("neg per pair", negPerPair, st).tensor("keep", keep, ScalarType.Int).i64(n)
                    .tensor("neg index", negIndex, ScalarType.Long).tensor("neg value", negValue, st).tensor("neg count", negCount, ScalarType.Long)
                    .tensor("neg factor", negFactor, st)) {
                launcher.launch(dtype.kernel("dw_neg_compact"), 1, 1, block(dtype.kernel("dw_neg_compact")), a);
            }
        }
        long m = numGt == 0 ? 0 : negCount.item_long();
        AssignmentDiagnostics diagnostics = new AssignmentDiagnostics(counts.to(ScalarType.Long), maxIou, numGood, sumWeight);
        return new DwAssignment(pairPoint, pairGt, posWeight, negIndex.narrow(0, 0, m), negValue.narrow(0, 0, m),
                negFactor.squeeze(0), diagnostics);
    }
}
