package dev.dwjava.model.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dwjava.core.TestData;
import dev.dwjava.core.reference.Comparison;
import dev.dwjava.core.reference.ReferenceCase;
import dev.dwjava.core.runtime.Torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Box refinement and post-processing against the original implementation's numbers (dw_reference). */
class ModelReferenceTest {

    @BeforeAll
    static void init() {
        Torch.init();
    }

    @Test
    void refinementAndItsGradientsMatchTheOriginalInFloat64() {
        ReferenceCase c = ReferenceCase.read(TestData.path("dw_reference/refine_example.json"));
        assertEquals(ReferenceCase.Kind.REFINE, c.kind());
        Comparison cmp = Comparison.of(c.expected(), new RefineCaseRunner().run(c, ScalarType.Double));
        assertTrue(cmp.within(1e-9), cmp.toString());
    }

    @Test
    void refinementInFloat32AgreesToFp32Precision() {
        ReferenceCase c = ReferenceCase.read(TestData.path("dw_reference/refine_example.json"));
        Comparison cmp = Comparison.of(c.expected(), new RefineCaseRunner().run(c, ScalarType.Float));
        assertTrue(cmp.within(1e-4), cmp.toString());
    }

    @Test
    void postprocessingGivesTheOriginalsDetections() {
        ReferenceCase c = ReferenceCase.read(TestData.path("dw_reference/postprocess_example.json"));
        assertEquals(ReferenceCase.Kind.POSTPROCESS, c.kind());
        ObjectNode got = new PostprocessCaseRunner().run(c, ScalarType.Float);
        for (int b = 0; b < 2; b++) {
            JsonNode exp = c.expected().get("per_image").get(b), img = got.get("per_image").get(b);
            // Same labels in the same order, same counts along the way.
            assertEquals(exp.get("det_labels").toString(), img.get("det_labels").toString());
            for (String k : new String[] {"num_pairs_above_score_thr_per_level", "num_kept_after_nms_pre_per_level",
                    "num_candidates_before_nms", "num_after_nms", "num_degenerate_candidate_boxes"}) {
                assertEquals(exp.get(k).toString(), img.get(k).toString(), k);
            }
            // Boxes within 1e-4 px, scores to float32 rounding.
            Comparison boxes = Comparison.of(exp.get("det_bboxes"), img.get("det_bboxes"));
            assertTrue(boxes.maxAbs() <= 1e-4, boxes.toString());
            Comparison scores = Comparison.of(exp.get("det_scores"), img.get("det_scores"));
            assertTrue(scores.maxAbs() <= 1e-7, scores.toString());
        }
    }
}
