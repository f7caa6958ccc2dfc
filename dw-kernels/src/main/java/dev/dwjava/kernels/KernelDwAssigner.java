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

        // The launch layer (launch/dw_plan.h, shared with the harness) decides sizes, views and launches.
        StringBuilder request = new StringBuilder().append(numPoints).append(' ').append(numClasses).append(' ').append(batch);
        long gtTotal = 0;
        request.append(" 0");
        for (GroundTruth gt : gts) {
            gtTotal += gt.size();
            request.append(' ').append(gtTotal);
        }
        for (double k : new double[] {DwConstants.TWO_SIGMA_SQUARED, DwConstants.LOC_SCORE_SCALE, DwConstants.POS_NUMERATOR_SHARPNESS,
            DwConstants.POS_NORMALIZER_SHARPNESS, DwConstants.NEG_IOU_THRESHOLD, DwConstants.NEG_TRANSFORM_SLOPE, DwConstants.WEIGHT_EPS}) {
            request.append(' ').append(k);
        }
        LaunchPlan first = LaunchPlan.weighting(request.toString());
        Tensor[] buffers = new Tensor[LaunchPlan.NUM_BUFFERS];
        int numGt = Math.toIntExact(gtTotal);
        buffers[LaunchPlan.COUNTS] = torch.zeros(new long[] {first.counts}, Tensors.optionsLike(ref, ScalarType.Int));
        long[] counts = new long[0];
        if (numGt > 0) {
            buffers[LaunchPlan.XY] = points.xy().to(st).contiguous().reshape(-1);
            buffers[LaunchPlan.STRIDES] = points.strides().to(st).contiguous();
            buffers[LaunchPlan.GT_BOXES] = concat(gts, true, st).reshape(-1);
            buffers[LaunchPlan.GT_LABELS] = concat(gts, false, ScalarType.Long);
            buffers[LaunchPlan.CLS] = stack(predictions, 0, st).reshape(-1);
            buffers[LaunchPlan.OBJ] = stack(predictions, 1, st).reshape(-1);
            buffers[LaunchPlan.DIST] = stack(predictions, 2, st).reshape(-1);
            buffers[LaunchPlan.LAYOUT] = Tensors.ofLongs(first.layout, first.layout.length).to(ref.device(), ScalarType.Long);
            first.run(launcher, dtype, st, buffers, requestedBlock);
            // The one read of the batch: inside and kept counts per GT size every output.
            counts = Tensors.toLongs(buffers[LaunchPlan.COUNTS]);
            for (long c : counts) {
                request.append(' ').append(c);
            }
        }
        LaunchPlan plan = numGt > 0 ? LaunchPlan.weighting(request.toString()) : first;
        Tensor longs = Tensors.empty(Tensors.optionsLike(ref, ScalarType.Long), plan.longs);
        Tensor reals = numGt > 0 ? Tensors.empty(Tensors.optionsLike(ref, st), plan.reals)
                : torch.zeros(new long[] {batch}, Tensors.optionsLike(ref, st));
        buffers[LaunchPlan.LONGS] = longs;
        buffers[LaunchPlan.REALS] = reals;
        buffers[LaunchPlan.INTS] = Tensors.empty(Tensors.optionsLike(ref, ScalarType.Int), plan.ints);
        if (numGt > 0) {
            plan.run(launcher, dtype, st, buffers, requestedBlock);
        }

        Tensor insideCount = buffers[LaunchPlan.COUNTS].narrow(0, 0, numGt).to(ScalarType.Long);
        List<DwAssignment> out = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) {
            LaunchPlan.Image v = numGt > 0 ? plan.images.get(b) : new LaunchPlan.Image(0, 0, 0, 0, 0);
            long g0 = v.gtBegin(), gn = v.gtCount(), p0 = v.pairBegin(), nb = v.pairs(), mb = v.negatives();
            AssignmentDiagnostics diagnostics = new AssignmentDiagnostics(insideCount.narrow(0, g0, gn),
                    reals.narrow(0, plan.maxIou + g0, gn), longs.narrow(0, plan.numGood + g0, gn),
                    reals.narrow(0, plan.sumWeight + g0, gn));
            out.add(new DwAssignment(longs.narrow(0, plan.pairPoint + p0, nb), longs.narrow(0, plan.pairGt + p0, nb),
                    reals.narrow(0, plan.posWeight + p0, nb), longs.narrow(0, plan.negIndex + p0, mb),
                    reals.narrow(0, plan.negValue + p0, mb), reals.select(0, plan.factor + b), diagnostics));
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
