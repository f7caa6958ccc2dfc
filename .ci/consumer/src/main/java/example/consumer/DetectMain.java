package example.consumer;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

import dev.dwjava.core.runtime.RuntimeInfo;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.ModelConfig;
import dev.dwjava.model.config.ConfigFiles;
import dev.dwjava.model.inference.Detection;
import dev.dwjava.model.inference.Detector;
import dev.dwjava.model.weights.TorchFileWriter;
import dev.dwjava.model.weights.WeightLoader;

/**
 * Uses dw-model as a library: writes random weights for the config's model, loads them through the public
 * {@link Detector} API and detects on a drawn PNG. Exits non-zero unless the detections are what the config implies.
 * Usage: DetectMain CONFIG WORK_DIR
 */
public final class DetectMain {
    private DetectMain() {}

    public static void main(String[] args) throws Exception {
        Path config = Path.of(args[0]);
        Path work = Files.createDirectories(Path.of(args[1]));
        RuntimeInfo info = Torch.init();

        Path weights = work.resolve("random.pth");
        try (DwDetector model = new DwDetector(ConfigFiles.load(config, List.of()).section("model", ModelConfig.class))) {
            TorchFileWriter.writeStateDict(weights, WeightLoader.stateOf(model));
        }

        int width = 120, height = 80;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.DARK_GRAY);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.ORANGE);
        g.fillOval(20, 15, 40, 40);
        g.dispose();
        Path png = work.resolve("shapes.png");
        ImageIO.write(image, "png", png.toFile());

        Detector detector = Detector.load(config, weights);
        List<Detection> detections = detector.detect(png);

        check(detections.size() == 5, "expected max_per_image = 5 detections, found " + detections.size());
        float previous = Float.MAX_VALUE;
        for (Detection d : detections) {
            check(d.x1() >= 0 && d.y1() >= 0 && d.x1() <= d.x2() && d.y1() <= d.y2() && d.x2() <= width && d.y2() <= height,
                    "box outside the " + width + "x" + height + " image: " + d);
            check(d.score() > 0 && d.score() < 1 && d.score() <= previous, "scores must be in (0, 1), descending: " + d);
            check(d.className().equals(detector.classNames().get(d.classId())), "class name does not match its id: " + d);
            previous = d.score();
        }
        System.out.println("consumer: libtorch " + info.pytorchVersion() + " (" + info.platform() + "), "
                + detections.size() + " detections on " + png.getFileName() + ", best " + detections.get(0));
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalStateException("consumer: " + message);
        }
    }
}
