package dev.dwjava.model.inference;

import java.awt.image.BufferedImage;

import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.model.postprocess.ImageMeta;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The test pipeline of the DW configs (DW_SPEC §5.1): keep-ratio resize so that the image fits (1333, 800) with
 * mmcv's rounding ({@code f = min(1333/long, 800/short)}, size {@code int(w·f + 0.5) × int(h·f + 0.5)}), bilinear
 * interpolation with half-pixel centres rounded back to 8 bits as OpenCV does, normalisation with the torchvision
 * mean/std in RGB order, and zero padding to a multiple of 32.
 */
public final class Preprocessor {
    private static final double[] MEAN = {123.675, 116.28, 103.53};
    private static final double[] STD = {58.395, 57.12, 57.375};
    private final int longEdge, shortEdge;

    public Preprocessor(int longEdge, int shortEdge) {
        this.longEdge = longEdge;
        this.shortEdge = shortEdge;
    }

    /** The DW test scale (1333, 800). */
    public static Preprocessor dwTest() {
        return new Preprocessor(1333, 800);
    }

    /** A preprocessed image: (1, 3, Hp, Wp) float32 input and the meta post-processing needs. */
    public record Input(Tensor tensor, ImageMeta meta) {}

    /** The resized size (width, height) of a {@code w × h} image under mmcv's keep-ratio rule. */
    public int[] resizedSize(int w, int h) {
        double f = Math.min((double) longEdge / Math.max(w, h), (double) shortEdge / Math.min(w, h));
        return new int[] {(int) (w * f + 0.5), (int) (h * f + 0.5)};
    }

    public Input apply(BufferedImage image) {
        int w = image.getWidth(), h = image.getHeight();
        int[] size = resizedSize(w, h);
        int nw = size[0], nh = size[1];
        Tensor rgb = toTensor(image);                                                      // (1, 3, h, w) in [0, 255]
        Tensor resized = torch.upsample_bilinear2d(rgb, new long[] {nh, nw}, false)
                .round().clamp(new org.bytedeco.pytorch.ScalarOptional(Tensors.s(0.0)),
                        new org.bytedeco.pytorch.ScalarOptional(Tensors.s(255.0)));
        Tensor mean = Tensors.of(MEAN, ScalarType.Float, 1, 3, 1, 1), std = Tensors.of(STD, ScalarType.Float, 1, 3, 1, 1);
        Tensor normalized = resized.sub(mean).div(std);
        int ph = (nh + 31) / 32 * 32, pw = (nw + 31) / 32 * 32;
        Tensor padded = torch.zeros(new long[] {1, 3, ph, pw}, new org.bytedeco.pytorch.TensorOptions(ScalarType.Float));
        padded.narrow(2, 0, nh).narrow(3, 0, nw).copy_(normalized);
        return new Input(padded, new ImageMeta(nh, nw, (float) ((double) nw / w), (float) ((double) nh / h)));
    }

    /** RGB pixels of any BufferedImage type as a float (1, 3, H, W) tensor. */
    static Tensor toTensor(BufferedImage image) {
        int w = image.getWidth(), h = image.getHeight();
        int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
        float[] chw = new float[3 * w * h];
        for (int i = 0; i < argb.length; i++) {
            chw[i] = (argb[i] >> 16) & 0xff;
            chw[w * h + i] = (argb[i] >> 8) & 0xff;
            chw[2 * w * h + i] = argb[i] & 0xff;
        }
        return Tensor.create(chw, 1, 3, h, w);
    }
}
