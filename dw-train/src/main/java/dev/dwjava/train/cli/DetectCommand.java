package dev.dwjava.train.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import javax.imageio.ImageIO;

import dev.dwjava.core.image.ImageDecoder;
import dev.dwjava.core.image.RgbImage;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.kernels.Ops;
import dev.dwjava.model.inference.Detection;
import dev.dwjava.model.inference.DetectionPainter;
import dev.dwjava.model.inference.Detector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code dw detect}: detections on one image, printed and drawn with class names and scores. */
@Command(name = "detect", description = "Detect objects in an image and draw the boxes, class names and scores.")
public final class DetectCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "Config file (YAML).")
    Path config;

    @Mixin
    WeightsOption weights;

    @Option(names = "--image", required = true, description = "Input image (JPEG, PNG, ...).")
    Path image;

    @Option(names = "--out", required = true, description = "Output picture (PNG).")
    Path out;

    @Option(names = "--score-thr", defaultValue = "0.3", description = "Draw detections above this score (default ${DEFAULT-VALUE}).")
    double scoreThr;

    @Mixin
    DeviceOption device;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (!(scoreThr >= 0 && scoreThr <= 1)) {
            throw new IllegalArgumentException("--score-thr must be in [0, 1], found " + scoreThr);
        }
        if (Files.isDirectory(out)) {
            // ImageIO deletes its output file when a write fails, which for a directory would delete the directory.
            throw new IllegalArgumentException("--out " + out + " is a directory; give the picture's file name (e.g. out.png)");
        }
        if (!Files.isRegularFile(image)) {
            throw new IllegalArgumentException("--image " + image + ": file not found");
        }
        Torch.init();
        RgbImage img;
        List<Detection> dets;
        try (Detector detector = Detector.load(config, weights.weights, device.parse(), Ops.forDevice(device.parse()).nms())) {
            // Decoded once, as the detector decodes (EXIF orientation included), so the boxes fit the picture drawn.
            img = ImageDecoder.decode(image, detector.pipeline().ignoreOrientation());
            dets = detector.detect(img).stream().filter(d -> d.score() > scoreThr).toList();
        }
        for (Detection d : dets) {
            spec.commandLine().getOut().printf("%-16s %.3f  [%.1f, %.1f, %.1f, %.1f]%n", d.className(), d.score(),
                    d.x1(), d.y1(), d.x2(), d.y2());
        }
        Path parent = out.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        ImageIO.write(DetectionPainter.draw(img.toBufferedImage(), dets), "png", out.toFile());
        spec.commandLine().getOut().println(dets.size() + " detections above " + scoreThr + " drawn to " + out);
        return 0;
    }
}
