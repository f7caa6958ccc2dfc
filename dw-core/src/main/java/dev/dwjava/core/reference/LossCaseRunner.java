package dev.dwjava.core.reference;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dwjava.core.dw.AssignmentDiagnostics;
import dev.dwjava.core.dw.DwAssigner;
import dev.dwjava.core.dw.DwLoss;
import dev.dwjava.core.dw.DwLossResult;
import dev.dwjava.core.dw.GroundTruth;
import dev.dwjava.core.dw.ImagePredictions;
import dev.dwjava.core.dw.RankAverager;
import dev.dwjava.core.dw.TorchDwAssigner;
import dev.dwjava.core.point.Levels;
import dev.dwjava.core.point.PointGrid;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Runs {@link DwLoss} on a loss case ({@code DWHead.loss} inputs) and reports the three terms, their sum, the gradient
 * of the sum with respect to every input tensor, and the per-image diagnostics.
 */
public final class LossCaseRunner implements CaseRunner {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private final DwAssigner assigner;

    /** With the libtorch assigner. */
    public LossCaseRunner() {
        this(new TorchDwAssigner());
    }

    /** With another implementation of the assignment (the CUDA kernels, for instance). */
    public LossCaseRunner(DwAssigner assigner) {
        this.assigner = assigner;
    }

    @Override
    public ObjectNode run(ReferenceCase c, ScalarType dtype) {
        try (TensorScope scope = TensorScope.open()) {
            List<Tensor> cls = requireGrad(c.levels("cls_scores", dtype));
            List<Tensor> box = requireGrad(c.levels("bbox_preds", dtype));
            List<Tensor> obj = requireGrad(c.levels("objectnesses", dtype));
            PointGrid points = PointGrid.generate(Levels.levelsOf(cls, c.strides()), dtype);

            List<Tensor> clsImg = Levels.toImages(cls), boxImg = Levels.toImages(box), objImg = Levels.toImages(obj);
            List<ImagePredictions> preds = new ArrayList<>();
            List<GroundTruth> gts = new ArrayList<>();
            JsonNode gtBoxes = c.input("gt_bboxes"), gtLabels = c.input("gt_labels");
            for (int b = 0; b < clsImg.size(); b++) {
                preds.add(new ImagePredictions(clsImg.get(b), boxImg.get(b), objImg.get(b).reshape(-1)));
                Tensor boxes = NestedArrays.toTensor(gtBoxes.get(b), dtype, "inputs.gt_bboxes[" + b + "]").reshape(-1, 4);
                gts.add(new GroundTruth(boxes, NestedArrays.toLongTensor(gtLabels.get(b), "inputs.gt_labels[" + b + "]").reshape(-1)));
            }
            DwLossResult loss = new DwLoss(assigner, RankAverager.SINGLE_PROCESS).compute(points, preds, gts);
            Tensor total = loss.total();
            total.backward();

            ObjectNode out = F.objectNode();
            out.put("loss_cls_pos", loss.clsPos().item_double());
            out.put("loss_loc", loss.loc().item_double());
            out.put("loss_cls_neg", loss.clsNeg().item_double());
            out.put("loss_total", total.item_double());
            ObjectNode grads = out.putObject("grad_of_total");
            grads.set("cls_scores", gradients(cls));
            grads.set("bbox_preds", gradients(box));
            grads.set("objectnesses", gradients(obj));
            out.set("diagnostics", diagnostics(loss));
            return out;
        }
    }

    private static List<Tensor> requireGrad(List<Tensor> levels) {
        for (Tensor t : levels) {
            t.requires_grad_(true);
        }
        return levels;
    }

    private static ArrayNode gradients(List<Tensor> levels) {
        ArrayNode arr = F.arrayNode();
        for (Tensor t : levels) {
            arr.add(NestedArrays.toJson(t.grad()));
        }
        return arr;
    }

    private static ObjectNode diagnostics(DwLossResult loss) {
        ObjectNode d = F.objectNode();
        ArrayNode images = d.putArray("per_image");
        for (DwLossResult.ImageLoss image : loss.perImage()) {
            AssignmentDiagnostics a = image.assignment().diagnostics();
            ObjectNode o = images.addObject();
            o.set("inside_count_per_gt", longs(a.insideCount()));
            ArrayNode maxIou = o.putArray("max_iou_per_gt");
            for (double v : Tensors.toDoubles(a.maxIou())) {
                if (Double.isNaN(v)) {
                    maxIou.addNull();
                } else {
                    maxIou.add(v);
                }
            }
            o.set("num_inside_iou_ge_0_5_per_gt", longs(a.numIouAtLeastHalf()));
            o.set("sum_pos_weight_per_gt", NestedArrays.toJson(a.sumPosWeight()));
            o.put("pos_cls_sum", image.posClsSum().item_double());
            o.put("pos_loc_sum", image.posLocSum().item_double());
            o.put("neg_sum", image.negSum().item_double());
            o.put("negf", image.assignment().negFactor().item_double());
        }
        d.put("N_pos", loss.numPos().item_double());
        d.put("N_neg", loss.numNeg().item_double());
        return d;
    }

    private static ArrayNode longs(Tensor t) {
        ArrayNode arr = F.arrayNode();
        for (long v : Tensors.toLongs(t)) {
            arr.add(v);
        }
        return arr;
    }
}
