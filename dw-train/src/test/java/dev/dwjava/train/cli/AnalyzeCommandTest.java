package dev.dwjava.train.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dw analyze} on the hand-worked case of dw-eval's CocoAnalysisTest: the files' contents. */
class AnalyzeCommandTest extends CliTestBase {
    private static String ann(long id, long cat, int x, int y) {
        return String.format("{\"id\": %d, \"image_id\": 1, \"category_id\": %d, \"bbox\": [%d, %d, 10, 10], \"area\": 100,"
                + " \"iscrowd\": 0}", id, cat, x, y);
    }

    private static String det(int x, int y, double score) {
        return String.format(java.util.Locale.ROOT, "{\"image_id\": 1, \"category_id\": 1, \"bbox\": [%d, %d, 10, 10], \"score\": %s}",
                x, y, score);
    }

    @Test
    void writesTheMatrixTheCurvesAndTheBreakdown(@TempDir Path tmp) throws Exception {
        Path gt = tmp.resolve("gt.json"), dt = tmp.resolve("dt.json");
        Files.writeString(gt, "{\"images\": [{\"id\": 1, \"width\": 200, \"height\": 200, \"file_name\": \"1.jpg\"}],"
                + " \"annotations\": [" + String.join(", ", ann(1, 1, 0, 0), ann(2, 1, 50, 0), ann(3, 1, 80, 0), ann(4, 1, 0, 50),
                ann(5, 2, 30, 0)) + "], \"categories\": [{\"id\": 1, \"name\": \"a\", \"supercategory\": \"round\"},"
                + " {\"id\": 2, \"name\": \"b\", \"supercategory\": \"square\"}]}");
        Files.writeString(dt, "[" + String.join(", ", det(0, 0, 0.9), det(30, 0, 0.8), det(100, 100, 0.7), det(56, 0, 0.6),
                det(82, 0, 0.65)) + "]");
        Path o = tmp.resolve("analysis");
        assertEquals(0, run("analyze", "--results", dt.toString(), "--ann", gt.toString(), "--out-dir", o.toString()), err::toString);
        // a: d1 and d5 find a1 and a3, a2 and a4 are missed; d2 lies on b's GT; d3 and d4 (IoU 1/4) on nothing.
        assertEquals("gt\\pred,a,b,background\na,2,0,2\nb,1,0,1\nbackground,2,0,0\n",
                Files.readString(o.resolve("confusion_matrix.csv")));
        List<String> breakdown = Files.readAllLines(o.resolve("error_breakdown.csv"));
        assertEquals("class,C75,C50,Loc,Sim,Oth,BG,FN", breakdown.get(0));
        assertEquals(String.format(java.util.Locale.ROOT, "a,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f", 26 / 101.0, 38.5 / 101, 56 / 101.0,
                56 / 101.0, 63.5 / 101, 76 / 101.0, 1.0), breakdown.get(1));
        assertEquals("b,0.000000,0.000000,0.000000,0.000000,0.000000,0.000000,1.000000", breakdown.get(2));
        assertTrue(breakdown.get(3).startsWith("overall,0.128713,"), breakdown.get(3));
        assertTrue(out.toString().contains("a                     0.257  0.381  0.554  0.554  0.629  0.752  1.000"), out.toString());
        List<String> pr = Files.readAllLines(o.resolve("pr_curves.csv"));
        assertEquals("class,recall,precision_iou50,precision_iou50_95", pr.get(0));
        assertEquals(1 + 2 * 101, pr.size());
        assertTrue(pr.get(1 + 25).startsWith("a,0.250000,1.000000,"), pr.get(26));
        assertTrue(pr.get(1 + 26).startsWith("a,0.260000,0.500000,"), pr.get(27));
        assertTrue(pr.get(1 + 51).startsWith("a,0.510000,0.000000,"), pr.get(52));
        for (String png : List.of("confusion_matrix.png", "pr_curve_iou50.png", "pr_curve_iou50-95.png")) {
            assertTrue(ImageIO.read(o.resolve(png).toFile()).getWidth() > 100, png);
        }
    }

    @Test
    void badFilesAreOneLine(@TempDir Path tmp) throws Exception {
        Path gt = tmp.resolve("gt.json");
        Files.writeString(gt, "{\"images\": [], \"annotations\": [], \"categories\": [{\"id\": 1, \"name\": \"a\"}]}");
        assertEquals(2, run("analyze", "--results", tmp.resolve("none.json").toString(), "--ann", gt.toString(), "--out-dir",
                tmp.resolve("o").toString()));
        assertEquals("dw analyze: --results " + tmp.resolve("none.json") + ": file not found", err.toString().strip());
        err.getBuffer().setLength(0);
        Files.writeString(tmp.resolve("bad.json"), "{\"image_id\": 1}");
        assertEquals(2, run("analyze", "--results", tmp.resolve("bad.json").toString(), "--ann", gt.toString(), "--out-dir",
                tmp.resolve("o").toString()));
        assertTrue(err.toString().strip().startsWith("dw analyze: " + tmp.resolve("bad.json")), err.toString());
        assertEquals(1, err.toString().strip().lines().count());
    }
}
