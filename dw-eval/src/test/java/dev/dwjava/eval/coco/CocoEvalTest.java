package dev.dwjava.eval.coco;

import dev.dwjava.data.coco.CocoJson;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our evaluator against pycocotools' numbers, and its corner cases by hand. */
class CocoEvalTest {

    static Path res(String name) {
        try {
            return Path.of(CocoEvalTest.class.getClassLoader().getResource("coco_eval/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static double[] stats(String gt, String dt) throws IOException {
        return new CocoEval(CocoJson.readInstances(res(gt)), CocoJson.readResults(res(dt))).run().stats();
    }

    @Test
    void sharedCasesMatchPycocotools() throws IOException {
        JsonNode expected = new ObjectMapper().readTree(res("expected_stats.json").toFile());
        for (String c : new String[] {"basic", "crowd"}) {
            double[] exp = new double[12];
            for (int k = 0; k < 12; k++) {
                exp[k] = expected.get(c).get("stats").get(k).asDouble();
            }
            assertArrayEquals(exp, stats(c + "_gt.json", c + "_dt.json"), 1e-6, c);
        }
    }

    private static CocoJson.Instances gt(List<CocoJson.Annotation> anns) {
        return new CocoJson.Instances(List.of(new CocoJson.Image(1, 100, 100, "a.jpg"), new CocoJson.Image(2, 100, 100, "b.jpg")),
                anns, List.of(new CocoJson.Category(3, "cat"), new CocoJson.Category(7, "dog")));
    }

    @Test
    void perfectDetectionsScoreOneAndMissingCategoriesAreMinusOne() {
        CocoJson.Instances g = gt(List.of(new CocoJson.Annotation(1, 1, 3, 10, 10, 20, 20, 400, false, false)));
        CocoEvalResult r = new CocoEval(g, List.of(new CocoJson.Result(1, 3, 10, 10, 20, 20, 0.9))).run();
        double[] s = r.stats();
        assertEquals(1.0, s[0], 1e-12);
        assertEquals(1.0, s[3], 1e-12);           // area 400 ≤ 32²: small
        assertEquals(-1.0, s[4]);                 // no medium GT
        assertArrayEquals(new double[] {-1, -1, -1}, r.perClass(1));   // "dog" has no GT
        assertTrue(r.summary().contains(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 1.000"),
                r.summary());
    }

    @Test
    void areaRangesUseTheAnnotationsAreaField() {
        // A 20×20 box whose area field says 5000 (medium): it counts as medium, not small.
        CocoJson.Instances g = gt(List.of(new CocoJson.Annotation(1, 1, 3, 10, 10, 20, 20, 5000, false, false)));
        double[] s = new CocoEval(g, List.of(new CocoJson.Result(1, 3, 10, 10, 20, 20, 0.9))).run().stats();
        assertEquals(-1.0, s[3]);
        assertEquals(1.0, s[4], 1e-12);
    }

    @Test
    void crowdBoxesAbsorbDetectionsWithoutCountingAsMisses() {
        // One regular GT and one crowd region; detections inside the crowd are ignored, not false positives.
        CocoJson.Instances g = gt(List.of(new CocoJson.Annotation(1, 1, 3, 0, 0, 10, 10, 100, false, false),
                new CocoJson.Annotation(2, 1, 3, 50, 50, 50, 50, 2500, true, false)));
        List<CocoJson.Result> d = List.of(new CocoJson.Result(1, 3, 60, 60, 10, 10, 0.95),
                new CocoJson.Result(1, 3, 70, 70, 10, 10, 0.9), new CocoJson.Result(1, 3, 0, 0, 10, 10, 0.5));
        assertEquals(1.0, new CocoEval(g, d).run().stats()[0], 1e-12);
    }

    @Test
    void onlyTheBestHundredDetectionsPerImageAndCategoryCount() {
        CocoJson.Instances g = gt(List.of(new CocoJson.Annotation(1, 1, 3, 0, 0, 10, 10, 100, false, false)));
        List<CocoJson.Result> d = new java.util.ArrayList<>();
        for (int k = 0; k < 100; k++) {
            d.add(new CocoJson.Result(1, 3, 50, 50, 5, 5, 0.9));      // 100 false positives with higher scores
        }
        d.add(new CocoJson.Result(1, 3, 0, 0, 10, 10, 0.1));          // the true positive is the 101st: cut
        assertEquals(0.0, new CocoEval(g, d).run().stats()[0], 1e-12);
    }

    @Test
    void tiesKeepFileOrder() {
        // Equal scores: the false positive comes first in the file, so precision at recall 1 is 1/2.
        CocoJson.Instances g = gt(List.of(new CocoJson.Annotation(1, 1, 3, 0, 0, 10, 10, 100, false, false)));
        List<CocoJson.Result> fpFirst = List.of(new CocoJson.Result(1, 3, 50, 50, 10, 10, 0.5),
                new CocoJson.Result(1, 3, 0, 0, 10, 10, 0.5));
        List<CocoJson.Result> tpFirst = List.of(fpFirst.get(1), fpFirst.get(0));
        assertEquals(0.5, new CocoEval(g, fpFirst).run().stats()[1], 1e-12);
        assertEquals(1.0, new CocoEval(g, tpFirst).run().stats()[1], 1e-12);
    }

    @Test
    void badResultsAreReportedWithTheRecord(@TempDir Path tmp) throws IOException {
        CocoJson.Instances g = gt(List.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new CocoEval(g, List.of(new CocoJson.Result(99, 3, 0, 0, 1, 1, 0.5))).run());
        assertTrue(e.getMessage().startsWith("results refer to 1 image ids that are not in the ground truth, e.g. [99]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new CocoEval(g, List.of(new CocoJson.Result(1, 4, 0, 0, 1, 1, 0.5))).run());
        assertTrue(e.getMessage().contains("category ids that are not in the ground truth: [4]"), e.getMessage());
        Path f = tmp.resolve("dt.json");
        Files.writeString(f, "[{\"image_id\": 1, \"category_id\": 3, \"bbox\": [0, 0, -1, 2], \"score\": 0.5}]");
        IOException io = assertThrows(IOException.class, () -> CocoJson.readResults(f));
        assertTrue(io.getMessage().contains("results[0].bbox has a negative width or height"), io.getMessage());
        Files.writeString(f, "[{\"image_id\": 1, \"category_id\": 3, \"bbox\": [0, 0, 1, 2]}]");
        io = assertThrows(IOException.class, () -> CocoJson.readResults(f));
        assertTrue(io.getMessage().contains("results[0] has no finite 'score'"), io.getMessage());
        Files.writeString(f, "[{\"image_id\": 1, \n \"category_id\": }]");
        io = assertThrows(IOException.class, () -> CocoJson.readResults(f));
        assertTrue(io.getMessage().contains("is not valid JSON at line 2"), io.getMessage());
        Files.writeString(f, "[]");
        assertEquals(0, CocoJson.readResults(f).size());
        double[] empty = new CocoEval(gt(List.of(new CocoJson.Annotation(1, 1, 3, 0, 0, 10, 10, 100, false, false))), List.of()).run().stats();
        assertEquals(0.0, empty[0]);
    }

    @Test
    void thresholdsAreNumpysLinspace() {
        assertEquals(0.5, CocoEval.IOU_THRS[0]);
        assertEquals(0.95, CocoEval.IOU_THRS[9]);
        assertEquals(101, CocoEval.REC_THRS.length);
        assertEquals(0.07, CocoEval.REC_THRS[7], 0);       // 7 × 0.01 rounds to 0.07 exactly in double
        assertEquals(2, CocoEval.searchsortedLeft(new double[] {0.1, 0.2, 0.3, 0.3, 0.5}, 5, 0.3));   // first equal: left
    }
}
