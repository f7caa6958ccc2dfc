package dev.dwjava.core.image;

import java.awt.image.BufferedImage;

/**
 * An 8-bit RGB image, rows top to bottom, pixels interleaved {@code R, G, B}: the value at (x, y, c) is
 * {@code pixels[(y * width + x) * 3 + c] & 0xFF}. The array is owned by the image; do not change it.
 *
 * @param width  pixels per row
 * @param height rows
 * @param pixels {@code width * height * 3} bytes
 */
public record RgbImage(int width, int height, byte[] pixels) {
    public RgbImage {
        if (width <= 0 || height <= 0 || pixels.length != (long) width * height * 3) {
            throw new IllegalArgumentException("RGB image of " + width + " x " + height + " needs "
                    + ((long) width * height * 3) + " bytes, found " + pixels.length);
        }
    }

    /** Channel {@code c} (0 = R) of pixel (x, y), 0..255. */
    public int get(int x, int y, int c) {
        return pixels[(y * width + x) * 3 + c] & 0xFF;
    }

    /** Pixel {@code i} (row-major) as 0xRRGGBB. */
    public int packed(int i) {
        return (pixels[3 * i] & 0xff) << 16 | (pixels[3 * i + 1] & 0xff) << 8 | pixels[3 * i + 2] & 0xff;
    }

    /**
     * A BufferedImage's raster samples as RGB bytes, with the decoder's OpenCV {@code IMREAD_COLOR} semantics (see
     * {@link ImageDecoder}): grey replicated, alpha dropped (premultiplied images keep their premultiplied colour),
     * palettes expanded, 16-bit samples shifted to their high byte, narrower than 8-bit ones shifted left; no
     * colour-space curves. Layouts other than grey, RGB or indexed integer samples (CMYK, float rasters, ...) go
     * through Java2D's conversion to sRGB ({@code getRGB}).
     */
    public static RgbImage of(BufferedImage img) {
        RgbImage direct = RasterRgb.of(img, RasterRgb.Wide.SHIFT);
        if (direct != null) {
            return direct;
        }
        int w = img.getWidth(), h = img.getHeight();
        byte[] out = new byte[3 * w * h];
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        for (int i = 0; i < argb.length; i++) {
            out[3 * i] = (byte) (argb[i] >> 16);
            out[3 * i + 1] = (byte) (argb[i] >> 8);
            out[3 * i + 2] = (byte) argb[i];
        }
        return new RgbImage(w, h, out);
    }

    /** These pixels as a {@code TYPE_INT_RGB} image (for drawing and writing pictures). */
    public BufferedImage toBufferedImage() {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] rgb = new int[width * height];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = packed(i);
        }
        img.setRGB(0, 0, width, height, rgb, 0, width);
        return img;
    }
}
