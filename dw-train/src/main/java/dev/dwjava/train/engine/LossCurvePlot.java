package dev.dwjava.train.engine;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

import javax.imageio.ImageIO;

/**
 * A readable PNG of the loss curves (total and the three DW terms) against the iteration, redrawn as training goes.
 * Uses Java2D headless; written atomically.
 */
public final class LossCurvePlot {
    private static final String[] NAMES = {"total", "loss_cls_pos", "loss_loc", "loss_cls_neg"};
    private static final Color[] COLORS = {Color.BLACK, new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c)};
    private final List<double[]> points = new ArrayList<>();   // iter, total, clsPos, loc, clsNeg

    public void add(StepResult r) {
        points.add(new double[] {r.iter(), r.total(), r.clsPos(), r.loc(), r.clsNeg()});
    }

    public int size() {
        return points.size();
    }

    /** Draws the curves to {@code file} (800×480). */
    public void write(Path file, String title) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int w = 800, h = 480, left = 70, right = 20, top = 40, bottom = 50;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.setColor(Color.DARK_GRAY);
        g.drawString(title, left, 22);
        double maxX = 1, maxY = 1e-9;
        for (double[] p : points) {
            maxX = Math.max(maxX, p[0]);
            maxY = Math.max(maxY, p[1]);
        }
        maxY *= 1.05;
        g.drawRect(left, top, w - left - right, h - top - bottom);
        for (int k = 0; k <= 5; k++) {
            int y = top + (h - top - bottom) * k / 5;
            g.drawString(String.format("%.3f", maxY * (5 - k) / 5), 5, y + 4);
            int x = left + (w - left - right) * k / 5;
            g.drawString(String.format("%.0f", maxX * k / 5), x - 10, h - bottom + 18);
        }
        g.drawString("iteration", w / 2 - 25, h - 12);
        int window = Math.max(1, points.size() / 200);        // light smoothing keeps long runs readable
        for (int s = 0; s < NAMES.length; s++) {
            g.setColor(COLORS[s]);
            g.setStroke(new BasicStroke(s == 0 ? 2f : 1.3f));
            int px = -1, py = -1;
            for (int i = 0; i < points.size(); i += window) {
                double sum = 0;
                int n = 0;
                for (int j = i; j < Math.min(points.size(), i + window); j++, n++) {
                    sum += points.get(j)[s + 1];
                }
                int x = left + (int) ((w - left - right) * points.get(i)[0] / maxX);
                int y = top + (int) ((h - top - bottom) * (1 - sum / n / maxY));
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                px = x;
                py = y;
            }
            g.fillRect(w - right - 150, top + 10 + 18 * s, 12, 3);
            g.drawString(NAMES[s], w - right - 132, top + 16 + 18 * s);
        }
        g.dispose();
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
}
