package dev.dwjava.core.image;

import java.nio.FloatBuffer;
import java.util.Arrays;

import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Image tensors of the detection pipelines (docs/DW_SPEC.md §5.1): mmcv's keep-ratio size rule, RGB pixels to (3, H, W),
 * normalisation with the torchvision mean/std in RGB order, flips and zero padding. Resizing happens on the 8-bit
 * pixels first, byte for byte as OpenCV does ({@link OpenCvResize}).
 */
public final class ImageTensors {
    /** ImageNet mean and std (RGB, 0–255) of the torchvision weights. */
    public static final double[] MEAN = {123.675, 116.28, 103.53};
    public static final double[] STD = {58.395, 57.12, 57.375};

    private ImageTensors() {}

    /** An RGB image as a float (3, H, W) tensor in [0, 255]. */
    public static Tensor fromImage(RgbImage image) {
        return Tensor.create(image.pixels(), false, image.height(), image.width(), 3).permute(2, 0, 1).to(ScalarType.Float);
    }

    /**
     * mmcv's keep-ratio rescale: the largest factor with long edge ≤ {@code longEdge} and short edge ≤
     * {@code shortEdge}; new size {@code (int(w·f + 0.5), int(h·f + 0.5))}.
     *
     * @return {new width, new height}
     */
    public static int[] keepRatioSize(int width, int height, int longEdge, int shortEdge) {
        double f = Math.min((double) longEdge / Math.max(width, height), (double) shortEdge / Math.min(width, height));
        return new int[] {(int) (width * f + 0.5), (int) (height * f + 0.5)};
    }

    /**
     * The pixel path shared by training and test: 8-bit resize to {@code newWidth × newHeight} (OpenCV's bilinear,
     * byte for byte), (3, H, W) float, optional horizontal flip, normalisation; contiguous. The same values as
     * {@code normalize(flip(fromImage(OpenCvResize.resize(image, newWidth, newHeight))))}, written in one pass.
     */
    public static Tensor prepare(RgbImage image, int newWidth, int newHeight, boolean flip) {
        Tensor t = Tensors.empty(new TensorOptions(ScalarType.Float), 1, 3, newHeight, newWidth);
        prepareInto(image, newWidth, newHeight, flip, t, 0);
        return t.squeeze(0);
    }

    /**
     * Writes {@link #prepare}'s values for {@code image} into image {@code index} of {@code batch}, a contiguous float
     * (B, 3, H, W) CPU tensor with H ≥ {@code newHeight} and W ≥ {@code newWidth}, and zeros into the rest of that
     * image (the padding of {@link #padBatch}). Resize, flip, normalisation and padding are one pass over the output:
     * each resized channel row becomes {@code (v − mean) / std} in float32 (through a table of the values libtorch's
     * {@code sub} and {@code div} give) and is copied to its place. Threads may fill different images
     * of one batch at once; the caller keeps {@code batch} alive until they are done.
     */
    public static void prepareInto(RgbImage image, int newWidth, int newHeight, boolean flip, Tensor batch, int index) {
        if (batch.dim() != 4 || batch.size(1) != 3 || !Tensors.hasType(batch, ScalarType.Float) || !batch.is_contiguous()
                || batch.size(2) < newHeight || batch.size(3) < newWidth || index < 0 || index >= batch.size(0)
                || !batch.device().is_cpu()) {
            throw new IllegalArgumentException("cannot write a " + newWidth + "x" + newHeight + " image into slot "
                    + index + " of a " + Arrays.toString(batch.shape()) + " " + batch.scalar_type()
                    + " tensor: need a contiguous float CPU (B, 3, H, W) batch large enough");
        }
        int padH = (int) batch.size(2), padW = (int) batch.size(3);
        long plane = (long) padH * padW, base = index * 3L * plane;
        if (3L * plane > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a " + padW + "x" + padH + " input is over 2^31 floats");
        }
        FloatBuffer out = batch.data_ptr_float().position(base).capacity(base + 3L * plane).asBuffer();
        float[] row = new float[padW];                          // columns newWidth.. stay 0: the right padding
        float[][] tables = NORMALIZED;
        OpenCvResize.resizePlanes(image, newWidth, newHeight, flip, (y, c, values) -> {
            float[] table = tables[c];
            for (int x = 0; x < newWidth; x++) {
                row[x] = table[values[x]];
            }
            out.put((int) (c * plane) + y * padW, row, 0, padW);
        });
        if (newHeight < padH) {                                 // the bottom padding
            float[] zeros = new float[padW];
            for (int c = 0; c < 3; c++) {
                for (int y = newHeight; y < padH; y++) {
                    out.put((int) (c * plane) + y * padW, zeros, 0, padW);
                }
            }
        }
    }

    /**
     * {@code NORMALIZED[c][v]}: value {@code v} of channel {@code c} normalised as {@link #normalize} does in float32,
     * {@code (float(v) − float(MEAN[c])) / float(STD[c])}; a lookup is faster than the conversion and division.
     */
    private static final float[][] NORMALIZED = new float[3][256];

    static {
        for (int c = 0; c < 3; c++) {
            float mean = (float) MEAN[c], std = (float) STD[c];
            for (int v = 0; v < 256; v++) {
                NORMALIZED[c][v] = ((float) v - mean) / std;
            }
        }
    }

    /** Mirrors a (C, H, W) tensor left–right. */
    public static Tensor flipHorizontal(Tensor chw) {
        return chw.flip(new long[] {2});
    }

    /** {@code (x − mean) / std} per RGB channel. */
    public static Tensor normalize(Tensor chw) {
        Tensor mean = Tensors.of(MEAN, ScalarType.Float, 3, 1, 1), std = Tensors.of(STD, ScalarType.Float, 3, 1, 1);
        return chw.sub(mean).div(std);
    }

    /** Stacks (3, h_i, w_i) images into a zero-padded (B, 3, H, W) batch, H and W the maxima rounded up to {@code divisor}. */
    public static Tensor padBatch(java.util.List<Tensor> images, int divisor) {
        long h = 0, w = 0;
        for (Tensor t : images) {
            h = Math.max(h, t.size(1));
            w = Math.max(w, t.size(2));
        }
        h = (h + divisor - 1) / divisor * divisor;
        w = (w + divisor - 1) / divisor * divisor;
        Tensor batch = torch.zeros(new long[] {images.size(), 3, h, w}, new TensorOptions(ScalarType.Float));
        for (int b = 0; b < images.size(); b++) {
            Tensor t = images.get(b);
            batch.select(0, b).narrow(1, 0, t.size(1)).narrow(2, 0, t.size(2)).copy_(t);
        }
        return batch;
    }
}
