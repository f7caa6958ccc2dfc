package dev.dwjava.model.inference;

import java.awt.image.BufferedImage;

import dev.dwjava.core.image.ImageTensors;
import dev.dwjava.core.image.OpenCvResize;
import dev.dwjava.core.image.RgbImage;
import dev.dwjava.model.postprocess.ImageMeta;
import org.bytedeco.pytorch.Tensor;

/**
 * The test pipeline of the DW configs (DW_SPEC §5.1): keep-ratio resize so that the image fits (1333, 800) with
 * mmcv's rounding ({@code f = min(1333/long, 800/short)}, size {@code int(w·f + 0.5) × int(h·f + 0.5)}), OpenCV's
 * bilinear interpolation byte for byte, normalisation with the torchvision
 * mean/std in RGB order, and zero padding to a multiple of 32.
 */
public final class Preprocessor {
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
        return ImageTensors.keepRatioSize(w, h, longEdge, shortEdge);
    }

    public Input apply(BufferedImage image) {
        int w = image.getWidth(), h = image.getHeight();
        int[] size = resizedSize(w, h);
        RgbImage resized = OpenCvResize.resize(RgbImage.of(image), size[0], size[1]);
        Tensor chw = ImageTensors.normalize(ImageTensors.fromImage(resized));
        Tensor padded = ImageTensors.padBatch(java.util.List.of(chw), 32);
        return new Input(padded, new ImageMeta(size[1], size[0], (float) ((double) size[0] / w), (float) ((double) size[1] / h)));
    }
}
