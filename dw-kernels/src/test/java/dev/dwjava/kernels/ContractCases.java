package dev.dwjava.kernels;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dwjava.core.box.BoxOps;
import dev.dwjava.core.box.CpuNms;
import dev.dwjava.core.dw.DwAssignment;
import dev.dwjava.core.dw.DwConstants;
import dev.dwjava.core.dw.GroundTruth;
import dev.dwjava.core.dw.ImagePredictions;
import dev.dwjava.core.dw.TorchDwAssigner;
import dev.dwjava.core.dw.TorchPairPriors;
import dev.dwjava.core.point.FeatureLevel;
import dev.dwjava.core.point.Levels;
import dev.dwjava.core.point.PointGrid;
import dev.dwjava.core.reference.BundledCases;
import dev.dwjava.core.reference.NestedArrays;
import dev.dwjava.core.reference.ReferenceCase;
import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The kernel contract: inputs, and the libtorch implementations' outputs as expectations. Written to
 * {@code src/test/resources/dev/dwjava/kernels/contract} by {@code ContractCasesTest#regenerate}; run by the host build
 * in CI and by the standalone harness on GPUs.
 */
final class ContractCases {
    static final String RESOURCE_DIR = "src/test/resources/dev/dwjava/kernels/contract";

    private ContractCases() {}

    /** Every case, with its expectations computed now. */
    static List<ContractCase> all() {
        List<ContractCase> cases = new ArrayList<>();
        cases.add(overlaps("overlaps_f32_517x50", 11, 517, 50, ScalarType.Float));
        cases.add(overlaps("overlaps_f64_300x7", 12, 300, 7, ScalarType.Double));
        cases.add(priors("priors_f32_4000", 13, 4000, ScalarType.Float));
        cases.add(priors("priors_f64_1000", 14, 1000, ScalarType.Double));
        cases.add(nms("nms_f32_1000_c80_t05", 15, 1000, 80, 0.5, ScalarType.Float));
        cases.add(nms("nms_f32_3000_c1_t06", 16, 3000, 1, 0.6, ScalarType.Float));
        cases.add(nms("nms_f64_700_c5_t03", 17, 700, 5, 0.3, ScalarType.Double));
        cases.add(dw("dw_f32_g0", RandomInputs.dw(21, 128, 160, 0, 20, ScalarType.Float)));
        cases.add(dw("dw_f32_g7_c20", RandomInputs.dw(22, 320, 480, 7, 20, ScalarType.Float)));
        cases.add(dw("dw_f32_g30_c80", RandomInputs.dw(23, 320, 480, 30, 80, ScalarType.Float)));
        cases.add(dw("dw_f64_g12_c20", RandomInputs.dw(24, 256, 384, 12, 20, ScalarType.Double)));
        cases.addAll(referenceLossCase());
        return cases;
    }

    static ContractCase overlaps(String name, long seed, int n, int m, ScalarType dtype) {
        Random r = new Random(seed);
        return expectOverlaps(new ContractCase(name).put("a", RandomInputs.boxes(r, n, dtype)).put("b", RandomInputs.boxes(r, m, dtype)));
    }

    static ContractCase expectOverlaps(ContractCase c) {
        return c.put("expect_iou", BoxOps.pairwiseIou(c.get("a"), c.get("b")))
                .put("expect_giou", BoxOps.pairwiseGiou(c.get("a"), c.get("b")));
    }

    static ContractCase priors(String name, long seed, int n, ScalarType dtype) {
        Tensor[] p = RandomInputs.pairs(seed, n, 800, 2, 400, dtype);
        return expectPriors(new ContractCase(name).put("xy", p[0]).put("stride", p[1]).put("boxes", p[2]));
    }

    static ContractCase expectPriors(ContractCase c) {
        TorchPairPriors p = new TorchPairPriors();
        return c.put("expect_prior", p.centerPrior(c.get("xy"), c.get("stride"), c.get("boxes")))
                .put("expect_centerness", centerness(c.get("xy"), c.get("boxes")));
    }

    /**
     * FCOS centerness {@code sqrt(min(l, r)/max(l, r) · min(t, b)/max(t, b))} on libtorch: the reference of the second
     * output of the {@code dw_pair_priors} kernel.
     */
    static Tensor centerness(Tensor pairXy, Tensor pairGtBox) {
        Tensor x = pairXy.select(1, 0), y = pairXy.select(1, 1);
        Tensor l = x.sub(pairGtBox.select(1, 0)), t = y.sub(pairGtBox.select(1, 1));
        Tensor r = pairGtBox.select(1, 2).sub(x), b = pairGtBox.select(1, 3).sub(y);
        Tensor lr = torch.minimum(l, r).div(torch.maximum(l, r));
        Tensor tb = torch.minimum(t, b).div(torch.maximum(t, b));
        return lr.mul(tb).sqrt();
    }

    static ContractCase nms(String name, long seed, int n, int numClasses, double threshold, ScalarType dtype) {
        Random r = new Random(seed);
        return expectNms(new ContractCase(name).put("boxes", RandomInputs.boxes(r, n, dtype)).put("scores", RandomInputs.scores(r, n, dtype))
                .put("labels", RandomInputs.labels(r, n, numClasses)).put("threshold", Tensors.of(new double[] {threshold}, ScalarType.Double, 1)));
    }

    static ContractCase expectNms(ContractCase c) {
        return c.put("expect_keep", new CpuNms().batchedNms(c.get("boxes"), c.get("scores"), c.get("labels"),
                c.get("threshold").item_double()));
    }

    static ContractCase dw(String name, RandomInputs.DwInputs in) {
        ImagePredictions p = in.predictions();
        ScalarType dtype = p.distances().scalar_type();
        double[] k = {DwConstants.TWO_SIGMA_SQUARED, DwConstants.LOC_SCORE_SCALE, DwConstants.POS_NUMERATOR_SHARPNESS,
                DwConstants.POS_NORMALIZER_SHARPNESS, DwConstants.NEG_IOU_THRESHOLD, DwConstants.NEG_TRANSFORM_SLOPE,
                DwConstants.WEIGHT_EPS};
        ContractCase c = new ContractCase(name).put("xy", in.points().xy().to(dtype)).put("strides", in.points().strides().to(dtype))
                .put("gt_boxes", in.gt().boxes().to(dtype)).put("gt_labels", in.gt().labels()).put("cls_logits", p.clsLogits())
                .put("obj_logits", p.objLogits()).put("distances", p.distances()).put("constants", Tensors.of(k, ScalarType.Double, 7));
        return expectDw(c);
    }

    /** The inputs of a DW case as the Java API takes them (the grid's levels are not needed by the assigner). */
    static RandomInputs.DwInputs dwInputs(ContractCase c) {
        PointGrid points = new PointGrid(c.get("xy"), c.get("strides"), List.of(new FeatureLevel(1, (int) c.get("xy").size(0), 1)));
        return new RandomInputs.DwInputs(points, new ImagePredictions(c.get("cls_logits"), c.get("distances"), c.get("obj_logits")),
                new GroundTruth(c.get("gt_boxes"), c.get("gt_labels")));
    }

    static ContractCase expectDw(ContractCase c) {
        RandomInputs.DwInputs in = dwInputs(c);
        DwAssignment a = new TorchDwAssigner().assign(in.points(), in.predictions(), in.gt());
        Tensor order = a.negIndex().sort(new BoolOptional(true), 0, false).get1();
        return c.put("expect_pair_point", a.pairPoint()).put("expect_pair_gt", a.pairGt()).put("expect_pos_weight", a.posWeight())
                .put("expect_neg_index", a.negIndex().index_select(0, order)).put("expect_neg_value", a.negValue().index_select(0, order))
                .put("expect_neg_factor", a.negFactor().reshape(1)).put("expect_inside_count", a.diagnostics().insideCount())
                .put("expect_max_iou", a.diagnostics().maxIou()).put("expect_num_good", a.diagnostics().numIouAtLeastHalf())
                .put("expect_sum_weight", a.diagnostics().sumPosWeight());
    }

    /** The DW reference case of the original implementation (dw_reference/loss_example), one contract case per image. */
    static List<ContractCase> referenceLossCase() {
        ReferenceCase ref = BundledCases.load(BundledCases.LOSS_EXAMPLE);
        ScalarType dtype = ScalarType.Double;
        List<Tensor> cls = ref.levels("cls_scores", dtype), box = ref.levels("bbox_preds", dtype), obj = ref.levels("objectnesses", dtype);
        PointGrid points = PointGrid.generate(Levels.levelsOf(cls, ref.strides()), dtype);
        List<Tensor> clsImg = Levels.toImages(cls), boxImg = Levels.toImages(box), objImg = Levels.toImages(obj);
        JsonNode gtBoxes = ref.input("gt_bboxes"), gtLabels = ref.input("gt_labels");
        List<ContractCase> out = new ArrayList<>();
        for (int b = 0; b < clsImg.size(); b++) {
            Tensor boxes = NestedArrays.toTensor(gtBoxes.get(b), dtype, "inputs.gt_bboxes[" + b + "]").reshape(-1, 4);
            Tensor labels = NestedArrays.toLongTensor(gtLabels.get(b), "inputs.gt_labels[" + b + "]").reshape(-1);
            ImagePredictions p = new ImagePredictions(clsImg.get(b), boxImg.get(b), objImg.get(b).reshape(-1));
            out.add(dw("dw_reference_loss_example_image" + b, new RandomInputs.DwInputs(points, p, new GroundTruth(boxes, labels))));
        }
        return out;
    }
}
