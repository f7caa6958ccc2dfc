package dev.dwjava.core.dw;

import static dev.dwjava.core.dw.DwConstants.NEG_IOU_THRESHOLD;
import static dev.dwjava.core.dw.DwConstants.NEG_TRANSFORM_SLOPE;
import static dev.dwjava.core.dw.DwConstants.POS_NORMALIZER_SHARPNESS;
import static dev.dwjava.core.dw.DwConstants.POS_NUMERATOR_SHARPNESS;
import static dev.dwjava.core.dw.DwConstants.WEIGHT_EPS;
import static dev.dwjava.core.tensor.Tensors.col;
import static dev.dwjava.core.tensor.Tensors.s;

import dev.dwjava.core.box.BoxOps;
import dev.dwjava.core.point.PointGrid;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * The DW assignment on libtorch tensors, device-agnostic (docs/DW_SPEC.md §3.1–3.6).
 *
 * <p>Memory: the inside test runs over blocks of GTs so that at most {@link #MAX_MASK_ELEMENTS} (GT, point) flags
 * exist at once; everything after it is computed over the n inside pairs only. Peak extra memory therefore grows
 * with n (plus a bounded block), never with P × G or P × G × C, which keeps crowded images (hundreds of GTs) cheap.
 */
public final class TorchDwAssigner implements DwAssigner {
    /** Upper bound of (GT, point) flags materialised at once by the inside test. */
    static final long MAX_MASK_ELEMENTS = 1L << 23;
    private final PairPriors priors;

    /** With the libtorch center prior. */
    public TorchDwAssigner() {
        this(new TorchPairPriors());
    }

    /** @param priors computes the center prior of the inside pairs (libtorch, or a kernel on the tensors' device) */
    public TorchDwAssigner(PairPriors priors) {
        this.priors = priors;
    }

    @Override
    public DwAssignment assign(PointGrid points, ImagePredictions predictions, GroundTruth gt) {
        if (predictions.numPoints() != points.numPoints()) {
            throw new IllegalArgumentException("predictions have " + predictions.numPoints() + " points but the grid has "
                    + points.numPoints());
        }
        Tensor gtBoxes = gt.boxes().to(predictions.distances().scalar_type());
        InsidePairs pairs = insidePairs(points, gtBoxes);
        Tensor i = pairs.point, j = pairs.gt;
        long numGt = gt.size();
        long numClasses = predictions.numClasses();

        Tensor pairXy = points.xy().index_select(0, i);                         // (n, 2)
        Tensor pairStride = points.strides().index_select(0, i);                // (n)
        Tensor pairGtBox = gtBoxes.index_select(0, j);                          // (n, 4)
        Tensor pairLabel = gt.labels().index_select(0, j);                      // (n)

        Tensor prior = priors.centerPrior(pairXy, pairStride, pairGtBox);       // (n)   §3.2
        PairGeometry geo = PairGeometry.of(pairXy, predictions.distances().detach().index_select(0, i), pairGtBox);
        Tensor iou = BoxOps.aligned(geo.predicted(), geo.target(), false, BoxOps.EPS);   // (n)   §3.3
        Tensor pLoc = geo.giouLoss().mul(s(-DwConstants.LOC_SCORE_SCALE)).exp();         // (n)   §3.4
        Tensor pCls = jointScoreOfPairs(predictions, i, pairLabel, numClasses);          // (n)
        Tensor t = pCls.mul(pLoc);                                                       // (n)   consistency

        Tensor posWeight = positiveWeights(t, prior, j, numGt);                 // (n)   §3.5
        Tensor negValue = negativeWeights(iou, j, numGt);                       // (n)   §3.6, before de-duplication
        Tensor[] neg = lastWriterWins(i, j, pairLabel, negValue, predictions.numPoints(), numClasses);
        Tensor negFactor = neg[1].neg().add(s(1)).sum();

        AssignmentDiagnostics diag = diagnostics(iou, posWeight, j, numGt);
        return new DwAssignment(i, j, posWeight, neg[0], neg[1], negFactor, diag);
    }

    /** (n) point and GT indices of the pairs with the point strictly inside the box (§3.1), sorted by GT. */
    static InsidePairs insidePairs(PointGrid points, Tensor gtBoxes) {
        long numPoints = points.numPoints();
        long numGt = gtBoxes.size(0);
        Tensor px = points.x().unsqueeze(0), py = points.y().unsqueeze(0);     // (1, P)
        long block = Math.max(1, MAX_MASK_ELEMENTS / Math.max(1, numPoints));
        TensorVector pointIdx = new TensorVector(), gtIdx = new TensorVector();
        for (long g0 = 0; g0 < numGt; g0 += block) {
            long g1 = Math.min(numGt, g0 + block);
            Tensor b = gtBoxes.narrow(0, g0, g1 - g0);                            // (g, 4)
            // x − x1 > 0 ⇔ x > x1 exactly in IEEE arithmetic, so comparing is the original's min(l, t, r, b) > 0.
            Tensor inside = px.gt(col(b, 0).unsqueeze(1))
                    .logical_and(py.gt(col(b, 1).unsqueeze(1)))
                    .logical_and(col(b, 2).unsqueeze(1).gt(px))
                    .logical_and(col(b, 3).unsqueeze(1).gt(py));                 // (g, P)
            Tensor nz = inside.nonzero();                                         // (k, 2) rows (gt, point)
            gtIdx.push_back(col(nz, 0).add(s(g0)));
            pointIdx.push_back(col(nz, 1));
        }
        if (numGt == 0) {
            Tensor empty = torch.zeros(new long[] {0}, Tensors.optionsLike(gtBoxes, torch.ScalarType.Long));
            return new InsidePairs(empty, empty);
        }
        return new InsidePairs(torch.cat(pointIdx, 0), torch.cat(gtIdx, 0));
    }

    record InsidePairs(Tensor point, Tensor gt) {}

    /** σ(a_{i,c_j})·σ(o_i) for each pair, detached. */
    private static Tensor jointScoreOfPairs(ImagePredictions p, Tensor i, Tensor label, long numClasses) {
        Tensor cls = p.clsLogits().detach().reshape(-1).index_select(0, i.mul(s(numClasses)).add(label)).sigmoid();
        Tensor obj = p.objLogits().detach().index_select(0, i).sigmoid();
        return cls.mul(obj);
    }

    /** {@code w = exp(5t)·t·prior / max(Σ_k exp(3t)·t·prior, 1e-12)} per GT (§3.5). */
    static Tensor positiveWeights(Tensor t, Tensor prior, Tensor j, long numGt) {
        Tensor numerator = t.mul(s(POS_NUMERATOR_SHARPNESS)).exp().mul(t).mul(prior);
        Tensor normTerm = t.mul(s(POS_NORMALIZER_SHARPNESS)).exp().mul(t).mul(prior);
        Tensor norm = Tensors.zeros(t, numGt).index_add(0, j, normTerm).clamp_min(s(WEIGHT_EPS));
        return numerator.div(norm.index_select(0, j));
    }

    /**
     * P_neg of each inside pair (§3.6): {@code u = c·IoU² − c}, min–max normalised over the GT's inside points with
     * {@code hi = min(1, max u)}, and 1 wherever IoU &lt; 0.5.
     */
    static Tensor negativeWeights(Tensor iou, Tensor j, long numGt) {
        Tensor u = iou.pow(s(2)).mul(s(NEG_TRANSFORM_SLOPE)).sub(s(NEG_TRANSFORM_SLOPE));
        Tensor lo = Tensors.full(u, Double.POSITIVE_INFINITY, numGt).scatter_reduce(0, j, u, "amin", true);
        Tensor hi = Tensors.full(u, Double.NEGATIVE_INFINITY, numGt).scatter_reduce(0, j, u, "amax", true).clamp_max(s(1));
        Tensor loJ = lo.index_select(0, j), hiJ = hi.index_select(0, j);
        Tensor q = u.sub(loJ).add(s(WEIGHT_EPS)).div(hiJ.sub(loJ).add(s(WEIGHT_EPS)));
        return q.masked_fill(iou.lt(s(NEG_IOU_THRESHOLD)), s(1));
    }

    /**
     * Resolves GTs of one class that write the same (point, class) entry: the GT with the highest index wins, as the
     * original's sequential scatter does on CPU (the write order is undefined in PyTorch; we fix it here).
     *
     * @return {flat indices i·C + c (m), their P_neg values (m)}, one entry per written (point, class)
     */
    static Tensor[] lastWriterWins(Tensor i, Tensor j, Tensor label, Tensor value, long numPoints, long numClasses) {
        Tensor key = i.mul(s(numClasses)).add(label);                                         // (n)
        if (key.numel() == 0) {
            return new Tensor[] {key, value};
        }
        // Winner per key over a compact numbering of the keys (sort + run-length), so no (P·C)-sized buffer exists.
        org.bytedeco.pytorch.T_TensorTensor_T sorted = key.sort(new org.bytedeco.pytorch.BoolOptional(true), 0, false);
        Tensor sortedKey = sorted.get0(), perm = sorted.get1();
        Tensor run = torch.unique_consecutive(sortedKey, true, false, new org.bytedeco.pytorch.LongOptional()).get1();
        Tensor sortedJ = j.index_select(0, perm);
        Tensor winner = Tensors.full(j, -1, sortedKey.size(0)).scatter_reduce(0, run, sortedJ, "amax", true);
        Tensor keep = perm.index_select(0, sortedJ.eq(winner.index_select(0, run)).nonzero().squeeze(1));
        return new Tensor[] {key.index_select(0, keep), value.index_select(0, keep)};
    }

    private static AssignmentDiagnostics diagnostics(Tensor iou, Tensor posWeight, Tensor j, long numGt) {
        Tensor ones = torch.ones_like(j);
        Tensor count = Tensors.zeros(j, numGt).index_add(0, j, ones);
        Tensor maxIou = Tensors.full(iou, Double.NEGATIVE_INFINITY, numGt).scatter_reduce(0, j, iou, "amax", true);
        maxIou = maxIou.masked_fill(count.eq(s(0)), s(Double.NaN));
        Tensor good = Tensors.zeros(j, numGt).index_add(0, j, iou.ge(s(NEG_IOU_THRESHOLD)).to(torch.ScalarType.Long));
        Tensor sumW = Tensors.zeros(posWeight, numGt).index_add(0, j, posWeight);
        return new AssignmentDiagnostics(count, maxIou, good, sumW);
    }
}
