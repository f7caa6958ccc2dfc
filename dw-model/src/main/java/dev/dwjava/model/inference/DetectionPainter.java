package dev.dwjava.model.inference;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.List;

/** Draws detections (or ground-truth boxes) onto a copy of an image: a box and a "name score" label each. */
public final class DetectionPainter {
    private DetectionPainter() {}

    /** A copy of {@code img} with each detection's box and label; colours follow the class id. */
    public static BufferedImage draw(BufferedImage img, List<Detection> dets) {
        BufferedImage canvas = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas.createGraphics();
        g.drawImage(img, 0, 0, null);
        int thickness = Math.max(2, Math.min(img.getWidth(), img.getHeight()) / 300);
        g.setStroke(new BasicStroke(thickness));
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, Math.max(11, thickness * 6)));
        for (Detection d : dets) {
            Color c = Color.getHSBColor((d.classId() * 0.618034f) % 1f, 0.85f, 0.95f);
            int x = Math.round(d.x1()), y = Math.round(d.y1());
            g.setColor(c);
            g.drawRect(x, y, Math.round(d.x2() - d.x1()), Math.round(d.y2() - d.y1()));
            String label = d.className() + " " + String.format("%.2f", d.score());
            int tw = g.getFontMetrics().stringWidth(label) + 6, th = g.getFontMetrics().getHeight();
            int ty = Math.max(0, y - th);
            g.fillRect(x, ty, tw, th);
            g.setColor(Color.BLACK);
            g.drawString(label, x + 3, ty + th - g.getFontMetrics().getDescent());
        }
        g.dispose();
        return canvas;
    }
}
