package dev.dwjava.core.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dwjava.core.runtime.Torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Our DW loss against the original implementation's numbers (dw_reference/loss_example.json). */
class LossReferenceTest {
    private static ReferenceCase example;

    @BeforeAll
    static void load() {
        Torch.init();
        example = BundledCases.load(BundledCases.LOSS_EXAMPLE);
    }

    @Test
    void float64LossesAndGradientsMatchTheOriginal() {
        ObjectNode got = new LossCaseRunner().run(example, ScalarType.Double);
        Comparison cmp = Comparison.of(example.expected(), got);
        assertTrue(cmp.problems().isEmpty(), cmp.toString());
        assertTrue(cmp.maxRel() <= 1e-9, cmp.toString());
        // And the scalars themselves, elementwise relative.
        for (String key : new String[] {"loss_cls_pos", "loss_loc", "loss_cls_neg", "loss_total"}) {
            double exp = example.expected().get(key).asDouble();
            assertEquals(exp, got.get(key).asDouble(), Math.abs(exp) * 1e-9, key);
        }
    }

    @Test
    void float64DiagnosticsMatchTheOriginal() {
        ObjectNode got = new LossCaseRunner().run(example, ScalarType.Double);
        JsonNode expected = example.root().get("diagnostics");
        JsonNode exp0 = expected.get("per_image").get(0), got0 = got.get("diagnostics").get("per_image").get(0);
        assertEquals(exp0.get("inside_count_per_gt").toString(), got0.get("inside_count_per_gt").toString());
        assertEquals(exp0.get("num_inside_iou_ge_0_5_per_gt").toString(), got0.get("num_inside_iou_ge_0_5_per_gt").toString());
        Comparison cmp = Comparison.of(expected.get("per_image").get(0), got0);
        assertTrue(cmp.within(1e-9), cmp.toString());
        assertEquals(expected.get("N_pos").asDouble(), got.get("diagnostics").get("N_pos").asDouble());
        assertEquals(expected.get("N_neg").asDouble(), got.get("diagnostics").get("N_neg").asDouble(), 1e-9 * 62);
    }

    @Test
    void float32RunAgreesToFp32Precision() {
        ObjectNode got = new LossCaseRunner().run(example, ScalarType.Float);
        Comparison cmp = Comparison.of(example.expected(), got);
        assertTrue(cmp.within(1e-4), cmp.toString());
    }
}
