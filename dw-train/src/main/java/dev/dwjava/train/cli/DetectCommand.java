package dev.dwjava.train.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import javax.imageio.ImageIO;

import dev.dwjava.core.image.ImageDecoder;
import dev.dwjava.core.image.RgbImage;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.data.coco.CocoJson;
import dev.dwjava.eval.test.DatasetTester;
import dev.dwjava.kernels.Ops;
import dev.dwjava.model.inference.Detection;
import dev.dwjava.model.inference.DetectionPainter;
import dev.dwjava.model.inference.Detector;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code dw detect}: detections on one image (printed and drawn with class names and scores), or on a folder or a glob
 * of images (one picture each in {@code --out-dir}, COCO results in {@code --json}, a progress bar on stderr).
 */
@Command(name = "detect", mixinStandardHelpOptions = true, description = {"Detect objects in an image, a folder of images or a glob ('dir/*.jpg', quoted)",
        "and draw the boxes, class names and scores; optionally write COCO results (--json)."})
public final class DetectCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "Config file (YAML).")
    Path config;

    @Mixin
    WeightsOption weights;

    @Option(names = "--image", required = true, paramLabel = "IMG|DIR|GLOB",
            description = "An image file (JPEG, PNG, ...), a folder (its image files, recursively) or a quoted glob.")
    String image;

    @Option(names = "--out", description = "Output picture (PNG) of a single --image file.")
    Path out;

    @Option(names = "--out-dir", description = "Folder for one picture per image: <name relative to the input>.png.")
    Path outDir;

    @Option(names = "--json", description = "Write the detections as a COCO results file (every detection of "
            + "post-processing, i.e. above test.score_thr, as dw test writes them).")
    Path json;

    @Option(names = "--ann", description = "COCO instances or image-info file: --json takes image ids (by file_name) and "
            + "category ids from it; without it images are numbered 1..N in name order and categories 1..C in class order.")
    Path ann;

    @Option(names = "--score-thr", defaultValue = "0.3", description = "Print and draw detections above this score (default ${DEFAULT-VALUE}).")
    double scoreThr;

    @Option(names = "--tta", description = "Test-time augmentation: the scales of test.tta_scales (short edges; default the"
            + " test scale) each flipped and not, merged by one per-class NMS.")
    boolean tta;

    @Option(names = "--cfg-options", arity = "1..*", paramLabel = "KEY=VALUE", description = "Config overrides.")
    List<String> overrides = new ArrayList<>();

    @Mixin
    DeviceOption device;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (!(scoreThr >= 0 && scoreThr <= 1)) {
            throw new IllegalArgumentException("--score-thr must be in [0, 1], found " + scoreThr);
        }
        for (Path p : new Path[] {out, json}) {
            if (p != null && Files.isDirectory(p)) {
                // ImageIO deletes its output file when a write fails, which for a directory would delete the directory.
                throw new IllegalArgumentException((p == out ? "--out " : "--json ") + p + " is a directory; give a file name");
            }
        }
        if (outDir != null && Files.exists(outDir) && !Files.isDirectory(outDir)) {
            throw new IllegalArgumentException("--out-dir " + outDir + " is a file, not a folder");
        }
        if (ann != null && !Files.isRegularFile(ann)) {
            throw new IllegalArgumentException("--ann " + ann + ": file not found");
        }
        ImageInputs.Resolved in = ImageInputs.resolve(image);
        if (!in.single() && out != null) {
            throw new IllegalArgumentException("--out names one picture but --image " + image + " is " + in.inputs().size()
                    + " images; use --out-dir");
        }
        checkUniqueNames(in.inputs());
        CocoJson.Instances annotations = ann == null ? null : CocoJson.readInstances(ann);
        Map<String, Long> ids = json == null ? Map.of() : imageIds(in.inputs(), annotations);
        Torch.init();
        PrintWriter o = spec.commandLine().getOut();
        List<CocoJson.Result> results = new ArrayList<>();
        ProgressBar bar = new ProgressBar(in.single() ? null : System.err, in.inputs().size());
        int drawn = 0, lastShown = 0;
        try (Detector detector = Detector.builder().config(config).overrides(overrides).weights(weights.weights)
                .device(device.parse()).nms(Ops.forDevice(device.parse()).nms()).build()) {
            long[] catIds = categoryIds(detector.classNames(), annotations);
            for (ImageInputs.Input input : in.inputs()) {
                // Decoded once, as the detector decodes (EXIF orientation included), so the boxes fit the picture drawn.
                RgbImage img = ImageDecoder.decode(input.file(), detector.pipeline().ignoreOrientation());
                List<Detection> all = tta ? detector.detectAugmented(img, detector.testTimeAugmentation()) : detector.detect(img);
                List<Detection> shown = all.stream().filter(d -> d.score() > scoreThr).toList();
                lastShown = shown.size();
                if (in.single()) {
                    for (Detection d : shown) {
                        o.printf("%-16s %.3f  [%.1f, %.1f, %.1f, %.1f]%n", d.className(), d.score(), d.x1(), d.y1(), d.x2(), d.y2());
                    }
                }
                Path picture = out != null ? out : outDir != null ? outDir.resolve(input.name().replaceFirst("\\.[^./]*$", "") + ".png") : null;
                if (picture != null) {
                    Files.createDirectories(picture.toAbsolutePath().getParent());
                    ImageIO.write(DetectionPainter.draw(img.toBufferedImage(), shown), "png", picture.toFile());
                    drawn++;
                }
                if (json != null) {
                    long id = ids.get(input.name());
                    for (Detection d : all) {
                        results.add(new CocoJson.Result(id, catIds[d.classId()], d.x1(), d.y1(), d.x2() - d.x1(), d.y2() - d.y1(), d.score()));
                    }
                }
                if (!in.single()) {
                    o.printf("%s: %d detections above %s%n", input.name(), shown.size(), scoreThr);
                }
                bar.step();
            }
        }
        if (json != null) {
            DatasetTester.writeResults(json, results);
            o.println(results.size() + " detections of " + in.inputs().size() + " images written to " + json);
        }
        if (in.single()) {
            o.println(lastShown + " detections above " + scoreThr + (out != null ? " drawn to " + out : ""));
        } else if (outDir != null) {
            o.println(drawn + " pictures drawn to " + outDir);
        }
        o.flush();
        return 0;
    }

    private static void checkUniqueNames(List<ImageInputs.Input> inputs) {
        Map<String, Path> seen = new HashMap<>();
        for (ImageInputs.Input i : inputs) {
            String key = i.name().replaceFirst("\\.[^./]*$", "");
            Path other = seen.put(key, i.file());
            if (other != null) {
                throw new IllegalArgumentException("--image: " + other + " and " + i.file() + " would both be drawn to " + key
                        + ".png; give them separate runs");
            }
        }
    }

    /** Image ids for the results file: the annotation file's, matched by file_name (or its last part), else 1..N. */
    static Map<String, Long> imageIds(List<ImageInputs.Input> inputs, CocoJson.Instances annotations) {
        Map<String, Long> ids = new HashMap<>();
        if (annotations == null) {
            for (int i = 0; i < inputs.size(); i++) {
                ids.put(inputs.get(i).name(), (long) i + 1);
            }
            return ids;
        }
        Map<String, Long> byName = new HashMap<>(), byBase = new HashMap<>();
        Map<String, Integer> baseCount = new HashMap<>();
        for (CocoJson.Image im : annotations.images()) {
            if (im.fileName() == null) {
                continue;
            }
            byName.put(im.fileName(), im.id());
            String base = im.fileName().replaceFirst("^.*/", "");
            byBase.put(base, im.id());
            baseCount.merge(base, 1, Integer::sum);
        }
        for (ImageInputs.Input i : inputs) {
            Long id = byName.get(i.name());
            String base = i.name().replaceFirst("^.*/", "");
            if (id == null && baseCount.getOrDefault(base, 0) == 1) {
                id = byBase.get(base);
            }
            if (id == null) {
                throw new IllegalArgumentException("--ann has no image whose file_name is '" + i.name() + "' (for " + i.file() + ")");
            }
            ids.put(i.name(), id);
        }
        return ids;
    }

    /** Category id per class: the annotation file's ids in id order (names must be the classes), else 1..C. */
    private long[] categoryIds(List<String> classes, CocoJson.Instances annotations) {
        long[] ids = new long[classes.size()];
        if (annotations == null) {
            for (int k = 0; k < ids.length; k++) {
                ids[k] = k + 1;
            }
            return ids;
        }
        List<CocoJson.Category> cats = new ArrayList<>(annotations.categories());
        cats.sort(Comparator.comparingLong(CocoJson.Category::id));
        List<String> names = cats.stream().map(CocoJson.Category::name).toList();
        if (!names.equals(classes)) {
            throw new IllegalArgumentException("--ann " + ann + ": its categories in id order " + names
                    + " are not the config's classes " + classes);
        }
        for (int k = 0; k < ids.length; k++) {
            ids[k] = cats.get(k).id();
        }
        return ids;
    }
}
