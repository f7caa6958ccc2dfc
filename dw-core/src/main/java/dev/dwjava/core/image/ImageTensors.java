package dev.dwjava.core.image;

import java.awt.image.BufferedImage;

import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Image tensors of the detection pipelines (DW_SPEC §5.1): RGB pixels to (3, H, W), mmcv's keep-ratio size rule,
 * bilinear resize with half-pixel centres rounded back to 8-bit values (OpenCV's {@code INTER_LINEAR} on uint8;
 * OpenCV's fixed-point weights can differ by one grey level), normalisation with the torchvision mean/std in RGB
 * order, and zero padding.
 */
public final class ImageTensors {
    /** ImageNet mean and std (RGB, 0–255) of the torchvision weights. */
    public static final double[] MEAN = {123.675, 116.28, 103.53};
    public static final double[] STD = {58.395, 57.12, 57.375};

    private ImageTensors() {}

    /** Packed RGB pixels ({@code 0xRRGGBB} per int, row-major) as a float (3, H, W) tensor in [0, 255]. */
    public static Tensor fromRgb(int[] rgb, int width, int height) {
        float[] chw = new float[3 * width * height];
        int plane = width * height;
        for (int i = 0; i < plane; i++) {
            chw[i] = (rgb[i] >> 16) & 0xff;
            chw[plane + i] = (rgb[i] >> 8) & 0xff;
            chw[2 * plane + i] = rgb[i] & 0xff;
        }
        return Tensor.create(chw, 3, height, width);
    }

    /** Interleaved RGB bytes (row-major, 3 per pixel) as a float (3, H, W) tensor in [0, 255]. */
    public static Tensor fromInterleavedRgb(byte[] rgb, int width, int height) {
        return Tensor.create(rgb, false, height, width, 3).permute(2, 0, 1).to(ScalarType.Float);
    }

    /** A BufferedImage of any type as a float (3, H, W) RGB tensor. */
    public static Tensor fromImage(BufferedImage image) {
        int w = image.getWidth(), h = image.getHeight();
        return fromRgb(image.getRGB(0, 0, w, h, null, 0, w), w, h);
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

    /** Bilinear resize of a (3, H, W) [0, 255] tensor to (3, newH, newW), rounded and clamped to 8-bit values. */
    public static Tensor resize(Tensor chw, int newWidth, int newHeight) {
        if (chw.size(1) == newHeight && chw.size(2) == newWidth) {
            return chw;
        }
        return torch.upsample_bilinear2d(chw.unsqueeze(0), new long[] {newHeight, newWidth}, false).squeeze(0)
                .round().clamp(new ScalarOptional(Tensors.s(0.0)), new ScalarOptional(Tensors.s(255.0)));
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
