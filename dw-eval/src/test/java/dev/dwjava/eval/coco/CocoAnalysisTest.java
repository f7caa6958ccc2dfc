package dev.dwjava.eval.coco;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;

import dev.dwjava.data.coco.CocoJson;
import org.junit.jupiter.api.Test;

/** The confusion matrix and the error breakdown on cases worked out by hand. */
class CocoAnalysisTest {
    private static CocoJson.Annotation gt(long id, long img, long cat, double x, double y, double w, double h) {
        return new CocoJson.Annotation(id, img, cat, x, y, w, h, w * h, false, false);
    }

    private static CocoJson.Result dt(long img, long cat, double x, double y, double w, double h, double score) {
        return new CocoJson.Result(img, cat, x, y, w, h, score);
    }

    private static final List<CocoJson.Category> CATS = List.of(new CocoJson.Category(1, "a"), new CocoJson.Category(2, "b"));

    @Test
    void confusionMatrixFollowsMmdetection() {
        CocoJson.Instances gt = new CocoJson.Instances(
                List.of(new CocoJson.Image(1, 100, 100, "1.jpg"), new CocoJson.Image(2, 100, 100, "2.jpg")),
                List.of(gt(1, 1, 1, 0, 0, 10, 10), gt(2, 1, 2, 20, 20, 10, 10), gt(3, 2, 2, 0, 0, 20, 20),
                        new CocoJson.Annotation(4, 2, 1, 60, 60, 10, 10, 100, true, false)),   // a crowd: no part
                CATS);
        List<CocoJson.Result> dt = List.of(
                dt(1, 1, 0, 0, 10, 10, 0.9),     // a on a: true positive                      → (a, a)
                dt(1, 2, 0, 0, 10, 10, 0.8),     // b on a: confusion                          → (a, b)
                dt(1, 1, 50, 50, 5, 5, 0.7),     // a on nothing                               → (bg, a)
                dt(1, 2, 20, 20, 10, 10, 0.2),   // below the score threshold 0.3: b's GT missed → (b, bg)
                dt(2, 2, 0, 0, 20, 10, 0.5),     // IoU exactly 0.5 counts                     → (b, b)
                dt(2, 1, 60, 60, 10, 10, 0.6));  // on the crowd only                          → (bg, a)
        long[][] m = CocoAnalysis.confusionMatrix(gt, dt, 0.3, 0.5);
        assertArrayEquals(new long[] {1, 1, 0}, m[0]);
        assertArrayEquals(new long[] {0, 1, 1}, m[1]);
        assertArrayEquals(new long[] {2, 0, 0}, m[2]);
    }

    /**
     * Class a: GTs a1..a4 (a4 never found) and b1 of class b (another supercategory); detections of a by score: d1 on
     * a1 (IoU 1), d2 on b1, d3 on nothing, d5 on a3 (IoU 2/3), d4 on a2 (IoU 1/4). Recall steps by quarters:
     * <ul>
     *   <li>C75: only d1 → precision 1 up to recall 0.25: AP 26/101;</li>
     *   <li>C50: d1, d5 → 1 up to 0.25, then 2/4 up to 0.5: (26 + 25 · 0.5)/101;</li>
     *   <li>Loc: d1, d5, d4 → 1, then 3/5 up to 0.75: (26 + 50 · 0.6)/101; Sim the same (b is not a's supercategory);</li>
     *   <li>Oth: d2 ignored → 1, then 3/4 up to 0.75: (26 + 50 · 0.75)/101; BG: 1 up to 0.75: 76/101; FN: 1.</li>
     * </ul>
     * Class b has no detections: 0 everywhere but FN.
     */
    @Test
    void errorBreakdownIsTheHandCount() {
        CocoJson.Instances gt = new CocoJson.Instances(List.of(new CocoJson.Image(1, 200, 200, "1.jpg")),
                List.of(gt(1, 1, 1, 0, 0, 10, 10), gt(2, 1, 1, 50, 0, 10, 10), gt(3, 1, 1, 80, 0, 10, 10),
                        gt(4, 1, 1, 0, 50, 10, 10), gt(5, 1, 2, 30, 0, 10, 10)),
                CATS);
        List<CocoJson.Result> dt = List.of(dt(1, 1, 0, 0, 10, 10, 0.9), dt(1, 1, 30, 0, 10, 10, 0.8),
                dt(1, 1, 100, 100, 10, 10, 0.7), dt(1, 1, 56, 0, 10, 10, 0.6), dt(1, 1, 82, 0, 10, 10, 0.65));
        CocoAnalysis.ErrorBreakdown e = CocoAnalysis.errorBreakdown(gt, dt, Map.of(1L, "round", 2L, "square"));
        double[] a = {26 / 101.0, 38.5 / 101, 56 / 101.0, 56 / 101.0, 63.5 / 101, 76 / 101.0, 1};
        assertArrayEquals(a, e.ap()[0], 1e-12);
        assertArrayEquals(new double[] {0, 0, 0, 0, 0, 0, 1}, e.ap()[1], 1e-12);
        for (int t = 0; t < 7; t++) {
            assertEquals((a[t] + (t == 6 ? 1 : 0)) / 2, e.overallAp()[t], 1e-12);
        }
        assertEquals(0.75, e.curves()[0][4][75], 1e-12);
        assertEquals(0.0, e.curves()[0][4][76], 1e-12);
        // In one supercategory, d2's confusion is forgiven already at Sim.
        CocoAnalysis.ErrorBreakdown same = CocoAnalysis.errorBreakdown(gt, dt, Map.of(1L, "shape", 2L, "shape"));
        assertEquals(63.5 / 101, same.ap()[0][3], 1e-12);
        // The C50 curve is the evaluator's own precision at IoU 0.5, and its AP50.
        CocoEvalResult r = new CocoEval(gt, dt).run();
        assertArrayEquals(e.curves()[0][1], CocoAnalysis.precisionCurve(r, 0, true), 1e-12);
        assertEquals(38.5 / 101, r.perClass(0)[1], 1e-12);
    }
}
