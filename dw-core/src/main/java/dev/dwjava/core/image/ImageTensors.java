package dev.dwjava.core.image;

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
     * byte for byte), (3, H, W) float, optional horizontal flip, normalisation; contiguous.
     */
    public static Tensor prepare(RgbImage image, int newWidth, int newHeight, boolean flip) {
        Tensor t = fromImage(OpenCvResize.resize(image, newWidth, newHeight));
        if (flip) {
            t = flipHorizontal(t);
        }
        return normalize(t).contiguous();
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
