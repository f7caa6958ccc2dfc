package dev.dwjava.core.dw;

import static dev.dwjava.core.dw.DwConstants.LOC_SCORE_SCALE;
import static dev.dwjava.core.dw.DwConstants.POS_TERM_SCALE;
import static dev.dwjava.core.tensor.Tensors.s;

import java.util.ArrayList;
import java.util.List;

import dev.dwjava.core.point.PointGrid;
import dev.dwjava.core.tensor.Bce;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;

/**
 * The DW loss (docs/DW_SPEC.md §3.7–3.9). Naming: P points, C classes, n inside (point, GT) pairs.
 *
 * <p>Gradient flows through the joint score {@code S = σ(a)·σ(o)} (positive BCE, and both {@code S²} and
 * {@code BCE(S, 0)} of the negative term) and through the GIoU loss of the predicted distances. The positive weights,
 * P_neg and the normalizers come from the {@link DwAssigner} and are detached.
 */
public final class DwLoss {
    private final DwAssigner assigner;
    private final RankAverager averager;

    /** A single-process loss with the libtorch assigner. */
    public DwLoss() {
        this(new TorchDwAssigner(), RankAverager.SINGLE_PROCESS);
    }

    /**
     * @param assigner computes the weights (libtorch or CUDA)
     * @param averager averages the normalizers over ranks (identity for one process)
     */
    public DwLoss(DwAssigner assigner, RankAverager averager) {
        this.assigner = assigner;
        this.averager = averager;
    }

    /**
     * @param points      the batch's FPN points (P)
     * @param predictions per image, flattened head outputs
     * @param gts         per image, ground truth in the input frame
     */
    public DwLossResult compute(PointGrid points, List<ImagePredictions> predictions, List<GroundTruth> gts) {
        if (predictions.size() != gts.size() || predictions.isEmpty()) {
            throw new IllegalArgumentException("need one ground truth per image, found " + predictions.size()
                    + " predictions and " + gts.size() + " ground truths");
        }
        List<DwLossResult.ImageLoss> perImage = new ArrayList<>();
        Tensor clsPos = null, loc = null, neg = null, negFactor = null;
        long numGt = 0;
        List<DwAssignment> assignments = assigner.assignBatch(points, predictions, gts);
        for (int b = 0; b < predictions.size(); b++) {
            DwAssignment a = assignments.get(b);
            DwLossResult.ImageLoss image = imageLoss(points, predictions.get(b), gts.get(b), a);
            perImage.add(image);
            clsPos = clsPos == null ? image.posClsSum() : clsPos.add(image.posClsSum());
            loc = loc == null ? image.posLocSum() : loc.add(image.posLocSum());
            neg = neg == null ? image.negSum() : neg.add(image.negSum());
            negFactor = negFactor == null ? a.negFactor() : negFactor.add(a.negFactor());
            numGt += gts.get(b).size();
        }
        Tensor numPos = averager.mean(Tensors.full(negFactor, numGt)).clamp_min(s(1));
        Tensor numNeg = averager.mean(negFactor.detach()).clamp_min(s(1));
        return new DwLossResult(clsPos.div(numPos), loc.div(numPos), neg.div(numNeg), numPos, numNeg, List.copyOf(perImage));
    }

    /** One image's numerators (§3.7) from its assignment. */
    static DwLossResult.ImageLoss imageLoss(PointGrid points, ImagePredictions p, GroundTruth gt, DwAssignment a) {
        long numClasses = p.numClasses();
        Tensor score = p.clsLogits().sigmoid().mul(p.objLogits().sigmoid().unsqueeze(1));           // (P, C)

        Tensor negWeight = torch_ones_like(score).reshape(-1).index_copy_(0, a.negIndex(), a.negValue())
                .reshape(score.shape());                                                             // (P, C)
        Tensor negSum = negWeight.mul(score.pow(s(2))).mul(Bce.negative(score)).sum();

        Tensor i = a.pairPoint();
        Tensor label = gt.labels().index_select(0, a.pairGt());
        Tensor pCls = score.reshape(-1).index_select(0, i.mul(s(numClasses)).add(label));            // (n)
        Tensor gtBoxes = gt.boxes().to(p.distances().scalar_type());
        PairGeometry geo = PairGeometry.of(points.xy().index_select(0, i), p.distances().index_select(0, i),
                gtBoxes.index_select(0, a.pairGt()));
        Tensor pLoc = geo.giouLoss().mul(s(-LOC_SCORE_SCALE)).exp();                                 // (n)
        Tensor posCls = Bce.positive(pCls).mul(a.posWeight()).sum().mul(s(POS_TERM_SCALE));
        Tensor posLoc = Bce.positive(pLoc).mul(a.posWeight()).sum().mul(s(POS_TERM_SCALE));
        return new DwLossResult.ImageLoss(posCls, posLoc, negSum, a);
    }

    private static Tensor torch_ones_like(Tensor t) {
        return org.bytedeco.pytorch.global.torch.ones_like(t);
    }
}
