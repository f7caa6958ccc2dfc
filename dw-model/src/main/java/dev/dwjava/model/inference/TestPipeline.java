package dev.dwjava.model.inference;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dwjava.core.image.ImageTensors;
import dev.dwjava.core.image.RgbImage;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.model.config.ConfigFiles;
import dev.dwjava.model.postprocess.ImageMeta;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The test-time pipeline of a config (docs/DW_SPEC.md §5.1), built in this one place for {@link Detector}, {@code dw test},
 * {@code dw detect}, the evaluation during training and {@code dist_test.sh}: decode (OpenCV's {@code IMREAD_COLOR}
 * semantics, EXIF orientation applied unless {@code data.ignore_orientation}), keep-ratio resize to fit
 * ({@code long_edge}, {@code short_edge}) with mmcv's rounding and OpenCV's bilinear interpolation byte for byte,
 * normalisation with the torchvision mean/std in RGB order, zero padding to a multiple of 32.
 *
 * <p>The original tests one image per forward. {@code data.test_images_per_process} (default 1) allows larger
 * batches in dataset inference; they are faster but not identical, because an image padded to a larger batch size
 * sees other border activations and, in the head's group norms, other statistics. {@link Detector#detectBatch}
 * therefore batches only images of the same padded size, which gives exactly the one-image results.
 *
 * <p>Instances are immutable and thread-safe.
 *
 * @param longEdge          long edge cap ({@code data.test_scale.long_edge}, 1333)
 * @param shortEdge         short edge target ({@code data.test_scale.short_edge}, one value, 800)
 * @param imagesPerBatch    images per forward in dataset inference
 * @param ignoreOrientation decode without applying the EXIF orientation (mmcv's {@code color_ignore_orientation})
 */
public record TestPipeline(int longEdge, int shortEdge, int imagesPerBatch, boolean ignoreOrientation) {
    /** Padding divisor of the FPN (stride of P5). */
    public static final int PAD_DIVISOR = 32;

    /** Checks that the sizes and the batch size are positive. */
    public TestPipeline {
        if (longEdge <= 0 || shortEdge <= 0 || imagesPerBatch <= 0) {
            throw new IllegalArgumentException("test pipeline: long edge, short edge and images per batch must be positive, found "
                    + longEdge + ", " + shortEdge + ", " + imagesPerBatch);
        }
    }

    /** The DW configs' test pipeline: (1333, 800), one image per forward, EXIF orientation applied. */
    public static TestPipeline dwTest() {
        return new TestPipeline(1333, 800, 1, false);
    }

    /**
     * The pipeline of a config tree: {@code data.test_scale} ({@code {long_edge, short_edge: [s, s]}}; the DW test scale
     * when the config has no {@code data} section, as a library config may not), {@code data.test_images_per_process}
     * and {@code data.ignore_orientation}.
     */
    public static TestPipeline fromConfig(ConfigFiles.Tree tree) {
        JsonNode data = tree.root().path("data");
        TestPipeline dw = dwTest();
        JsonNode scale = data.path("test_scale");
        int longEdge = dw.longEdge, shortEdge = dw.shortEdge;
        if (!scale.isMissingNode() && !scale.isNull()) {
            JsonNode le = scale.path("long_edge"), se = scale.path("short_edge");
            List<Integer> shorts = new java.util.ArrayList<>();
            se.forEach(n -> shorts.add(n.canConvertToInt() && n.isIntegralNumber() ? n.intValue() : -1));
            if (!le.isIntegralNumber() || shorts.size() != 2 || shorts.contains(-1)) {
                throw new IllegalArgumentException(tree.source() + ": data.test_scale must be {long_edge: L, short_edge: [S, S]}, found "
                        + scale);
            }
            if (!shorts.get(0).equals(shorts.get(1))) {
                throw new IllegalArgumentException(tree.source() + ": data.test_scale.short_edge must be one size at test time ([S, S]),"
                        + " found " + shorts);
            }
            longEdge = le.intValue();
            shortEdge = shorts.get(0);
        }
        JsonNode batch = data.path("test_images_per_process");
        int images = batch.isMissingNode() || batch.isNull() ? 1 : batch.intValue();
        if (!batch.isMissingNode() && !batch.isNull() && (!batch.isIntegralNumber() || images <= 0)) {
            throw new IllegalArgumentException(tree.source() + ": data.test_images_per_process must be a positive integer, found " + batch);
        }
        JsonNode ignore = data.path("ignore_orientation");
        if (!ignore.isMissingNode() && !ignore.isNull() && !ignore.isBoolean()) {
            throw new IllegalArgumentException(tree.source() + ": data.ignore_orientation must be true or false, found " + ignore);
        }
        return new TestPipeline(longEdge, shortEdge, images, ignore.asBoolean(false));
    }

    /**
     * A preprocessed image: (1, 3, Hp, Wp) float32 input and the meta post-processing needs.
     *
     * @param tensor the normalised, zero-padded input
     * @param meta   the resized size and the resize factors
     */
    public record Input(Tensor tensor, ImageMeta meta) {}

    /**
     * Preprocessed images in one padded batch.
     *
     * @param tensor (B, 3, Hp, Wp) float32, each image at the top left of its zero-padded slot
     * @param metas  per image, in order, the meta post-processing needs
     */
    public record BatchInput(Tensor tensor, List<ImageMeta> metas) {}

    /** The resized size (width, height) of a {@code w × h} image under mmcv's keep-ratio rule. */
    public int[] resizedSize(int w, int h) {
        return ImageTensors.keepRatioSize(w, h, longEdge, shortEdge);
    }

    /**
     * The padded input size (width, height) of a {@code w × h} image when it is prepared alone: its resized size rounded
     * up to multiples of {@link #PAD_DIVISOR}. Images of equal padded size give identical inputs alone or batched.
     */
    public int[] paddedSize(int w, int h) {
        int[] size = resizedSize(w, h);
        return new int[] {roundUp(size[0]), roundUp(size[1])};
    }

    private static int roundUp(int v) {
        return (v + PAD_DIVISOR - 1) / PAD_DIVISOR * PAD_DIVISOR;
    }

    /** Resizes, normalises and pads one decoded image; the tensor belongs to the caller's scope. */
    public Input prepare(RgbImage image) {
        BatchInput b = prepareBatch(List.of(image));
        return new Input(b.tensor(), b.metas().get(0));
    }

    /**
     * Resizes and normalises each image and pads them together to the largest height and width, rounded up to
     * multiples of {@link #PAD_DIVISOR} (as dataset inference pads a batch); the tensor belongs to the caller's scope.
     */
    public BatchInput prepareBatch(List<RgbImage> images) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("prepareBatch needs at least one image");
        }
        List<int[]> sizes = new java.util.ArrayList<>();
        List<ImageMeta> metas = new java.util.ArrayList<>();
        int padW = 0, padH = 0;
        for (RgbImage image : images) {
            int w = image.width(), h = image.height();
            int[] size = resizedSize(w, h);
            sizes.add(size);
            padW = Math.max(padW, roundUp(size[0]));
            padH = Math.max(padH, roundUp(size[1]));
            metas.add(new ImageMeta(size[1], size[0], (float) ((double) size[0] / w), (float) ((double) size[1] / h)));
        }
        // Each image resized, normalised and zero-padded straight into its slot (ImageTensors.padBatch's layout).
        Tensor batch = Tensors.empty(new TensorOptions(ScalarType.Float), images.size(), 3, padH, padW);
        for (int b = 0; b < images.size(); b++) {
            ImageTensors.prepareInto(images.get(b), sizes.get(b)[0], sizes.get(b)[1], false, batch, b);
        }
        return new BatchInput(batch, List.copyOf(metas));
    }
}
