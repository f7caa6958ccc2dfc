package dev.dwjava.train.app;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

import javax.imageio.ImageIO;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * {@code dw analyze-logs}: mmdetection's {@code tools/analysis_tools/analyze_logs.py} on our {@code metrics.jsonl}
 * files: curves of chosen keys ({@code plot_curve}) and the iteration time ({@code cal_train_time}).
 */
public final class LogAnalysis {
    private static final ObjectMapper JSON = new ObjectMapper();

    private LogAnalysis() {}

    /** One record of a metrics file: its mode ({@code train} or {@code val}) and fields. */
    public record Record(String mode, JsonNode fields) {}

    /** Reads a {@code metrics.jsonl}; a line that is not a JSON object is an error naming the file and line. */
    public static List<Record> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new java.nio.file.NoSuchFileException(file.toString(), null, "no metrics log there");
        }
        List<Record> out = new ArrayList<>();
        int n = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            n++;
            if (line.isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IOException(file + ": line " + n + " is not JSON (" + e.getOriginalMessage() + ")");
            }
            if (node == null || !node.isObject() || !node.path("mode").isTextual()) {
                throw new IOException(file + ": line " + n + " is not a metrics record (a JSON object with \"mode\")");
            }
            out.add(new Record(node.get("mode").asText(), node));
        }
        if (out.isEmpty()) {
            throw new IOException(file + ": no records");
        }
        return out;
    }

    /** A curve: its legend, x (iterations) and y values. */
    public record Curve(String legend, boolean val, double[] x, double[] y) {}

    /**
     * The curve of each (file, key), files outer: keys of {@code train} records against {@code global_iter}, keys of
     * {@code val} records (e.g. {@code bbox_mAP}) against their {@code iter} (iterations done at the evaluation).
     *
     * @param legends one per curve (null: {@code <file's folder>/<file name> <key>})
     */
    public static List<Curve> curves(List<Path> files, List<String> keys, List<String> legends) throws IOException {
        if (legends != null && !legends.isEmpty() && legends.size() != files.size() * keys.size()) {
            throw new IllegalArgumentException("--legend needs one name per file and key (" + files.size() * keys.size()
                    + "), found " + legends.size());
        }
        List<Curve> out = new ArrayList<>();
        for (Path f : files) {
            List<Record> records = read(f);
            for (String key : keys) {
                List<double[]> points = new ArrayList<>();
                boolean val = false;
                for (Record r : records) {
                    JsonNode v = r.fields().get(key);
                    if (v == null || !v.isNumber()) {
                        continue;
                    }
                    boolean isVal = !r.mode().equals("train");
                    JsonNode x = r.fields().get(isVal ? "iter" : "global_iter");
                    if (x == null || !x.isNumber()) {
                        continue;
                    }
                    val |= isVal;
                    points.add(new double[] {x.asDouble(), v.asDouble()});
                }
                if (points.isEmpty()) {
                    TreeSet<String> known = new TreeSet<>();
                    records.forEach(r -> r.fields().fieldNames().forEachRemaining(known::add));
                    known.removeAll(List.of("mode", "epoch", "iter", "global_iter"));
                    throw new IllegalArgumentException(f + " has no numeric key '" + key + "' (it has " + String.join(", ", known) + ")");
                }
                String legend = legends != null && !legends.isEmpty() ? legends.get(out.size()) : label(f) + " " + key;
                out.add(new Curve(legend, val, points.stream().mapToDouble(p -> p[0]).toArray(),
                        points.stream().mapToDouble(p -> p[1]).toArray()));
            }
        }
        return out;
    }

    private static String label(Path f) {
        Path abs = f.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        String name = abs.getFileName().toString().replaceFirst("\\.jsonl?$", "");
        return parent == null || parent.getFileName() == null ? name : parent.getFileName() + "/" + name;
    }

    /** Draws the curves: train keys on the left axis, val keys on a right one. */
    public static void plot(List<Curve> curves, String title, int width, int height, Path out) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYSeriesCollection left = new XYSeriesCollection(), right = new XYSeriesCollection();
        for (Curve c : curves) {
            XYSeries s = new XYSeries(c.legend(), false, true);
            for (int i = 0; i < c.x().length; i++) {
                s.add(c.x()[i], c.y()[i]);
            }
            (c.val() ? right : left).addSeries(s);
        }
        NumberAxis x = new NumberAxis("iteration");
        x.setAutoRangeIncludesZero(false);
        XYPlot plot = new XYPlot();
        plot.setDomainAxis(x);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        int index = 0, colour = 0;
        for (XYSeriesCollection data : List.of(left, right)) {
            if (data.getSeriesCount() == 0) {
                continue;
            }
            NumberAxis y = new NumberAxis(data == left ? "train" : "val");
            y.setAutoRangeIncludesZero(false);
            XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, data == right);
            for (int s = 0; s < data.getSeriesCount(); s++, colour++) {
                r.setSeriesPaint(s, Color.getHSBColor((colour * 0.618034f) % 1f, 0.8f, 0.8f));
                r.setSeriesStroke(s, new BasicStroke(1.5f));
            }
            plot.setDataset(index, data);
            plot.setRangeAxis(index, y);
            plot.setRangeAxisLocation(index, index == 0 ? AxisLocation.BOTTOM_OR_LEFT : AxisLocation.BOTTOM_OR_RIGHT);
            plot.mapDatasetToRangeAxis(index, index);
            plot.setRenderer(index, r);
            index++;
        }
        JFreeChart chart = new JFreeChart(null, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        if (title != null) {
            chart.setTitle(new TextTitle(title, new Font(Font.SANS_SERIF, Font.PLAIN, 14)));
        }
        chart.setBackgroundPaint(Color.WHITE);
        BufferedImage img = chart.createBufferedImage(width, height);
        Files.createDirectories(out.toAbsolutePath().getParent());
        ImageIO.write(img, "png", out.toFile());
    }

    /**
     * {@code cal_train_time} of one file: per epoch the mean {@code time} (seconds per iteration) of its train records,
     * the first record of each epoch left out unless {@code includeOutliers} (it holds the warm-up); the slowest and
     * fastest epoch, the population standard deviation of the epoch means, and the mean over all records kept.
     *
     * @param epochMeans epoch number (1-based) → mean s/iter
     */
    public record TrainTime(Map<Integer, Double> epochMeans, int slowestEpoch, int fastestEpoch, double std, double average) {
        /** analyze_logs.py's lines. */
        public String report(Path file) {
            return String.format(Locale.ROOT, "-----Analyze train time of %s-----%n"
                            + "slowest epoch %d, average time is %.4f s/iter%n"
                            + "fastest epoch %d, average time is %.4f s/iter%n"
                            + "time std over epochs is %.4f%n"
                            + "average iter time: %.4f s/iter%n",
                    file, slowestEpoch, epochMeans.get(slowestEpoch), fastestEpoch, epochMeans.get(fastestEpoch), std, average);
        }
    }

    /** See {@link TrainTime}. */
    public static TrainTime trainTime(Path file, boolean includeOutliers) throws IOException {
        Map<Integer, List<Double>> byEpoch = new LinkedHashMap<>();
        for (Record r : read(file)) {
            JsonNode t = r.fields().get("time"), e = r.fields().get("epoch");
            if (r.mode().equals("train") && t != null && t.isNumber() && e != null && e.isNumber()) {
                byEpoch.computeIfAbsent(e.asInt(), k -> new ArrayList<>()).add(t.asDouble());
            }
        }
        Map<Integer, Double> means = new LinkedHashMap<>();
        double sum = 0;
        int n = 0;
        for (var entry : byEpoch.entrySet()) {
            List<Double> ts = entry.getValue();
            List<Double> kept = includeOutliers ? ts : ts.subList(1, ts.size());
            if (kept.isEmpty()) {
                continue;
            }
            double s = 0;
            for (double v : kept) {
                s += v;
            }
            means.put(entry.getKey(), s / kept.size());
            sum += s;
            n += kept.size();
        }
        if (means.isEmpty()) {
            throw new IllegalArgumentException(file + " has no train records with 'time' to analyse"
                    + (byEpoch.isEmpty() ? "" : " beyond each epoch's first (add --include-outliers)"));
        }
        int slowest = -1, fastest = -1;
        double mean = 0;
        for (var entry : means.entrySet()) {
            if (slowest < 0 || entry.getValue() > means.get(slowest)) {
                slowest = entry.getKey();
            }
            if (fastest < 0 || entry.getValue() < means.get(fastest)) {
                fastest = entry.getKey();
            }
            mean += entry.getValue() / means.size();
        }
        double var = 0;
        for (double v : means.values()) {
            var += (v - mean) * (v - mean) / means.size();
        }
        return new TrainTime(means, slowest, fastest, Math.sqrt(var), sum / n);
    }
}
