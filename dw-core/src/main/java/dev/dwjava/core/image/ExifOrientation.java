package dev.dwjava.core.image;

/**
 * The EXIF Orientation tag (274) read and applied as OpenCV 4.6's {@code imdecode} does for {@code IMREAD_COLOR}.
 *
 * <p>Reading follows OpenCV's ExifReader, quirks included, since matching it matters more than reading EXIF
 * "correctly": only IFD0 is read; the value is the first 16 bits of the entry's value field whatever its type; the byte
 * order is little-endian only for {@code "II"}; the first Orientation entry wins; an entry that cannot be read (a
 * string or rational pointing past the data) ends the walk, keeping what was found before it; anything unreadable
 * means "no orientation".
 */
final class ExifOrientation {
    private static final int ORIENTATION = 0x0112;

    private ExifOrientation() {}

    /** The orientation in {@code data[off, off + len)} (a TIFF header onwards), 1..8, or 0 when there is none. */
    static int read(byte[] data, int off, int len) {
        if (data == null || len < 2) {
            return 0;
        }
        Reader r = new Reader(data, off, len, data[off] == 'I' && data[off + 1] == 'I');
        try {
            if (r.u16(2) != 0x2A) {
                return 0;
            }
            long entry = r.u32(4);
            int count = r.u16(entry);
            entry += 2;
            for (int i = 0; i < count; i++, entry += 12) {
                int tag = r.u16(entry);
                if (tag == ORIENTATION) {
                    int v = r.u16(entry + 8);
                    return v >= 1 && v <= 8 ? v : 0;
                }
                r.check(tag, entry);
            }
        } catch (IndexOutOfBoundsException e) {
            return 0;                                  // OpenCV's ExifParsingError: no tags found so far
        }
        return 0;
    }

    /** {@code img} turned upright for {@code orientation} (1..8; anything else leaves it unchanged). */
    static RgbImage apply(RgbImage img, int orientation) {
        if (orientation < 2 || orientation > 8) {
            return img;
        }
        // OpenCV: 2 flip x; 3 flip both; 4 flip y; 5 transpose; 6 transpose + flip x; 7 + flip both; 8 + flip y.
        boolean transpose = orientation >= 5;
        boolean flipX = orientation == 2 || orientation == 3 || orientation == 6 || orientation == 7;
        boolean flipY = orientation == 3 || orientation == 4 || orientation == 7 || orientation == 8;
        int w = img.width(), h = img.height();
        int ow = transpose ? h : w, oh = transpose ? w : h;
        byte[] src = img.pixels(), out = new byte[src.length];
        for (int y = 0; y < oh; y++) {
            int v = flipY ? oh - 1 - y : y;
            for (int x = 0; x < ow; x++) {
                int u = flipX ? ow - 1 - x : x;
                int s = 3 * (transpose ? u * w + v : v * w + u), d = 3 * (y * ow + x);
                out[d] = src[s];
                out[d + 1] = src[s + 1];
                out[d + 2] = src[s + 2];
            }
        }
        return new RgbImage(ow, oh, out);
    }

    private record Reader(byte[] d, int off, int len, boolean little) {
        int u16(long at) {
            if (at < 0 || at + 1 >= len) {
                throw new IndexOutOfBoundsException();
            }
            int a = d[off + (int) at] & 0xff, b = d[off + (int) at + 1] & 0xff;
            return little ? a | b << 8 : a << 8 | b;
        }

        long u32(long at) {
            if (at < 0 || at + 3 >= len) {
                throw new IndexOutOfBoundsException();
            }
            long first = u16(at), second = u16(at + 2);
            return little ? second << 16 | first : first << 16 | second;
        }

        /** Throws where OpenCV's reading of this (non-orientation) entry throws. */
        void check(int tag, long entry) {
            switch (tag) {
                case 0x010E, 0x010F, 0x0110, 0x0131, 0x0132, 0x8298 -> {   // strings
                    long size = u32(entry + 4);
                    long at = size > 4 ? u32(entry + 8) : 8;             // OpenCV's offset for short strings: 8
                    if (at > len || at + size > len) {
                        throw new IndexOutOfBoundsException();
                    }
                }
                case 0x011A, 0x011B -> rationals(entry, 1);               // resolutions
                case 0x013E -> rationals(entry, 2);                        // white point
                case 0x0211 -> rationals(entry, 3);                        // YCbCr coefficients
                case 0x013F, 0x0214 -> rationals(entry, 6);               // primaries, reference black/white
                case 0x0128, 0x0213 -> u16(entry + 8);                     // resolution unit, YCbCr positioning
                default -> { }
            }
        }

        private void rationals(long entry, int n) {
            long at = u32(entry + 8);
            for (int i = 0; i < n; i++) {
                u32(at + 8L * i);
                u32(at + 8L * i + 4);
            }
        }
    }
}
