package dev.dwjava.train.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import javax.imageio.ImageIO;

import dev.dwjava.core.runtime.ComputeDevice;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.kernels.Accelerated;
import dev.dwjava.model.inference.Detection;
import dev.dwjava.model.inference.Detector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code dw detect}: detections on one image, printed and drawn with class names and scores. */
@Command(name = "detect", description = "Detect objects in an image and draw the boxes, class names and scores.")
public final class DetectCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "Config file (YAML).")
    Path config;

    @Option(names = "--weights", required = true, description = "Checkpoint (.pth).")
    Path weights;

    @Option(names = "--image", required = true, description = "Input image (JPEG, PNG, ...).")
    Path image;

    @Option(names = "--out", required = true, description = "Output picture (PNG).")
    Path out;

    @Option(names = "--score-thr", defaultValue = "0.3", description = "Draw detections above this score (default ${DEFAULT-VALUE}).")
    double scoreThr;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or cuda:N (default ${DEFAULT-VALUE}).")
    String device;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Torch.init();
        BufferedImage img = ImageIO.read(image.toFile());
        if (img == null) {
            throw new IllegalArgumentException(image + " is not an image (JPEG, PNG, BMP, GIF)");
        }
        List<Detection> dets = Detector.load(config, weights, ComputeDevice.parse(device), Accelerated.nms()).detect(img).stream().filter(d -> d.score() > scoreThr).toList();
        for (Detection d : dets) {
            spec.commandLine().getOut().printf("%-16s %.3f  [%.1f, %.1f, %.1f, %.1f]%n", d.className(), d.score(),
                    d.x1(), d.y1(), d.x2(), d.y2());
        }
        Path parent = out.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        ImageIO.write(draw(img, dets), "png", out.toFile());
        spec.commandLine().getOut().println(dets.size() + " detections above " + scoreThr + " drawn to " + out);
        return 0;
    }

    /** A copy of {@code img} with each detection's box and "name score" label. */
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
