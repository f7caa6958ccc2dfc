package dev.dwjava.model.reference;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dwjava.core.box.CpuNms;
import dev.dwjava.core.reference.CaseRunner;
import dev.dwjava.core.reference.NestedArrays;
import dev.dwjava.core.reference.ReferenceCase;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.model.head.HeadOutputs;
import dev.dwjava.model.postprocess.ImageMeta;
import dev.dwjava.model.postprocess.PostProcessor;
import dev.dwjava.model.postprocess.TestConfig;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Runs {@link PostProcessor} on a post-processing case and reports, per image, the detections and the counts along
 * the way in the layout of {@code expected.per_image}.
 */
public final class PostprocessCaseRunner implements CaseRunner {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    @Override
    public ObjectNode run(ReferenceCase c, ScalarType dtype) {
        try (TensorScope scope = TensorScope.open()) {
            TestConfig config = testConfig(c.root().path("test_cfg"));
            List<Tensor> cls = c.levels("cls_scores", dtype), dist = c.levels("bbox_preds", dtype);
            List<Tensor> obj = c.levels("objectnesses", dtype);
            JsonNode metas = c.input("img_metas");
            List<ImageMeta> imageMetas = new ArrayList<>();
            for (JsonNode m : metas) {
                JsonNode shape = m.get("img_shape"), scale = m.get("scale_factor");
                imageMetas.add(new ImageMeta(shape.get(0).asInt(), shape.get(1).asInt(), scale.get(0).asDouble(),
                        scale.get(1).asDouble()));
            }
            List<PostProcessor.Result> results = new PostProcessor(config, new CpuNms())
                    .processBatch(HeadOutputs.of(cls, dist, obj, c.strides()), imageMetas);
            ObjectNode out = F.objectNode();
            ArrayNode perImage = out.putArray("per_image");
            for (int b = 0; b < results.size(); b++) {
                PostProcessor.Result r = results.get(b);
                ObjectNode o = perImage.addObject();
                o.set("img_shape", metas.get(b).get("img_shape"));
                o.set("scale_factor", metas.get(b).get("scale_factor"));
                o.set("num_pairs_above_score_thr_per_level", longs(r.trace().aboveThresholdPerLevel()));
                o.set("num_kept_after_nms_pre_per_level", longs(r.trace().keptPerLevel()));
                o.put("num_candidates_before_nms", r.trace().candidates());
                o.put("num_after_nms", r.trace().afterNms());
                o.put("num_degenerate_candidate_boxes", r.trace().degenerateCandidates());
                o.set("det_bboxes", NestedArrays.toJson(r.detections().boxes()));
                o.set("det_scores", NestedArrays.toJson(r.detections().scores()));
                o.set("det_labels", longs(Tensors.toLongs(r.detections().labels())));
            }
            return out;
        }
    }

    /** Boxes must agree to about 1e-4 px on boxes of ~1000 px, and labels exactly: 2e-7 of each array's scale. */
    @Override
    public double tolerance(ScalarType dtype) {
        return 2e-7;
    }

    static TestConfig testConfig(JsonNode cfg) {
        if (cfg.isMissingNode()) {
            return TestConfig.DEFAULT;
        }
        return new TestConfig(cfg.path("nms_pre").asInt(1000), cfg.path("score_thr").asDouble(0.05),
                cfg.path("nms").path("iou_threshold").asDouble(0.6), cfg.path("max_per_img").asInt(100));
    }

    private static ArrayNode longs(long[] values) {
        ArrayNode arr = F.arrayNode();
        for (long v : values) {
            arr.add(v);
        }
        return arr;
    }
}
