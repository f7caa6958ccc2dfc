package dev.dwjava.train.app;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import javax.imageio.ImageIO;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dwjava.data.coco.CocoJson;
import dev.dwjava.eval.coco.CocoAnalysis;
import dev.dwjava.eval.coco.CocoEval;
import dev.dwjava.eval.coco.CocoEvalResult;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * {@code dw analyze}: a results file against its annotations: the confusion matrix (CSV of counts, PNG heat map of
 * row percentages), per-class precision-recall curves at IoU 0.5 and 0.5:0.95 (PNG and CSV), and the COCO error
 * breakdown per class and overall (CSV and a printed table). Everything is computed by dw-eval ({@link CocoAnalysis},
 * {@link CocoEval}).
 */
public final class ResultAnalysis {
    private ResultAnalysis() {}

    /** The files written, in order. */
    public static final List<String> FILES = List.of("confusion_matrix.csv", "confusion_matrix.png", "pr_curves.csv",
            "pr_curve_iou50.png", "pr_curve_iou50-95.png", "error_breakdown.csv");

    /** Runs every analysis and writes {@link #FILES} into {@code outDir}; prints the error-breakdown table. */
    public static void run(Path annFile, Path resultsFile, Path outDir, double scoreThr, double iouThr, PrintStream out)
            throws IOException {
        CocoJson.Instances gt = CocoJson.readInstances(annFile);
        List<CocoJson.Result> dt = CocoJson.readResults(resultsFile);
        Map<Long, String> sup = supercategories(annFile);
        Map<Long, String> names = new HashMap<>();
        gt.categories().forEach(c -> names.put(c.id(), c.name()));
        Files.createDirectories(outDir);

        long[][] cm = CocoAnalysis.confusionMatrix(gt, dt, scoreThr, iouThr);
        CocoEvalResult eval = new CocoEval(gt, dt).run();
        long[] catIds = eval.catIds();
        List<String> labels = new ArrayList<>();
        for (long id : catIds) {
            labels.add(names.getOrDefault(id, String.valueOf(id)));
        }
        writeConfusionCsv(outDir.resolve("confusion_matrix.csv"), cm, labels);
        ImageIO.write(heatMap(cm, labels, scoreThr, iouThr), "png", outDir.resolve("confusion_matrix.png").toFile());

        double[] rec = CocoAnalysis.recallThresholds();
        double[][] p50 = new double[catIds.length][], pAll = new double[catIds.length][];
        for (int k = 0; k < catIds.length; k++) {
            p50[k] = CocoAnalysis.precisionCurve(eval, k, true);
            pAll[k] = CocoAnalysis.precisionCurve(eval, k, false);
        }
        try (Writer w = Files.newBufferedWriter(outDir.resolve("pr_curves.csv"))) {
            w.write("class,recall,precision_iou50,precision_iou50_95\n");
            for (int k = 0; k < catIds.length; k++) {
                for (int i = 0; i < rec.length; i++) {
                    w.write(csv(labels.get(k)) + "," + fmt(rec[i]) + "," + fmt(p50[k][i]) + "," + fmt(pAll[k][i]) + "\n");
                }
            }
        }
        prPlot(rec, p50, labels, eval, true, outDir.resolve("pr_curve_iou50.png"));
        prPlot(rec, pAll, labels, eval, false, outDir.resolve("pr_curve_iou50-95.png"));

        CocoAnalysis.ErrorBreakdown e = CocoAnalysis.errorBreakdown(gt, dt, sup);
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT, "%-20s", "class"));
        StringBuilder csv = new StringBuilder("class");
        for (String t : CocoAnalysis.ERROR_TYPES) {
            table.append(String.format(Locale.ROOT, " %6s", t));
            csv.append(',').append(t);
        }
        table.append('\n');
        csv.append('\n');
        for (int k = 0; k <= catIds.length; k++) {
            String name = k < catIds.length ? labels.get(k) : "overall";
            double[] ap = k < catIds.length ? e.ap()[k] : e.overallAp();
            table.append(String.format(Locale.ROOT, "%-20s", name));
            csv.append(csv(name));
            for (double v : ap) {
                table.append(String.format(Locale.ROOT, " %6.3f", v));
                csv.append(',').append(fmt(v));
            }
            table.append('\n');
            csv.append('\n');
        }
        Files.writeString(outDir.resolve("error_breakdown.csv"), csv);
        out.println("COCO error breakdown (AP of each PR curve; area all, 100 detections per image):");
        out.print(table);
        out.println("confusion matrix (score >= " + scoreThr + ", IoU >= " + iouThr + "), PR curves and the breakdown written to "
                + outDir);
        out.flush();
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.6f", v);
    }

    private static String csv(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    /** Supercategories by category id, read from the annotation file's {@code categories} (streamed). */
    static Map<Long, String> supercategories(Path annFile) throws IOException {
        Map<Long, String> sup = new HashMap<>();
        try (JsonParser p = new JsonFactory(new ObjectMapper()).createParser(annFile.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return sup;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                p.nextToken();
                if (key.equals("categories")) {
                    JsonNode cats = p.readValueAsTree();
                    for (JsonNode c : cats) {
                        if (c.path("supercategory").isTextual()) {
                            sup.put(c.path("id").asLong(), c.get("supercategory").asText());
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
        }
        return sup;
    }

    private static void writeConfusionCsv(Path file, long[][] cm, List<String> labels) throws IOException {
        List<String> all = new ArrayList<>(labels);
        all.add("background");
        StringBuilder sb = new StringBuilder("gt\\pred");
        for (String l : all) {
            sb.append(',').append(csv(l));
        }
        sb.append('\n');
        for (int i = 0; i < cm.length; i++) {
            sb.append(csv(all.get(i)));
            for (long v : cm[i]) {
                sb.append(',').append(v);
            }
            sb.append('\n');
        }
        Files.writeString(file, sb);
    }

    /** The heat map: each row in percent of its sum (mmdetection's normalisation), the percentage in each cell. */
    static BufferedImage heatMap(long[][] cm, List<String> labels, double scoreThr, double iouThr) {
        System.setProperty("java.awt.headless", "true");
        int n = cm.length, cell = n <= 12 ? 48 : n <= 30 ? 28 : 14;
        List<String> all = new ArrayList<>(labels);
        all.add("background");
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, Math.max(9, Math.min(12, cell / 3)));
        pg.setFont(font);
        int labelW = 0;
        for (String l : all) {
            labelW = Math.max(labelW, pg.getFontMetrics().stringWidth(l));
        }
        String title = String.format(Locale.ROOT, "Normalized confusion matrix (score >= %s, IoU >= %s)", scoreThr, iouThr);
        String axes = "rows: ground truth, columns: prediction (% of the row)";
        int textW = Math.max(pg.getFontMetrics().stringWidth(title), pg.getFontMetrics().stringWidth(axes));
        pg.dispose();
        int left = labelW + 40, top = 40, bottom = labelW + 40;
        int w = Math.max(left + n * cell + 20, textW + 20), h = top + n * cell + bottom;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setFont(font);
        FontMetrics fm = g.getFontMetrics();
        g.setColor(Color.BLACK);
        g.drawString(title, 10, 20);
        for (int i = 0; i < n; i++) {
            long sum = 0;
            for (long v : cm[i]) {
                sum += v;
            }
            for (int j = 0; j < n; j++) {
                double pct = sum == 0 ? 0 : 100.0 * cm[i][j] / sum;
                float t = (float) (pct / 100);
                // White to a deep blue, as matplotlib's Blues.
                g.setColor(new Color(1 - 0.97f * t, 1 - 0.8f * t, 1 - 0.45f * t));
                g.fillRect(left + j * cell, top + i * cell, cell, cell);
                if (cell >= 28) {
                    g.setColor(t > 0.5f ? Color.WHITE : Color.BLACK);
                    String s = String.format(Locale.ROOT, "%.0f", pct);
                    g.drawString(s, left + j * cell + (cell - fm.stringWidth(s)) / 2, top + i * cell + (cell + fm.getAscent()) / 2 - 2);
                }
            }
            g.setColor(Color.BLACK);
            g.drawString(all.get(i), left - 6 - fm.stringWidth(all.get(i)), top + i * cell + (cell + fm.getAscent()) / 2 - 2);
        }
        g.setColor(Color.GRAY);
        g.setStroke(new BasicStroke(1));
        g.drawRect(left, top, n * cell, n * cell);
        g.setColor(Color.BLACK);
        AffineTransform base = g.getTransform();
        for (int j = 0; j < n; j++) {
            g.setTransform(base);
            g.translate(left + j * cell + (cell + fm.getAscent()) / 2 - 2, top + n * cell + 6);
            g.rotate(Math.PI / 2);
            g.drawString(all.get(j), 0, 0);
        }
        g.setTransform(base);
        g.drawString(axes, 10, h - 10);
        g.dispose();
        return img;
    }

    private static void prPlot(double[] rec, double[][] p, List<String> labels, CocoEvalResult eval, boolean iou50, Path file)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYSeriesCollection data = new XYSeriesCollection();
        for (int k = 0; k < p.length; k++) {
            double ap = eval.perClass(k)[iou50 ? 1 : 0];
            XYSeries s = new XYSeries(String.format(Locale.ROOT, "%s [%.3f]", labels.get(k), Math.max(0, ap)), false, true);
            for (int i = 0; i < rec.length; i++) {
                s.add(rec[i], p[k][i]);
            }
            data.addSeries(s);
        }
        NumberAxis x = new NumberAxis("recall"), y = new NumberAxis("precision");
        x.setRange(0, 1);
        y.setRange(0, 1.02);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        for (int k = 0; k < p.length; k++) {
            r.setSeriesPaint(k, Color.getHSBColor((k * 0.618034f) % 1f, 0.8f, 0.8f));
            r.setSeriesStroke(k, new BasicStroke(1.5f));
        }
        XYPlot plot = new XYPlot(data, x, y, r);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        JFreeChart chart = new JFreeChart(null, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setTitle(new TextTitle("precision-recall per class, IoU " + (iou50 ? "0.5" : "0.5:0.95 (mean)")
                + " (legend: AP)", new Font(Font.SANS_SERIF, Font.PLAIN, 14)));
        chart.setBackgroundPaint(Color.WHITE);
        ImageIO.write(chart.createBufferedImage(800, 600), "png", file.toFile());
    }
}
