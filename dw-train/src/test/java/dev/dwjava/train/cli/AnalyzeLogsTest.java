package dev.dwjava.train.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

import dev.dwjava.train.app.LogAnalysis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dw analyze-logs}: known answers on hand-written metrics files. */
class AnalyzeLogsTest extends CliTestBase {
    /**
     * Two epochs of three train records (times 9, 1, 2 and 9, 4, 5 s/iter: the first of each is a warm-up) and one val
     * record per epoch.
     */
    private static Path writeLog(Path dir, double lossScale) throws Exception {
        Files.createDirectories(dir);
        StringBuilder sb = new StringBuilder();
        double[][] times = {{9, 1, 2}, {9, 4, 5}};
        int global = 0;
        for (int e = 0; e < 2; e++) {
            for (int i = 0; i < 3; i++) {
                global += 2;
                sb.append(String.format(java.util.Locale.ROOT, "{\"mode\": \"train\", \"epoch\": %d, \"iter\": %d, \"global_iter\": %d,"
                        + " \"lr\": 0.01, \"loss\": %s, \"time\": %s, \"data_time\": 0.1}%n", e + 1, 2 * (i + 1), global,
                        lossScale * (10 - global), times[e][i]));
            }
            sb.append(String.format("{\"mode\": \"val\", \"epoch\": %d, \"iter\": %d, \"bbox_mAP\": %s}%n", e + 1, global, 0.1 * (e + 1)));
        }
        Path f = dir.resolve("metrics.jsonl");
        Files.writeString(f, sb.toString());
        return f;
    }

    @Test
    void calTrainTimeLeavesOutEachEpochsFirstRecord(@TempDir Path tmp) throws Exception {
        Path log = writeLog(tmp.resolve("run1"), 1);
        // Kept: epoch 1 {1, 2} → 1.5, epoch 2 {4, 5} → 4.5; std of (1.5, 4.5) = 1.5; all kept: 12 / 4 = 3.
        LogAnalysis.TrainTime t = LogAnalysis.trainTime(log, false);
        assertEquals(2, t.slowestEpoch());
        assertEquals(1, t.fastestEpoch());
        assertEquals(1.5, t.epochMeans().get(1), 1e-12);
        assertEquals(4.5, t.epochMeans().get(2), 1e-12);
        assertEquals(1.5, t.std(), 1e-12);
        assertEquals(3.0, t.average(), 1e-12);
        assertEquals(0, run("analyze-logs", "cal-train-time", log.toString()), err::toString);
        assertTrue(out.toString().contains("slowest epoch 2, average time is 4.5000 s/iter\nfastest epoch 1, average time is"
                + " 1.5000 s/iter\ntime std over epochs is 1.5000\naverage iter time: 3.0000 s/iter"), out.toString());
        // With the outliers: 4 and 6, std 1, mean 30 / 6 = 5.
        LogAnalysis.TrainTime all = LogAnalysis.trainTime(log, true);
        assertEquals(4.0, all.epochMeans().get(1), 1e-12);
        assertEquals(1.0, all.std(), 1e-12);
        assertEquals(5.0, all.average(), 1e-12);
    }

    @Test
    void theToolsAreListedAndAnalyzeLogsNeedsASubcommand() {
        assertEquals(0, run("--help"));
        for (String c : List.of("analyze ", "analyze-logs", "flops", "detect", "test")) {
            assertTrue(out.toString().contains("  " + c), c + " in\n" + out);
        }
        assertEquals(2, run("analyze-logs"));
        assertTrue(err.toString().startsWith("analyze-logs needs a subcommand: plot-curve or cal-train-time"), err.toString());
        for (String[] help : new String[][] {{"analyze-logs", "plot-curve", "--help"}, {"analyze-logs", "cal-train-time", "--help"},
            {"analyze", "--help"}, {"flops", "--help"}, {"detect", "--help"}, {"test", "--help"}}) {
            out.getBuffer().setLength(0);
            assertEquals(0, run(help), String.join(" ", help));
            assertTrue(out.toString().startsWith("Usage: dw " + String.join(" ", List.of(help).subList(0, help.length - 1))),
                    out.toString());
        }
        assertTrue(out.toString().contains("--tta") && out.toString().contains("--format-only"), out.toString());
    }

    @Test
    void plotCurveDrawsEveryFileAndKey(@TempDir Path tmp) throws Exception {
        Path a = writeLog(tmp.resolve("run1"), 1), b = writeLog(tmp.resolve("run2"), 2);
        List<LogAnalysis.Curve> curves = LogAnalysis.curves(List.of(a, b), List.of("loss", "bbox_mAP"), null);
        assertEquals(List.of("run1/metrics loss", "run1/metrics bbox_mAP", "run2/metrics loss", "run2/metrics bbox_mAP"),
                curves.stream().map(LogAnalysis.Curve::legend).toList());
        assertArrayEquals(new double[] {2, 4, 6, 8, 10, 12}, curves.get(2).x());
        assertArrayEquals(new double[] {16, 12, 8, 4, 0, -4}, curves.get(2).y());
        assertArrayEquals(new double[] {6, 12}, curves.get(1).x(), "val points at the iterations done");
        assertArrayEquals(new double[] {0.1, 0.2}, curves.get(1).y(), 1e-12);
        assertTrue(curves.get(1).val() && !curves.get(0).val());

        Path png = tmp.resolve("plots/curves.png");
        assertEquals(0, run("analyze-logs", "plot-curve", a.toString(), b.toString(), "--keys", "loss,bbox_mAP", "--out",
                png.toString(), "--size", "640x400"), err::toString);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(640, img.getWidth());
        assertEquals(400, img.getHeight());
        assertTrue(out.toString().contains("run2/metrics bbox_mAP: 2 points"), out.toString());

        assertEquals(2, run("analyze-logs", "plot-curve", a.toString(), "--keys", "loss_cls", "--out", png.toString()));
        assertEquals("dw plot-curve: " + a + " has no numeric key 'loss_cls' (it has bbox_mAP, data_time, loss, lr, time)",
                err.toString().strip());
        err.getBuffer().setLength(0);
        assertEquals(2, run("analyze-logs", "cal-train-time", tmp.resolve("none.jsonl").toString()));
        assertEquals("dw cal-train-time: file not found: " + tmp.resolve("none.jsonl") + " (no metrics log there)", err.toString().strip());
        err.getBuffer().setLength(0);
        Files.writeString(tmp.resolve("bad.jsonl"), "{\"mode\": \"train\"}\nnot json\n");
        assertEquals(2, run("analyze-logs", "cal-train-time", tmp.resolve("bad.jsonl").toString()));
        assertTrue(err.toString().strip().startsWith("dw cal-train-time: " + tmp.resolve("bad.jsonl") + ": line 2 is not JSON"), err.toString());
    }
}
