package dev.dwjava.core.image;

import java.util.HashMap;
import java.util.Map;

/**
 * The integer tags of a TIFF's first image directory, and which TIFFs we decode as OpenCV 4.6 does.
 *
 * <p>OpenCV reads 8-bit TIFFs through libtiff's RGBA interface: unassociated alpha is premultiplied,
 * {@code (c * a + 127) / 255}, 16-bit RGB(A) samples are rounded to 8 bits, {@code (v + 128) / 257}, while 16-bit grey
 * is shifted, {@code v >> 8}. We accept the layouts whose results our fixtures pin down: grey (8/16-bit), RGB and
 * RGBA (8/16-bit), palette (4/8-bit); uncompressed, LZW, Deflate or PackBits; top-left orientation. The rest
 * (bilevel, min-is-white, CMYK, YCbCr, JPEG-compressed, grey+alpha, planar, float, rotated) is refused rather than
 * guessed at.
 */
final class TiffHeader {
    static final int WIDTH = 256, HEIGHT = 257, BITS = 258, COMPRESSION = 259, PHOTOMETRIC = 262,
            ORIENTATION = 274, SAMPLES = 277, PLANAR = 284, COLORMAP = 320, EXTRA_SAMPLES = 338, SAMPLE_FORMAT = 339;

    private final Map<Integer, long[]> tags;

    private TiffHeader(Map<Integer, long[]> tags) {
        this.tags = tags;
    }

    /** IFD0 of {@code d}; BYTE, SHORT and LONG tags only. */
    static TiffHeader parse(byte[] d) {
        boolean little = d[0] == 'I';
        Map<Integer, long[]> tags = new HashMap<>();
        long ifd = u(d, 4, 4, little);
        int count = (int) u(d, ifd, 2, little);
        for (int i = 0; i < count; i++) {
            long e = ifd + 2 + 12L * i;
            int tag = (int) u(d, e, 2, little), type = (int) u(d, e + 2, 2, little);
            long n = u(d, e + 4, 4, little);
            int size = type == 1 ? 1 : type == 3 ? 2 : type == 4 ? 4 : 0;
            if (size == 0 || n <= 0 || n > 1 << 20) {
                continue;
            }
            long at = n * size <= 4 ? e + 8 : u(d, e + 8, 4, little);
            long[] v = new long[(int) n];
            for (int k = 0; k < n; k++) {
                v[k] = u(d, at + (long) k * size, size, little);
            }
            tags.putIfAbsent(tag, v);
        }
        return new TiffHeader(tags);
    }

    private static long u(byte[] d, long at, int size, boolean little) {
        if (at < 0 || at + size > d.length) {
            throw new IllegalArgumentException("the TIFF directory points past the end of the file");
        }
        long v = 0;
        for (int i = 0; i < size; i++) {
            int b = d[(int) at + i] & 0xff;
            v |= little ? (long) b << (8 * i) : (long) b << (8 * (size - 1 - i));
        }
        return v;
    }

    long get(int tag, long absent) {
        long[] v = tags.get(tag);
        return v == null ? absent : v[0];
    }

    long[] all(int tag) {
        return tags.get(tag);
    }

    int bits() {
        return (int) get(BITS, 1);
    }

    int samples() {
        return (int) get(SAMPLES, 1);
    }

    int photometric() {
        return (int) get(PHOTOMETRIC, -1);
    }

    /** Whether the 4th sample is unassociated alpha, which libtiff premultiplies. */
    boolean unassociatedAlpha() {
        return samples() == 4 && get(EXTRA_SAMPLES, 0) == 2;
    }

    /** Why we do not decode this TIFF, or null. */
    String unsupported() {
        int ph = photometric(), bits = bits(), spp = samples();
        long comp = get(COMPRESSION, 1);
        if (comp != 1 && comp != 5 && comp != 8 && comp != 32946 && comp != 32773) {
            return "TIFF compression " + comp + " (only none, LZW, Deflate and PackBits are read)";
        }
        if (get(SAMPLE_FORMAT, 1) != 1) {
            return "a TIFF of signed or floating-point samples";
        }
        if (get(ORIENTATION, 1) != 1) {
            return "a TIFF with orientation " + get(ORIENTATION, 1) + " (only top-left is read)";
        }
        if (spp > 1 && get(PLANAR, 1) != 1) {
            return "a TIFF with separate colour planes";
        }
        boolean ok = switch (ph) {
            case 1 -> spp == 1 && (bits == 8 || bits == 16);
            case 2 -> (spp == 3 || spp == 4) && (bits == 8 || bits == 16);
            case 3 -> spp == 1 && (bits == 4 || bits == 8) && all(COLORMAP) != null
                    && all(COLORMAP).length == 3 << bits;
            default -> false;
        };
        return ok ? null : "a TIFF with photometric interpretation " + ph + ", " + spp + " samples of " + bits
                + " bits (grey, RGB, RGBA and palette of 8 or 16 bits are read)";
    }

    /**
     * The colormap as 8-bit palettes: libtiff takes a map whose entries are all below 256 as 8-bit already and
     * otherwise keeps each entry's high byte.
     */
    byte[][] palette() {
        long[] map = all(COLORMAP);
        int n = map.length / 3;
        boolean eightBit = true;
        for (long v : map) {
            eightBit &= v < 256;
        }
        byte[][] rgb = new byte[3][n];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < n; i++) {
                long v = map[c * n + i];
                rgb[c][i] = (byte) (eightBit ? v : v >> 8);
            }
        }
        return rgb;
    }
}
