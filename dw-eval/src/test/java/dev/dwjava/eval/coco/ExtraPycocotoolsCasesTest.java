package dev.dwjava.eval.coco;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dwjava.data.coco.CocoJson;
import org.junit.jupiter.api.Test;

/**
 * Cases with pycocotools 2.0.11's numbers (summary and per-class AP/AP50/AP75): score ties, more than 100 detections per
 * image, crowd-heavy images, sparse categories and images without GT or detections. Generated with the script
 * {@code make_coco_eval_fixtures.py} of the evaluation work, committed as data.
 */
class ExtraPycocotoolsCasesTest {

    @Test
    void statsAndPerClassApMatchPycocotools() throws IOException {
        JsonNode expected = new ObjectMapper().readTree(CocoEvalTest.res("extra_expected_stats.json").toFile());
        int cases = 0;
        for (Map.Entry<String, JsonNode> e : expected.properties()) {
            cases++;
            String c = e.getKey();
            CocoEvalResult r = new CocoEval(CocoJson.readInstances(CocoEvalTest.res(c + "_gt.json")),
                    CocoJson.readResults(CocoEvalTest.res(c + "_dt.json"))).run();
            double[] exp = new double[12];
            for (int k = 0; k < 12; k++) {
                exp[k] = e.getValue().get("stats").get(k).asDouble();
            }
            assertArrayEquals(exp, r.stats(), 1e-6, c);
            JsonNode perClass = e.getValue().get("per_class_ap_ap50_ap75");
            for (int k = 0; k < r.catIds().length; k++) {
                JsonNode v = perClass.get(Long.toString(r.catIds()[k]));
                assertArrayEquals(new double[] {v.get(0).asDouble(), v.get(1).asDouble(), v.get(2).asDouble()}, r.perClass(k), 1e-6,
                        c + " category " + r.catIds()[k]);
            }
        }
        assertEquals(4, cases);
    }
}
