package dev.dwjava.train.engine;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import javax.imageio.ImageIO;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.TickUnit;
import org.jfree.chart.axis.TickUnits;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * A readable PNG of the loss curves (total and the three DW terms) against the iteration, with the validation
 * bbox_mAP on a second axis once there is one, redrawn as training goes. Drawn by JFreeChart (headless) on linear
 * axes whose ticks step by 1, 2 or 5 times a power of ten; written atomically.
 */
public final class LossCurvePlot {
    public static final int WIDTH = 800, HEIGHT = 480;
    private static final String[] NAMES = {"loss", "loss_cls_pos", "loss_loc", "loss_cls_neg"};
    private static final Color[] COLORS = {Color.BLACK, new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c)};
    private static final Color VAL_COLOR = new Color(0xff7f0e);
    /** Points per curve at most: longer runs are averaged over windows, which also smooths them. */
    static final int MAX_POINTS = 400;
    /** Ticks per axis at most, so that a label of every tick stays readable. */
    static final int MAX_TICKS = 10;
    private final List<double[]> points = new ArrayList<>();   // iter, total, clsPos, loc, clsNeg
    private final List<double[]> val = new ArrayList<>();      // iterations done, bbox_mAP

    public void add(StepResult r) {
        points.add(new double[] {r.iter(), r.total(), r.clsPos(), r.loc(), r.clsNeg()});
    }

    /** A validation result after {@code iteration} iterations. */
    public void addVal(long iteration, double bboxMap) {
        val.add(new double[] {iteration, bboxMap});
    }

    public int size() {
        return points.size();
    }

    /** Draws the curves to {@code file} ({@value #WIDTH}×{@value #HEIGHT}). */
    public void write(Path file, String title) throws IOException {
        BufferedImage img = chart(title).createBufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB, null);
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "loss", ".png.tmp");
        try {
            if (!ImageIO.write(img, "png", tmp.toFile())) {
                throw new IOException("no PNG writer for " + file);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);   // after a failed write (a full disk) no partial picture stays behind
        }
    }

    /** The chart {@link #write} draws. */
    JFreeChart chart(String title) {
        System.setProperty("java.awt.headless", "true");   // no display is needed, and none may be there
        XYSeriesCollection losses = new XYSeriesCollection();
        int window = Math.max(1, (points.size() + MAX_POINTS - 1) / MAX_POINTS);
        for (int s = 0; s < NAMES.length; s++) {
            XYSeries series = new XYSeries(NAMES[s], false, true);
            for (int i = 0; i < points.size(); i += window) {
                int end = Math.min(points.size(), i + window);
                double x = 0, y = 0;
                for (int j = i; j < end; j++) {
                    x += points.get(j)[0];
                    y += points.get(j)[s + 1];
                }
                series.add(x / (end - i), y / (end - i));
            }
            losses.addSeries(series);
        }
        NumberAxis iterations = axis("iteration", true);
        NumberAxis loss = axis("loss", false);
        // a lone point (the first log line) has no line to draw: mark it
        XYLineAndShapeRenderer lines = new XYLineAndShapeRenderer(true, losses.getItemCount(0) == 1);
        for (int s = 0; s < NAMES.length; s++) {
            lines.setSeriesPaint(s, COLORS[s]);
            lines.setSeriesStroke(s, new BasicStroke(s == 0 ? 2f : 1.3f));
        }
        XYPlot plot = new XYPlot(losses, iterations, loss, lines);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        if (!val.isEmpty()) {
            XYSeries ap = new XYSeries("val bbox_mAP", false, true);
            double max = 0;
            for (double[] v : val) {
                ap.add(v[0], v[1]);
                max = Math.max(max, v[1]);
            }
            NumberAxis apAxis = axis("val bbox_mAP", false);
            apAxis.setAutoRange(false);
            apAxis.setRange(0, Math.max(0.05, max * 1.1));   // AP starts at 0; a run that found nothing still gets an axis
            plot.setRangeAxis(1, apAxis);
            plot.setRangeAxisLocation(1, AxisLocation.BOTTOM_OR_RIGHT);
            plot.setDataset(1, new XYSeriesCollection(ap));
            plot.mapDatasetToRangeAxis(1, 1);
            XYLineAndShapeRenderer marks = new XYLineAndShapeRenderer(true, true);
            marks.setSeriesPaint(0, VAL_COLOR);
            marks.setSeriesStroke(0, new BasicStroke(1.5f));
            plot.setRenderer(1, marks);
        }
        JFreeChart chart = new JFreeChart(null, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setTitle(new TextTitle(title, new Font(Font.SANS_SERIF, Font.PLAIN, 14)));
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    private static NumberAxis axis(String label, boolean integers) {
        NumberAxis a = new SparseTickAxis(label);
        a.setStandardTickUnits(niceTickUnits(integers));
        a.setAutoRangeIncludesZero(true);
        a.setAutoRangeMinimumSize(integers ? 1 : 1e-6);
        a.setMinorTickCount(0);
        return a;
    }

    /** Picks the smallest nice step that gives at most {@link #MAX_TICKS} ticks and labels that do not overlap. */
    private static final class SparseTickAxis extends NumberAxis {
        SparseTickAxis(String label) {
            super(label);
        }

        @Override
        protected void selectAutoTickUnit(Graphics2D g2, Rectangle2D dataArea, RectangleEdge edge) {
            super.selectAutoTickUnit(g2, dataArea, edge);   // JFreeChart's choice: the smallest step whose labels fit
            TickUnit sparse = getStandardTickUnits().getCeilingTickUnit(getRange().getLength() / MAX_TICKS);
            if (sparse instanceof NumberTickUnit n && n.getSize() > getTickUnit().getSize()) {
                setTickUnit(n, false, false);
            }
        }
    }

    /**
     * Tick steps of 1, 2 and 5 times a power of ten (integers only from 1 up when {@code integers}), each labelled with
     * just the decimals its step needs ("0.2", "5", "2000").
     */
    static TickUnits niceTickUnits(boolean integers) {
        TickUnits units = new TickUnits();
        for (int exp = integers ? 0 : -6; exp <= 9; exp++) {
            DecimalFormat f = new DecimalFormat("0", DecimalFormatSymbols.getInstance(Locale.ROOT));
            f.setMinimumFractionDigits(Math.max(0, -exp));
            f.setMaximumFractionDigits(Math.max(0, -exp));
            for (int m : new int[] {1, 2, 5}) {
                units.add(new NumberTickUnit(Double.parseDouble(m + "e" + exp), f, 0));
            }
        }
        return units;
    }
}
