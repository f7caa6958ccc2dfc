package dev.dwjava.core.image;

import java.awt.image.Raster;

/**
 * What libjpeg-turbo learns from a JPEG's markers before the first scan, and its colour conversion to OpenCV's
 * {@code IMREAD_COLOR} output.
 *
 * <p>The colour space follows libjpeg-turbo's rules: 1 component is grey; 3 are YCbCr, except RGB with an Adobe marker
 * of transform 0 (and no JFIF marker) or, with neither marker, component ids 'R','G','B'; 4 are CMYK, or YCCK with an
 * Adobe marker whose transform is not 0. YCbCr becomes RGB with libjpeg's fixed-point tables (16 fraction bits);
 * CMYK (YCCK first becomes CMYK as libjpeg does) becomes RGB as OpenCV's {@code icvCvt_CMYK2BGR}:
 * {@code R = K - ((255 - C) * K >> 8)}, likewise G from M and B from Y, on the stored (Adobe, inverted) values.
 *
 * @param sof            the frame marker (0xC0 baseline, 0xC1 extended, 0xC2 progressive, ...)
 * @param precision      bits per sample
 * @param componentIds   component identifiers in frame order
 * @param jfif           whether an APP0 JFIF marker came first
 * @param adobeTransform the APP14 Adobe marker's transform, -1 without one
 * @param app1           offset and length of the first APP1 segment's payload past its 6-byte "Exif\0\0" prefix, or
 *                       null (OpenCV reads the first APP1 whatever it holds)
 */
