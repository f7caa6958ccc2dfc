package dev.dwjava.model.inference;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.dwjava.core.box.CpuNms;
import dev.dwjava.core.box.Nms;
import dev.dwjava.core.image.ImageDecoder;
import dev.dwjava.core.image.RgbImage;
import dev.dwjava.core.runtime.ComputeDevice;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.ModelConfig;
import dev.dwjava.model.config.ConfigFiles;
import dev.dwjava.model.head.HeadOutputs;
import dev.dwjava.model.postprocess.Detections;
import dev.dwjava.model.postprocess.PostProcessor;
import dev.dwjava.model.postprocess.TestConfig;
import dev.dwjava.model.weights.LoadReport;
import dev.dwjava.model.weights.WeightLoader;
import org.bytedeco.pytorch.NoGradGuard;

/**
 * The public inference API: a DW detector built from a config and a weights file, detecting on image files or
 * {@link BufferedImage}s, through the config's {@link TestPipeline} (the same one {@code dw test} uses, so a detection
 * here equals the results-file entry {@code dw test} writes for that image).
 *
 * <pre>{@code
 * Detector detector = Detector.load(Path.of("configs/dw_r50_fpn_1x_coco.yaml"), Path.of("dw_r50_fpn_1x_coco.pth"));
 * for (Detection d : detector.detect(Path.of("street.jpg"))) {
 *     System.out.printf("%s %.2f at (%.0f, %.0f, %.0f, %.0f)%n", d.className(), d.score(), d.x1(), d.y1(), d.x2(), d.y2());
 * }
 * }</pre>
 * Thread safety: one detection at a time per instance.
 */
public final class Detector {
    private final DwDetector model;
    private final PostProcessor postProcessor;
    private final TestPipeline pipeline;
    private final List<String> classNames;

    public Detector(DwDetector model, TestConfig test, TestPipeline pipeline, List<String> classNames) {
        this(model, test, pipeline, classNames, new CpuNms());
    }

    /** @param nms the NMS of post-processing, which runs where the model runs (e.g. the CUDA kernel of dw-kernels) */
    public Detector(DwDetector model, TestConfig test, TestPipeline pipeline, List<String> classNames, Nms nms) {
        if (classNames.size() != model.config().numClasses()) {
            throw new IllegalArgumentException("the config names " + classNames.size() + " classes but the model has "
                    + model.config().numClasses());
        }
        this.model = model;
        this.postProcessor = new PostProcessor(test, nms);
        this.pipeline = pipeline;
        this.classNames = List.copyOf(classNames);
    }

    /**
     * Builds the model of {@code config} (sections {@code model}, {@code test}, {@code classes}, and the test pipeline of
     * {@code data}: see {@link TestPipeline#fromConfig}) and loads
     * {@code weights} strictly: an official mmdetection DW checkpoint, or one of ours.
     */
    public static Detector load(Path config, Path weights) throws IOException {
        return load(config, weights, ComputeDevice.CPU, new CpuNms());
    }

    /**
     * As {@link #load(Path, Path)}, running on {@code device} with {@code nms} in post-processing (for a GPU, pass
     * dw-kernels' {@code Ops.forDevice(device).nms()}).
     */
    public static Detector load(Path config, Path weights, ComputeDevice device, Nms nms) throws IOException {
        Torch.init();
        ConfigFiles.Tree tree = ConfigFiles.load(config, List.of());
        DwDetector model = new DwDetector(tree.section("model", ModelConfig.class));
        LoadReport report = WeightLoader.loadModel(model, weights, true);
        org.slf4j.LoggerFactory.getLogger(Detector.class).info("{}", report);
        model.moveTo(device);
        return new Detector(model, tree.section("test", TestConfig.class), TestPipeline.fromConfig(tree),
                classNames(tree), nms);
    }

    /** The config's {@code classes} list. */
    public static List<String> classNames(ConfigFiles.Tree tree) {
        String[] names = tree.section("classes", String[].class);
        return List.of(names);
    }

    public List<String> classNames() {
        return classNames;
    }

    public DwDetector model() {
        return model;
    }

    /** The test pipeline images go through before the forward. */
    public TestPipeline pipeline() {
        return pipeline;
    }

    /** Detects on an image file (JPEG, PNG, BMP, GIF), decoded as OpenCV's {@code imread(IMREAD_COLOR)} does. */
    public List<Detection> detect(Path imageFile) throws IOException {
        return detect(ImageDecoder.decode(imageFile, pipeline.ignoreOrientation()));
    }

    /** Detects on an in-memory image (its raster samples, as {@link RgbImage#of} reads them). */
    public List<Detection> detect(BufferedImage image) {
        return detect(RgbImage.of(image));
    }

    /** Detects on decoded RGB pixels; returns detections by descending score. */
    public List<Detection> detect(RgbImage image) {
        try (TensorScope scope = TensorScope.open(); NoGradGuard g = new NoGradGuard()) {
            TestPipeline.Input in = pipeline.prepare(image);
            HeadOutputs out = model.forward(in.tensor());
            Detections d = postProcessor.process(out, 0, in.meta()).detections();
            float[] boxes = Tensors.toFloats(d.boxes()), scores = Tensors.toFloats(d.scores());
            long[] labels = Tensors.toLongs(d.labels());
            List<Detection> result = new ArrayList<>();
            for (int i = 0; i < scores.length; i++) {
                int c = (int) labels[i];
                result.add(new Detection(boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3], scores[i], c,
                        classNames.get(c)));
            }
            return result;
        }
    }
}
