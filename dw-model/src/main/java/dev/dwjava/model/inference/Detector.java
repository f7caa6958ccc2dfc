package dev.dwjava.model.inference;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

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
import dev.dwjava.model.weights.TorchFile;
import dev.dwjava.model.weights.WeightLoader;
import org.bytedeco.pytorch.NoGradGuard;

/**
 * The public inference API: a DW detector built from a config and a weights file, detecting on image files, encoded
 * image bytes, {@link BufferedImage}s or decoded {@link RgbImage}s, through the config's {@link TestPipeline} (the same
 * one {@code dw test} uses, so a detection here equals the results-file entry {@code dw test} writes for that image).
 *
 * <pre>{@code
 * try (Detector detector = Detector.builder()
 *         .config(MyService.class.getResource("/models/dw_r50.yaml"))   // or a Path, a stream, YAML text
 *         .weights(Path.of("dw_r50_fpn_1x_coco.pth"))
 *         .device("cuda:0")
 *         .scoreThreshold(0.3f)
 *         .build()) {
 *     for (Detection d : detector.detect(Path.of("street.jpg"))) {
 *         System.out.printf("%s %.2f at (%.0f, %.0f, %.0f, %.0f)%n", d.className(), d.score(), d.x1(), d.y1(), d.x2(), d.y2());
 *     }
 * }
 * }</pre>
 *
 * <p><b>Resources.</b> A detector that loaded its model ({@link #builder()}, {@link #load}) owns it: {@link #close()}
 * frees the model's native weights at once (see {@link DwDetector#close()}) instead of leaving them to the garbage
 * collector, which native memory alone never triggers. Any call after {@code close()} throws
 * {@link IllegalStateException} ("Detector is closed"); closing twice is harmless.
 *
 * <p><b>Threads.</b> Instances are thread-safe. Decoding and preprocessing run in the calling thread, concurrently;
 * the forward and post-processing of concurrent callers take turns on one lock, so each call returns exactly what it
 * would return alone. Gradients are off per call ({@link NoGradGuard}, which is per thread in libtorch), in whatever
 * thread calls. For parallel forwards, use several instances.
 *
 * <p><b>Score threshold.</b> The detector's threshold is the config's {@code test.score_thr} unless the builder set
 * another; the overloads taking {@code scoreThreshold} use that value for one call instead. Either way it plays the
 * part of {@code score_thr} in post-processing (pairs must score strictly above it, before {@code nms_pre}, docs/DW_SPEC.md
 * §4), so a lower threshold never drops a detection that a higher one keeps.
 */
public final class Detector implements AutoCloseable {
    private final DwDetector model;
    private final boolean ownsModel;
    private final TestConfig test;
    private final Nms nms;
    private final PostProcessor postProcessor;
    private final TestPipeline pipeline;
    private final List<String> classNames;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile boolean closed;

    /**
     * A detector over a model the caller owns (e.g. one being trained), with CPU NMS. {@link #close()} closes this
     * detector only; the model stays open.
     *
     * @param test       post-processing settings (the config's {@code test} section)
     * @param pipeline   the test pipeline
     * @param classNames one name per class of the model
     */
    public Detector(DwDetector model, TestConfig test, TestPipeline pipeline, List<String> classNames) {
        this(model, test, pipeline, classNames, new CpuNms());
    }

    /**
     * As {@link #Detector(DwDetector, TestConfig, TestPipeline, List)} with {@code nms} in post-processing.
     *
     * @param nms the NMS of post-processing, which runs where the model runs (e.g. the CUDA kernel of dw-kernels)
     */
    public Detector(DwDetector model, TestConfig test, TestPipeline pipeline, List<String> classNames, Nms nms) {
        this(model, false, test, pipeline, classNames, nms);
    }

    private Detector(DwDetector model, boolean ownsModel, TestConfig test, TestPipeline pipeline, List<String> classNames,
                     Nms nms) {
        if (classNames.size() != model.config().numClasses()) {
            throw new IllegalArgumentException("the config names " + classNames.size() + " classes but the model has "
                    + model.config().numClasses());
        }
        this.model = model;
        this.ownsModel = ownsModel;
        this.test = test;
        this.nms = nms;
        this.postProcessor = new PostProcessor(test, nms);
        this.pipeline = pipeline;
        this.classNames = List.copyOf(classNames);
    }