record JpegHeader(int sof, int precision, int width, int height, int[] componentIds, boolean jfif,
                  int adobeTransform, int[] app1) {
    private static final int SCALE = 16, HALF = 1 << (SCALE - 1);
    private static final int[] CR_R = new int[256], CB_B = new int[256], CR_G = new int[256], CB_G = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int x = i - 128;
            CR_R[i] = (fix(1.40200) * x + HALF) >> SCALE;
            CB_B[i] = (fix(1.77200) * x + HALF) >> SCALE;
            CR_G[i] = -fix(0.71414) * x;
            CB_G[i] = -fix(0.34414) * x + HALF;
        }
    }

    private static int fix(double v) {
        return (int) (v * (1 << SCALE) + 0.5);
    }

    /** The markers of {@code d} up to the first SOS. */
    static JpegHeader parse(byte[] d) {
        int sof = -1, precision = 0, width = 0, height = 0, adobe = -1;
        int[] ids = null, app1 = null;
        boolean jfif = false;
        int p = 2;
        while (true) {
            while (p < d.length && (d[p] & 0xff) != 0xFF) {
                p++;                                   // libjpeg skips (and warns about) stray bytes too
            }
            while (p < d.length && (d[p] & 0xff) == 0xFF) {
                p++;
            }
            if (p >= d.length) {
                throw new IllegalArgumentException("the JPEG ends before its image data (no SOS marker)");
            }
            int m = d[p++] & 0xff;
            if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
                continue;                              // no length field
            }
            if (m == 0xD9) {
                throw new IllegalArgumentException("the JPEG ends (EOI) before its image data");
            }
            if (p + 2 > d.length) {
                throw new IllegalArgumentException("the JPEG is truncated inside its header");
            }
            int len = (d[p] & 0xff) << 8 | d[p + 1] & 0xff, at = p + 2, n = len - 2;
            if (len < 2 || at + n > d.length) {
                throw new IllegalArgumentException("the JPEG is truncated inside its header (marker 0x"
                        + Integer.toHexString(m) + ")");
            }
            if (m == 0xDA) {
                break;
            }
            boolean frame = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
            if (frame && sof < 0) {
                if (n < 6) {
                    throw new IllegalArgumentException("the JPEG's frame header is too short");
                }
                sof = m;
                precision = d[at] & 0xff;
                height = (d[at + 1] & 0xff) << 8 | d[at + 2] & 0xff;
                width = (d[at + 3] & 0xff) << 8 | d[at + 4] & 0xff;
                int nc = d[at + 5] & 0xff;
                if (n < 6 + 3 * nc) {
                    throw new IllegalArgumentException("the JPEG's frame header is too short");
                }
                ids = new int[nc];
                for (int c = 0; c < nc; c++) {
                    ids[c] = d[at + 6 + 3 * c] & 0xff;
                }
            } else if (m == 0xE0 && n >= 14 && startsWith(d, at, "JFIF\0")) {
                jfif = true;
            } else if (m == 0xEE && n >= 12 && startsWith(d, at, "Adobe")) {
                adobe = d[at + 11] & 0xff;
            } else if (m == 0xE1 && app1 == null) {
                app1 = n > 6 ? new int[] {at + 6, n - 6} : new int[] {at, 0};
            }
            p = at + n;
        }
        if (sof < 0) {
            throw new IllegalArgumentException("the JPEG has no frame header (SOF marker) before its image data");
        }
        return new JpegHeader(sof, precision, width, height, ids, jfif, adobe, app1);
    }

    private static boolean startsWith(byte[] d, int at, String s) {
        for (int i = 0; i < s.length(); i++) {
            if (d[at + i] != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Why libjpeg-turbo or the JDK's decoder (which we use) cannot decode this frame, or null. */
    String unsupported() {
        if (sof == 0xC3 || sof == 0xC7 || sof == 0xCB || sof == 0xCF) {
            return "a lossless JPEG";
        }
        if (sof >= 0xC9) {
            return "an arithmetic-coded JPEG (re-encoding with Huffman coding, e.g. jpegtran, keeps it lossless)";
        }
        if (sof >= 0xC5) {
            return "a hierarchical JPEG";
        }
        if (precision != 8) {
            return "a " + precision + "-bit JPEG";
        }
        if (height == 0) {
            return "a JPEG whose height comes after the image data (DNL marker)";
        }
        if (componentIds.length != 1 && componentIds.length != 3 && componentIds.length != 4) {
            return "a JPEG with " + componentIds.length + " components";
        }
        return null;
    }

    private boolean rgb() {
        if (jfif) {
            return false;
        }
        if (adobeTransform >= 0) {
            return adobeTransform == 0;
        }
        return componentIds[0] == 'R' && componentIds[1] == 'G' && componentIds[2] == 'B';
    }

    /** The decoded components (before colour conversion, after upsampling) as OpenCV's RGB output. */
    RgbImage toRgb(Raster raw) {
        int w = raw.getWidth(), h = raw.getHeight(), bands = raw.getNumBands();
        if (bands != componentIds.length) {
            throw new IllegalArgumentException("the decoder returned " + bands + " components, the frame has "
                    + componentIds.length);
        }
        byte[] out = new byte[3 * w * h];
        int[] row = new int[w * bands];
        boolean rgb = bands == 3 && rgb(), ycck = bands == 4 && adobeTransform > 0;
        for (int y = 0, o = 0; y < h; y++) {
            raw.getPixels(raw.getMinX(), raw.getMinY() + y, w, 1, row);
            for (int x = 0, i = 0; x < w; x++, i += bands, o += 3) {
                switch (bands) {
                    case 1 -> out[o] = out[o + 1] = out[o + 2] = (byte) row[i];
                    case 3 -> {
                        if (rgb) {
                            out[o] = (byte) row[i];
                            out[o + 1] = (byte) row[i + 1];
                            out[o + 2] = (byte) row[i + 2];
                        } else {
                            ycc(row[i], row[i + 1], row[i + 2], out, o);
                        }
                    }
                    default -> {
                        int k = row[i + 3];
                        if (ycck) {
                            ycc(row[i], row[i + 1], row[i + 2], out, o);
                            for (int c = 0; c < 3; c++) {
                                out[o + c] = (byte) cmyk(255 - (out[o + c] & 0xff), k);
                            }
                        } else {
                            for (int c = 0; c < 3; c++) {
                                out[o + c] = (byte) cmyk(row[i + c], k);
                            }
                        }
                    }
                }
            }
        }
        return new RgbImage(w, h, out);
    }

    private static void ycc(int y, int cb, int cr, byte[] out, int o) {
        out[o] = (byte) clamp(y + CR_R[cr]);
        out[o + 1] = (byte) clamp(y + ((CB_G[cb] + CR_G[cr]) >> SCALE));
        out[o + 2] = (byte) clamp(y + CB_B[cb]);
    }

    /** OpenCV's icvCvt_CMYK2BGR for one channel. */
    private static int cmyk(int c, int k) {
        return k - ((255 - c) * k >> 8);
    }

    private static int clamp(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }
}
