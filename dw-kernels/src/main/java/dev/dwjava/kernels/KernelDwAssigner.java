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
    private final int block;

    public KernelDwAssigner(KernelLauncher launcher) {
        this(launcher, launcher.defaultBlock());
    }

    /** @param block threads per block (a power of two, at most 1024) */
    public KernelDwAssigner(KernelLauncher launcher, int block) {
        if (block < 1 || block > 1024 || Integer.bitCount(block) != 1) {
            throw new IllegalArgumentException("block must be a power of two in [1, 1024], found " + block);
        }
        this.launcher = launcher;
        this.block = block;
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
        Tensor labels = gt.labels().contiguous();
        Tensor cls = predictions.clsLogits().detach().to(st).contiguous();
        Tensor obj = predictions.objLogits().detach().to(st).contiguous();
        Tensor dist = predictions.distances().detach().contiguous();
        long numPoints = points.numPoints(), numGt = gt.size(), numClasses = predictions.numClasses();

        Tensor counts = torch.zeros(new long[] {numGt}, Tensors.optionsLike(dist, ScalarType.Int));
        if (numGt > 0) {
            try (KernelArgs a = new KernelArgs().tensor("xy", xy).i64(numPoints).tensor("gt boxes", boxes).tensor("counts", counts)) {
                launcher.launch(dtype.kernel("dw_count_inside"), numGt, 1, block, a);
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
                try (KernelArgs a = new KernelArgs().tensor("xy", xy).i64(numPoints).tensor("gt boxes", boxes)
                        .tensor("counts", counts).tensor("pair point", pairPoint).tensor("pair gt", pairGt)) {
                    launcher.launch(dtype.kernel("dw_collect_pairs"), numGt, 1, block, a);
                }
            }
            try (KernelArgs a = new KernelArgs().tensor("xy", xy).tensor("strides", strides).tensor("gt boxes", boxes)
                    .tensor("gt labels", labels).tensor("cls logits", cls).i64(numClasses).tensor("obj logits", obj)
                    .tensor("distances", dist).tensor("counts", counts).tensor("pair point", pairPoint)
                    .real(st, DwConstants.TWO_SIGMA_SQUARED).real(st, DwConstants.LOC_SCORE_SCALE)
                    .real(st, DwConstants.POS_NUMERATOR_SHARPNESS).real(st, DwConstants.POS_NORMALIZER_SHARPNESS)
                    .real(st, DwConstants.NEG_IOU_THRESHOLD).real(st, DwConstants.NEG_TRANSFORM_SLOPE)
                    .real(st, DwConstants.WEIGHT_EPS)
                    .tensor("pair iou", pairIou).tensor("pos weight", posWeight).tensor("neg per pair", negPerPair)
                    .tensor("max iou", maxIou).tensor("num good", numGood).tensor("sum weight", sumWeight)) {
                launcher.launch(dtype.kernel("dw_gt_weights"), numGt, 1, block, a);
            }
            Tensor keep = Tensors.empty(Tensors.optionsLike(dist, ScalarType.Int), n);
            if (n > 0) {
                try (KernelArgs a = new KernelArgs().tensor("xy", xy).tensor("gt boxes", boxes).tensor("gt labels", labels)
                        .i64(numGt).tensor("pair point", pairPoint).tensor("pair gt", pairGt).i64(n).tensor("keep", keep)) {
                    launcher.launch(dtype.kernel("dw_neg_keep"), (n + block - 1) / block, 1, block, a);
                }
            }
            try (KernelArgs a = new KernelArgs().tensor("gt labels", labels).i64(numClasses).tensor("pair point", pairPoint)
                    .tensor("pair gt", pairGt).tensor("neg per pair", negPerPair).tensor("keep", keep).i64(n)
                    .tensor("neg index", negIndex).tensor("neg value", negValue).tensor("neg count", negCount)
                    .tensor("neg factor", negFactor)) {
                launcher.launch(dtype.kernel("dw_neg_compact"), 1, 1, block, a);
            }
        }
        long m = numGt == 0 ? 0 : negCount.item_long();
        AssignmentDiagnostics diagnostics = new AssignmentDiagnostics(counts.to(ScalarType.Long), maxIou, numGood, sumWeight);
        return new DwAssignment(pairPoint, pairGt, posWeight, negIndex.narrow(0, 0, m), negValue.narrow(0, 0, m),
                negFactor.squeeze(0), diagnostics);
    }
}