    /** A builder for a detector from a config (file, URL, stream or text) and weights (file, URL or stream). */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds the model of {@code config} (sections {@code model}, {@code test}, {@code classes}, and the test pipeline of
     * {@code data}: see {@link TestPipeline#fromConfig}) and loads {@code weights} strictly: an official mmdetection DW
     * checkpoint, or one of ours. Runs on the CPU. Shortcut for the {@link #builder()}.
     */
    public static Detector load(Path config, Path weights) throws IOException {
        return builder().config(config).weights(weights).build();
    }

    /**
     * As {@link #load(Path, Path)}, running on {@code device} with {@code nms} in post-processing (for a GPU, pass
     * dw-kernels' {@code Ops.forDevice(device).nms()}).
     */
    public static Detector load(Path config, Path weights, ComputeDevice device, Nms nms) throws IOException {
        return builder().config(config).weights(weights).device(device).nms(nms).build();
    }

    /** The config's {@code classes} list. */
    public static List<String> classNames(ConfigFiles.Tree tree) {
        String[] names = tree.section("classes", String[].class);
        return List.of(names);
    }

    /** The class names, indexed by {@link Detection#classId()}. Available after {@link #close()} too. */
    public List<String> classNames() {
        return classNames;
    }

    /** The network. Not thread-safe by itself: use the detect methods, which serialise their forwards. */
    public DwDetector model() {
        requireOpen();
        return model;
    }

    /** The test pipeline images go through before the forward. */
    public TestPipeline pipeline() {
        return pipeline;
    }

    /** The score threshold of calls that do not give one: the config's {@code test.score_thr} or the builder's. */
    public float scoreThreshold() {
        return (float) test.scoreThr();
    }

    /** Detects on an image file (JPEG, PNG, BMP, TIFF, GIF), decoded as OpenCV's {@code imread(IMREAD_COLOR)} does. */
    public List<Detection> detect(Path imageFile) throws IOException {
        return detect(imageFile, scoreThreshold());
    }

    /** As {@link #detect(Path)} with {@code scoreThreshold} for this call. */
    public List<Detection> detect(Path imageFile, float scoreThreshold) throws IOException {
        requireOpen();
        return detect(ImageDecoder.decode(imageFile, pipeline.ignoreOrientation()), scoreThreshold);
    }

    /**
     * Detects on the bytes of an encoded image (a JPEG, PNG, ... file's content), decoded exactly as {@link #detect(Path)}
     * decodes the same file.
     */
    public List<Detection> detect(byte[] encodedImage) throws IOException {
        return detect(encodedImage, scoreThreshold());
    }

    /** As {@link #detect(byte[])} with {@code scoreThreshold} for this call. */
    public List<Detection> detect(byte[] encodedImage, float scoreThreshold) throws IOException {
        requireOpen();
        return detect(ImageDecoder.decode(encodedImage, "image bytes (" + encodedImage.length + " bytes)",
                pipeline.ignoreOrientation()), scoreThreshold);
    }

    /** Detects on an in-memory image (its raster samples, as {@link RgbImage#of} reads them). */
    public List<Detection> detect(BufferedImage image) {
        return detect(image, scoreThreshold());
    }

    /** As {@link #detect(BufferedImage)} with {@code scoreThreshold} for this call. */
    public List<Detection> detect(BufferedImage image, float scoreThreshold) {
        requireOpen();
        return detect(RgbImage.of(image), scoreThreshold);
    }

    /** Detects on decoded RGB pixels; returns the detections by descending score, in a new list. */
    public List<Detection> detect(RgbImage image) {
        return detect(image, scoreThreshold());
    }

    /** As {@link #detect(RgbImage)} with {@code scoreThreshold} for this call. */
    public List<Detection> detect(RgbImage image, float scoreThreshold) {
        return detectBatch(List.of(image), scoreThreshold).get(0);
    }

    /** As {@link #detectBatch(List, float)} with the detector's {@link #scoreThreshold()}. */
    public List<List<Detection>> detectBatch(List<RgbImage> images) {
        return detectBatch(images, scoreThreshold());
    }

    /**
     * Detects on several images with batched forwards; element {@code i} of the result holds what
     * {@code detect(images.get(i), scoreThreshold)} returns (equal up to float rounding of the batched convolutions).
     *
     * <p>Images of the same padded size ({@link TestPipeline#paddedSize}: e.g. all frames of one camera) go through one
     * forward together. Images of different padded sizes go through one forward per size: padding an image to a larger
     * size would change its results (the head's group norms take statistics over the padded map, and convolutions see
     * other borders), and this call promises the one-image results.
     *
     * @param images         one or more images; an empty list gives an empty result
     * @param scoreThreshold the post-processing score threshold for this call, in [0, 1)
     */
    public List<List<Detection>> detectBatch(List<RgbImage> images, float scoreThreshold) {
        requireOpen();
        PostProcessor post = postProcessor(scoreThreshold);
        List<List<Detection>> results = new ArrayList<>(java.util.Collections.nCopies(images.size(), null));
        // Groups of equal padded size, in order of first appearance.
        Map<List<Integer>, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < images.size(); i++) {
            RgbImage img = Objects.requireNonNull(images.get(i), "image " + i + " is null");
            int[] padded = pipeline.paddedSize(img.width(), img.height());
            groups.computeIfAbsent(List.of(padded[0], padded[1]), k -> new ArrayList<>()).add(i);
        }
        for (List<Integer> group : groups.values()) {
            try (TensorScope scope = TensorScope.open(); NoGradGuard g = new NoGradGuard()) {
                TestPipeline.BatchInput in = pipeline.prepareBatch(group.stream().map(images::get).toList());
                lock.lock();
                try {
                    requireOpen();
                    byte previous = selectDevice();
                    try {
                        HeadOutputs out = test.forward(model, in.tensor());
                        for (int b = 0; b < group.size(); b++) {
                            results.set(group.get(b), toDetections(post.process(out, b, in.metas().get(b)).detections()));
                        }
                    } finally {
                        restoreDevice(previous);
                    }
                } finally {
                    lock.unlock();
                }
            }
        }
        return results;
    }

    /** Test-time augmentation with this detector's test pipeline and the config's {@code test.tta_scales}. */
    public TestTimeAugmentation testTimeAugmentation() {
        return TestTimeAugmentation.of(pipeline, test);
    }

    /**
     * Detects with test-time augmentation ({@link TestTimeAugmentation}: scales and horizontal flips merged by one
     * class-aware NMS), with the detector's score threshold; by descending score.
     */
    public List<Detection> detectAugmented(RgbImage image, TestTimeAugmentation tta) {
        requireOpen();
        try (TensorScope scope = TensorScope.open(); NoGradGuard g = new NoGradGuard()) {
            lock.lock();
            try {
                requireOpen();
                byte previous = selectDevice();
                try {
                    return toDetections(tta.detect(model, postProcessor, image));
                } finally {
                    restoreDevice(previous);
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /** As {@link #detectFiles(List, float)} with the detector's {@link #scoreThreshold()}. */
    public List<List<Detection>> detectFiles(List<Path> imageFiles) throws IOException {
        return detectFiles(imageFiles, scoreThreshold());
    }

    /** Decodes the files as {@link #detect(Path)} does and detects on them as {@link #detectBatch(List, float)}. */
    public List<List<Detection>> detectFiles(List<Path> imageFiles, float scoreThreshold) throws IOException {
        requireOpen();
        List<RgbImage> images = new ArrayList<>();
        for (Path f : imageFiles) {
            images.add(ImageDecoder.decode(f, pipeline.ignoreOrientation()));
        }
        return detectBatch(images, scoreThreshold);
    }

    /**
     * Closes this detector: later calls throw {@link IllegalStateException}. A detector that loaded its model
     * ({@link #builder()}, {@link #load}) also frees the model's weights now; one made with a constructor leaves the
     * caller's model open. Waits for a forward in progress. Idempotent.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            if (ownsModel) {
                model.close();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("Detector is closed");
        }
    }

    private PostProcessor postProcessor(float scoreThreshold) {
        if (scoreThreshold == (float) test.scoreThr()) {
            return postProcessor;
        }
        checkThreshold(scoreThreshold);
        return new PostProcessor(test.withScoreThr(scoreThreshold), nms);
    }

    private static void checkThreshold(float t) {
        if (!(t >= 0 && t < 1)) {
            throw new IllegalArgumentException("score threshold must be in [0, 1), found " + t);
        }
    }

    /**
     * The CUDA device is per thread in libtorch and our kernels launch on it: make the model's GPU current in this
     * caller's thread for the call. Returns the previous device (-1 on the CPU).
     */
    private byte selectDevice() {
        if (!model.device().cuda()) {
            return -1;
        }
        byte previous = org.bytedeco.pytorch.global.torch_cuda.current_device();
        org.bytedeco.pytorch.global.torch_cuda.set_device((byte) Math.max(model.device().index(), 0));
        return previous;
    }

    private static void restoreDevice(byte previous) {
        if (previous >= 0) {
            org.bytedeco.pytorch.global.torch_cuda.set_device(previous);
        }
    }

    private List<Detection> toDetections(Detections d) {
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

    /**
     * Configures a {@link Detector}: a config (required), weights (required), and optionally the device, the default
     * score threshold, the NMS implementation and config overrides. Not thread-safe. {@link #build()} reads a stream
     * given for the config or the weights to its end; to build again, give the stream again.
     *
     * <p>Config inheritance ({@code base:}): a config from a {@link Path} or {@link URL} (a classpath resource, in a jar
     * or not) resolves its bases relative to itself. A config from a stream or text has no location: a {@code base:}
     * there is an error unless a location is given with {@link #config(String, URL)} or {@link #config(InputStream, URL)}.
     */
    public static final class Builder {
        private Path configFile;
        private URL configUrl;
        private String configText;
        private InputStream configStream;
        private URL configLocation;
        private List<String> overrides = List.of();
        private Path weightsFile;
        private URL weightsUrl;
        private InputStream weightsStream;
        private ComputeDevice device = ComputeDevice.CPU;
        private Float scoreThreshold;
        private Nms nms = new CpuNms();

        private Builder() {}

        /** The config file; {@code base:} paths are relative to it. */
        public Builder config(Path file) {
            clearConfig();
            configFile = Objects.requireNonNull(file, "config file");
            return this;
        }

        /**
         * The config at {@code url}, e.g. {@code MyService.class.getResource("/models/dw.yaml")}; {@code base:}
         * references are resolved relative to it (inside a jar too). A null URL (a resource not found) is refused.
         */
        public Builder config(URL url) {
            if (url == null) {
                throw new IllegalArgumentException("config URL is null (a classpath resource that was not found?)");
            }
            clearConfig();
            configUrl = url;
            return this;
        }

        /** The config as YAML read from {@code in} (UTF-8) at {@link #build()}; the caller closes the stream. No {@code base:}. */
        public Builder config(InputStream in) {
            return config(in, null);
        }

        /** As {@link #config(InputStream)}, resolving {@code base:} against {@code location} as a URL would. */
        public Builder config(InputStream in, URL location) {
            clearConfig();
            configStream = Objects.requireNonNull(in, "config stream");
            configLocation = location;
            return this;
        }

        /**
         * The config as YAML text (not a file name: pass a {@link Path} for that). A {@code base:} in it is an error;
         * see {@link #config(String, URL)}.
         */
        public Builder config(String yamlText) {
            return config(yamlText, null);
        }

        /**
         * The config as YAML text that counts as located at {@code location} (a config URL, or a folder URL ending in
         * '/'): its {@code base:} resolves against that URL.
         */
        public Builder config(String yamlText, URL location) {
            clearConfig();
            configText = Objects.requireNonNull(yamlText, "config text");
            configLocation = location;
            return this;
        }

        /** Overrides applied to the config, as {@code --cfg-options} takes them ({@code "test.nms_pre=500"}). */
        public Builder overrides(List<String> keyValues) {
            overrides = List.copyOf(keyValues);
            return this;
        }

        /** The weights file: an mmdetection DW checkpoint or one of ours, loaded strictly. */
        public Builder weights(Path file) {
            clearWeights();
            weightsFile = Objects.requireNonNull(file, "weights file");
            return this;
        }

        /** The weights at {@code url} (e.g. a classpath resource), copied to a temporary file while loading. */
        public Builder weights(URL url) {
            if (url == null) {
                throw new IllegalArgumentException("weights URL is null (a classpath resource that was not found?)");
            }
            clearWeights();
            weightsUrl = url;
            return this;
        }

        /** The weights read from {@code in} at {@link #build()} (via a temporary file); the caller closes the stream. */
        public Builder weights(InputStream in) {
            clearWeights();
            weightsStream = Objects.requireNonNull(in, "weights stream");
            return this;
        }

        /** Where the model runs (default: the CPU). */
        public Builder device(ComputeDevice device) {
            this.device = Objects.requireNonNull(device, "device");
            return this;
        }

        /** Where the model runs: {@code cpu}, {@code cuda} or {@code cuda:N}. */
        public Builder device(String device) {
            return device(ComputeDevice.parse(device));
        }

        /** The score threshold of calls that do not pass one, in [0, 1), instead of the config's {@code test.score_thr}. */
        public Builder scoreThreshold(float threshold) {
            checkThreshold(threshold);
            scoreThreshold = threshold;
            return this;
        }

        /** The NMS of post-processing (default: {@link CpuNms}); for a GPU, dw-kernels' {@code Accelerated.nms()}. */
        public Builder nms(Nms nms) {
            this.nms = Objects.requireNonNull(nms, "nms");
            return this;
        }

        /**
         * Reads the config, builds the model, loads the weights strictly, moves the model to the device.
         *
         * @throws IllegalArgumentException for a missing or invalid config (naming the file or URL and the key)
         * @throws IOException              for weights that cannot be read
         */
        public Detector build() throws IOException {
            Torch.init();
            ConfigFiles.Tree tree = readConfig();
            TestConfig test = tree.section("test", TestConfig.class);
            if (scoreThreshold != null) {
                test = test.withScoreThr(scoreThreshold);
            }
            TestPipeline pipeline = TestPipeline.fromConfig(tree);
            List<String> names = classNames(tree);
            DwDetector model = new DwDetector(tree.section("model", ModelConfig.class));
            try {
                LoadReport report = loadWeights(model);
                org.slf4j.LoggerFactory.getLogger(Detector.class).info("{}", report);
                model.moveTo(device);
                return new Detector(model, true, test, pipeline, names, nms);
            } catch (IOException | RuntimeException e) {
                model.close();
                throw e;
            }
        }

        private ConfigFiles.Tree readConfig() throws IOException {
            if (configFile != null) {
                return ConfigFiles.load(configFile, overrides);
            }
            if (configUrl != null) {
                return ConfigFiles.load(configUrl, overrides);
            }
            if (configStream != null) {
                configText = new String(configStream.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                configStream = null;
            }
            if (configText != null) {
                return ConfigFiles.parse(configText, configLocation, overrides);
            }
            throw new IllegalStateException("Detector.builder(): no config given (config(Path | URL | InputStream | String))");
        }

        private LoadReport loadWeights(DwDetector model) throws IOException {
            if (weightsFile != null) {
                return WeightLoader.loadModel(model, weightsFile, true);
            }
            if (weightsUrl == null && weightsStream == null) {
                throw new IllegalStateException("Detector.builder(): no weights given (weights(Path | URL | InputStream))");
            }
            // The checkpoint readers need random access (zip archives): go through a temporary file.
            Path tmp = Files.createTempFile("dw-weights", ".pth");
            try {
                if (weightsUrl != null) {
                    try (InputStream in = weightsUrl.openStream()) {
                        Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    } catch (java.io.FileNotFoundException e) {
                        throw new java.nio.file.NoSuchFileException(weightsUrl.toString(), null, "weights not found");
                    }
                } else {
                    Files.copy(weightsStream, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    weightsStream = null;
                }
                String source = weightsUrl != null ? weightsUrl.toString() : "weights stream";
                try {
                    return WeightLoader.load(model, TorchFile.loadStateDict(tmp), "", name -> false, true, source);
                } catch (IOException e) {
                    // Name what the caller gave, not the temporary file.
                    throw new IOException(String.valueOf(e.getMessage()).replace(tmp.toString(), source), e);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        }

        private void clearConfig() {
            configFile = null;
            configUrl = null;
            configText = null;
            configStream = null;
            configLocation = null;
        }

        private void clearWeights() {
            weightsFile = null;
            weightsUrl = null;
            weightsStream = null;
        }
    }
}
