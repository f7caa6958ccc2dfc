package dev.dwjava.core.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/**
 * A BufferedImage's raster samples as 8-bit RGB, the way OpenCV's {@code IMREAD_COLOR} treats decoded samples: no
 * colour-space curves, grey replicated to three channels, alpha dropped (not composited), palette indices looked up
 * (an index past the palette is black), samples wider than 8 bits shifted right ({@code v >> (bits - 8)}, libpng's
 * strip-16) or rounded ({@code (v + 128) / 257}, libtiff's for 16-bit RGB), narrower ones shifted left (a 5-bit BMP
 * value {@code v} is {@code v << 3}, as OpenCV's BMP reader does).
 */
final class RasterRgb {
    /** How a 16-bit sample becomes 8 bits. */
    enum Wide { SHIFT, ROUND }

    private RasterRgb() {}

    /** The RGB samples of {@code img}, or null when its layout is not plain grey, RGB or indexed integer samples. */
    static RgbImage of(BufferedImage img, Wide wide) {
        ColorModel cm = img.getColorModel();
        Raster r = img.getRaster();
        int w = img.getWidth(), h = img.getHeight();
        byte[] out = new byte[3 * w * h];
        int tt = r.getTransferType();
        if (tt != DataBuffer.TYPE_BYTE && tt != DataBuffer.TYPE_USHORT && tt != DataBuffer.TYPE_INT) {
            return null;
        }
        if (cm instanceof IndexColorModel icm) {
            int n = icm.getMapSize();
            byte[] red = new byte[n], green = new byte[n], blue = new byte[n];
            icm.getReds(red);
            icm.getGreens(green);
            icm.getBlues(blue);
            lookUp(r, red, green, blue, out);
            return new RgbImage(w, h, out);
        }
        int type = cm.getColorSpace().getType(), colours = cm.getNumColorComponents();
        if (!(type == ColorSpace.TYPE_GRAY && colours == 1) && !(type == ColorSpace.TYPE_RGB && colours == 3)) {
            return null;
        }
        int bands = r.getNumBands();
        int[] bits = new int[colours];
        for (int c = 0; c < colours; c++) {
            bits[c] = r.getSampleModel().getSampleSize(c);
        }
        int[] row = new int[w * bands];
        for (int y = 0, o = 0; y < h; y++) {
            r.getPixels(r.getMinX(), r.getMinY() + y, w, 1, row);
            for (int x = 0, i = 0; x < w; x++, i += bands, o += 3) {
                for (int c = 0; c < 3; c++) {
                    int b = colours == 1 ? 0 : c;
                    out[o + c] = (byte) to8(row[i + b], bits[b], wide);
                }
            }
        }
        return new RgbImage(w, h, out);
    }

    /** Palette lookup of band 0's indices of {@code r}. */
    static void lookUp(Raster r, byte[] red, byte[] green, byte[] blue, byte[] out) {
        int w = r.getWidth(), h = r.getHeight(), n = red.length;
        int[] row = new int[w];
        for (int y = 0, o = 0; y < h; y++) {
            r.getSamples(r.getMinX(), r.getMinY() + y, w, 1, 0, row);
            for (int x = 0; x < w; x++, o += 3) {
                int k = row[x];
                if (k < n) {
                    out[o] = red[k];
                    out[o + 1] = green[k];
                    out[o + 2] = blue[k];
                }
            }
        }
    }

    private static int to8(int v, int bits, Wide wide) {
        if (bits == 8) {
            return v;
        }
        if (bits == 16 && wide == Wide.ROUND) {
            return (v + 128) / 257;
        }
        return bits > 8 ? v >>> (bits - 8) : v << (8 - bits);
    }
}
