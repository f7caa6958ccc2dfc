package dev.dwjava.train.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javax.imageio.ImageIO;

import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisState;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTick;
import org.jfree.chart.axis.TickUnits;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleEdge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LossCurvePlotTest {

    private static LossCurvePlot run(int steps, boolean withVal) {
        LossCurvePlot p = new LossCurvePlot();
        for (int i = 0; i < steps; i++) {
            double f = Math.exp(-i / 300.0);
            p.add(new StepResult(i / 100, i, 0.01, 1.2 * f + 0.1, 0.9 * f + 0.2, 0.568 * f + 0.05, 3, 1, 1, 1, 1, 1));
        }
        if (withVal) {
            p.addVal(250, 0.0123);
            p.addVal(500, 0.2);
            p.addVal(steps, 0.427);
        }
        return p;
    }

    @Test
    void writesAPngOfTheDocumentedSize(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("loss_curve.png");
        run(1000, true).write(file, "DW training loss (test)");
        BufferedImage img = ImageIO.read(file.toFile());
        assertNotNull(img);
        assertEquals(LossCurvePlot.WIDTH, img.getWidth());
        assertEquals(LossCurvePlot.HEIGHT, img.getHeight());
        assertTrue(java.nio.file.Files.list(tmp).count() == 1, "no temporary is left");
    }

    @Test
    void axesHaveNiceTicksAndTheValidationApHasItsOwnAxis() {
        JFreeChart chart = run(1000, true).chart("t");
        XYPlot plot = chart.getXYPlot();
        assertEquals(2, plot.getRangeAxisCount());
        assertEquals("val bbox_mAP", plot.getRangeAxis(1).getLabel());
        assertEquals("iteration", plot.getDomainAxis().getLabel());
        ChartRenderingInfo info = new ChartRenderingInfo();
        BufferedImage img = chart.createBufferedImage(LossCurvePlot.WIDTH, LossCurvePlot.HEIGHT, info);
        Rectangle2D area = info.getPlotInfo().getDataArea();
        Graphics2D g = img.createGraphics();
        List<String> iterations = labels((NumberAxis) plot.getDomainAxis(), g, area, RectangleEdge.BOTTOM);
        List<String> loss = labels((NumberAxis) plot.getRangeAxis(0), g, area, RectangleEdge.LEFT);
        List<String> ap = labels((NumberAxis) plot.getRangeAxis(1), g, area, RectangleEdge.RIGHT);
        g.dispose();
        // 0 to 1000 iterations, loss from 0 to 3.02, AP from 0 to 0.427 (axis to 0.47): at most 10 ticks on nice steps
        assertEquals(List.of("0", "200", "400", "600", "800", "1000"), iterations);
        assertEquals(List.of("0.0", "0.5", "1.0", "1.5", "2.0", "2.5", "3.0"), loss);
        assertEquals(List.of("0.00", "0.05", "0.10", "0.15", "0.20", "0.25", "0.30", "0.35", "0.40", "0.45"), ap);
        for (List<String> axis : List.of(iterations, loss, ap)) {
            assertNice(axis);
        }
    }

    @Test
    void withoutValidationThereIsOneRangeAxis() {
        assertEquals(1, run(5, false).chart("t").getXYPlot().getRangeAxisCount());
        // a single point is marked, as it has no line
        XYPlot one = run(1, false).chart("t").getXYPlot();
        assertEquals(1, one.getDataset().getItemCount(0));
        assertTrue(((XYLineAndShapeRenderer) one.getRenderer()).getDefaultShapesVisible());
        assertTrue(!((XYLineAndShapeRenderer) run(5, false).chart("t").getXYPlot().getRenderer()).getDefaultShapesVisible());
    }

    @Test
    void tickUnitsStepByOneTwoFiveAndPrintOnlyTheirDecimals() {
        TickUnits units = LossCurvePlot.niceTickUnits(false);
        assertEquals(0.2, units.getCeilingTickUnit(0.17).getSize(), 1e-12);
        assertEquals("0.4", units.getCeilingTickUnit(0.17).valueToString(0.4));
        assertEquals(0.5, units.getCeilingTickUnit(0.3).getSize(), 1e-12);
        assertEquals(50, units.getCeilingTickUnit(27).getSize(), 1e-12);
        assertEquals("150", units.getCeilingTickUnit(27).valueToString(150));
        assertEquals("0.005", units.getCeilingTickUnit(0.004).valueToString(0.005));
        TickUnits ints = LossCurvePlot.niceTickUnits(true);
        assertEquals(1, ints.getCeilingTickUnit(0.3).getSize(), 1e-12);
        assertEquals(2000, ints.getCeilingTickUnit(1500).getSize(), 1e-12);
        assertEquals("4000", ints.getCeilingTickUnit(1500).valueToString(4000));
    }

    @SuppressWarnings("unchecked")
    private static List<String> labels(NumberAxis axis, Graphics2D g, Rectangle2D area, RectangleEdge edge) {
        List<String> out = new ArrayList<>();
        for (Object t : axis.refreshTicks(g, new AxisState(), area, edge)) {
            out.add(((NumberTick) t).getText());
        }
        assertTrue(out.size() >= 3, axis.getLabel() + ": " + out);
        return out;
    }

    /** Labels step by one of 1, 2, 5 × 10^k, and none prints more decimals than its step has. */
    private static void assertNice(List<String> labels) {
        BigDecimal step = new BigDecimal(labels.get(1)).subtract(new BigDecimal(labels.get(0)));
        String digits = step.stripTrailingZeros().unscaledValue().toString();
        assertTrue(digits.equals("1") || digits.equals("2") || digits.equals("5"), "step " + step + " of " + labels);
        int decimals = Math.max(0, step.stripTrailingZeros().scale());
        for (int i = 0; i < labels.size(); i++) {
            BigDecimal v = new BigDecimal(labels.get(i));
            assertEquals(decimals, Math.max(0, v.scale()), "label " + labels.get(i) + " of " + labels);
            assertEquals(0, v.remainder(step).signum(), labels.get(i) + " is not a multiple of " + step);
            if (i > 0) {
                assertEquals(0, v.subtract(new BigDecimal(labels.get(i - 1))).compareTo(step), labels.toString());
            }
        }
    }
}
