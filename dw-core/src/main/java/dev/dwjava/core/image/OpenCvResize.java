package dev.dwjava.core.image;

/**
 * Bilinear resizing of 8-bit RGB images with OpenCV's {@code resize(..., INTER_LINEAR)} semantics, which mmcv's
 * {@code imresize} (docs/DW_SPEC.md §5.1) uses.
 *
 * <p>Geometry: pixel centres are aligned, {@code src = (dst + 0.5) * scale - 0.5}, computed in float as OpenCV does;
 * columns left of 0 or right of the last one are clamped to the border pixel; rows are clamped to the border row
 * with their weights kept (as OpenCV does, the two differ only in rounding). An exact 2× reduction in both
 * directions averages 2×2 blocks, because OpenCV switches to {@code INTER_AREA} there.
 *
 * <p>Arithmetic: OpenCV's fixed point for 8-bit images, reproduced rather than approximated with float weights:
 * weights are rounded to 11 bits ({@code round(w * 2048)}), the horizontal pass sums exact integers, and the
 * vertical pass combines two rows as OpenCV's SIMD kernel does,
 * {@code (((S0 >> 4) * b0 >> 16) + ((S1 >> 4) * b1 >> 16) + 2) >> 2} (two truncations, not one rounding: up to one
 * grey level below the exactly rounded value). The result equals {@code cv2.resize} of opencv-python 4.14 byte for
 * byte on our fixtures (the tests); an OpenCV build without SIMD rounds exactly and may differ by one grey level.
 * Float weights, the obvious alternative, would differ from OpenCV by one level on many pixels.
 */
public final class OpenCvResize {
    private static final int COEF_BITS = 11, ONE = 1 << COEF_BITS;

    private OpenCvResize() {}

    /**
     * Receives the rows of a resized image top to bottom: row {@code y} is {@code width * 3} interleaved RGB bytes of
     * {@code data} from {@code offset}, valid only during the call.
     */
    @FunctionalInterface
    public interface RowSink {
        void row(int y, byte[] data, int offset);
    }

    /** {@code src} resized to {@code width x height}. */
    public static RgbImage resize(RgbImage src, int width, int height) {
        if (width == src.width() && height == src.height() && width > 0) {
            return src;
        }
        byte[] out = new byte[width * height * 3];
        int rowLen = width * 3;
        resize(src, width, height, (y, data, offset) -> System.arraycopy(data, offset, out, y * rowLen, rowLen));
        return new RgbImage(width, height, out);
    }

    /**
     * {@code src} resized to {@code width x height}, row by row into {@code sink} (the same bytes as {@link
     * #resize(RgbImage, int, int)}, without the resized image ever being held whole).
     */
    public static void resize(RgbImage src, int width, int height, RowSink sink) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("target size must be positive, found " + width + " x " + height);
        }
        int rowLen = width * 3;
        if (width == src.width() && height == src.height()) {
            for (int y = 0; y < height; y++) {
                sink.row(y, src.pixels(), y * rowLen);
            }
            return;
        }
        byte[] out = new byte[rowLen];
        if (width * 2 == src.width() && height * 2 == src.height()) {
            for (int y = 0; y < height; y++) {
                halveRow(src, y, out);
                sink.row(y, out, 0);
            }
            return;
        }
        Taps xs = Taps.columns(src.width(), width);
        Taps ys = Taps.rows(src.height(), height);
        int[] upper = new int[rowLen], lower = new int[rowLen];
        int upperRow = -1, lowerRow = -1;
        for (int dy = 0; dy < height; dy++) {
            int r0 = ys.index0[dy], r1 = ys.index1[dy];
            if (r0 == lowerRow) {       // moving down: reuse the previous lower row as the new upper row
                int[] t = upper; upper = lower; lower = t;
                upperRow = lowerRow; lowerRow = -1;
            }
            if (r0 != upperRow) {
                horizontal(src, r0, xs, upper);
                upperRow = r0;
            }
            if (r1 != lowerRow) {
                horizontal(src, r1, xs, lower);
                lowerRow = r1;
            }
            vertical(upper, lower, ys.weight0[dy], ys.weight1[dy], out, 0, rowLen);
            sink.row(dy, out, 0);
        }
    }

    /**
     * Receives the channel planes of a resized image row by row: {@code values[0..width)} are channel {@code c} of row
     * {@code y}, 0..255, valid only during the call.
     */
    @FunctionalInterface
    public interface PlaneSink {
        void row(int y, int c, int[] values);
    }

    /**
     * {@code src} resized to {@code width x height} (the bytes of {@link #resize(RgbImage, int, int)}), mirrored left
     * to right when {@code mirror}, delivered one channel row at a time: the same arithmetic on channel-planar rows,
     * whose vertical pass the JIT can vectorise.
     */
    public static void resizePlanes(RgbImage src, int width, int height, boolean mirror, PlaneSink sink) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("target size must be positive, found " + width + " x " + height);
        }
        int[][] values = new int[3][width];
        if ((width == src.width() && height == src.height()) || (width * 2 == src.width() && height * 2 == src.height())) {
            resize(src, width, height, (y, data, offset) -> {           // no interpolation: split the bytes
                for (int x = 0, i = offset; x < width; x++, i += 3) {
                    int o = mirror ? width - 1 - x : x;
                    values[0][o] = data[i] & 0xFF;
                    values[1][o] = data[i + 1] & 0xFF;
                    values[2][o] = data[i + 2] & 0xFF;
                }
                for (int c = 0; c < 3; c++) {
                    sink.row(y, c, values[c]);
                }
            });
            return;
        }
        Taps xs = Taps.columns(src.width(), width);
        if (mirror) {
            xs = xs.reversed();
        }
        Taps ys = Taps.rows(src.height(), height);
        int[][] upper = new int[3][width], lower = new int[3][width];
        int upperRow = -1, lowerRow = -1;
        for (int dy = 0; dy < height; dy++) {
            int r0 = ys.index0[dy], r1 = ys.index1[dy];
            if (r0 == lowerRow) {
                int[][] t = upper; upper = lower; lower = t;
                upperRow = lowerRow; lowerRow = -1;
            }
            if (r0 != upperRow) {
                horizontalPlanes(src, r0, xs, upper);
                upperRow = r0;
            }
            if (r1 != lowerRow) {
                horizontalPlanes(src, r1, xs, lower);
                lowerRow = r1;
            }
            int b0 = ys.weight0[dy], b1 = ys.weight1[dy];
            for (int c = 0; c < 3; c++) {
                verticalInts(upper[c], lower[c], b0, b1, values[c], width);
                sink.row(dy, c, values[c]);
            }
        }
    }

    private static void horizontalPlanes(RgbImage src, int row, Taps xs, int[][] out) {
        byte[] s = src.pixels();
        int base = row * src.width() * 3;
        int[] r = out[0], g = out[1], b = out[2];
        int[] i0s = xs.index0, i1s = xs.index1, a0s = xs.weight0, a1s = xs.weight1;
        for (int dx = 0; dx < i0s.length; dx++) {
            int i0 = base + i0s[dx] * 3, i1 = base + i1s[dx] * 3;
            int a0 = a0s[dx], a1 = a1s[dx];
            r[dx] = (s[i0] & 0xFF) * a0 + (s[i1] & 0xFF) * a1;
            g[dx] = (s[i0 + 1] & 0xFF) * a0 + (s[i1 + 1] & 0xFF) * a1;
            b[dx] = (s[i0 + 2] & 0xFF) * a0 + (s[i1 + 2] & 0xFF) * a1;
        }
    }

    private static void verticalInts(int[] s0, int[] s1, int b0, int b1, int[] out, int len) {
        for (int i = 0; i < len; i++) {
            out[i] = (((s0[i] >> 4) * b0 >> 16) + ((s1[i] >> 4) * b1 >> 16) + 2) >> 2;
        }
    }

    /** One source row, resized horizontally, in units of 1/2048. */
    private static void horizontal(RgbImage src, int row, Taps xs, int[] out) {
        byte[] s = src.pixels();
        int base = row * src.width() * 3;
        for (int dx = 0, o = 0; dx < xs.index0.length; dx++, o += 3) {
            int i0 = base + xs.index0[dx] * 3, i1 = base + xs.index1[dx] * 3;
            int a0 = xs.weight0[dx], a1 = xs.weight1[dx];
            out[o] = (s[i0] & 0xFF) * a0 + (s[i1] & 0xFF) * a1;
            out[o + 1] = (s[i0 + 1] & 0xFF) * a0 + (s[i1 + 1] & 0xFF) * a1;
            out[o + 2] = (s[i0 + 2] & 0xFF) * a0 + (s[i1 + 2] & 0xFF) * a1;
        }
    }

    private static void vertical(int[] s0, int[] s1, int b0, int b1, byte[] out, int offset, int len) {
        // No clamping needed: the weights are non-negative and sum to 2048, so v stays in [0, 255].
        for (int i = 0; i < len; i++) {
            out[offset + i] = (byte) ((((s0[i] >> 4) * b0 >> 16) + ((s1[i] >> 4) * b1 >> 16) + 2) >> 2);
        }
    }

    /** Row {@code y} of the exact 2× reduction: rounded mean of each 2×2 block (OpenCV's fast INTER_AREA). */
    private static void halveRow(RgbImage src, int y, byte[] out) {
        int w = src.width() / 2, sw = src.width();
        byte[] s = src.pixels();
        for (int x = 0; x < w; x++) {
            int a = ((2 * y) * sw + 2 * x) * 3, b = a + sw * 3;
            for (int c = 0; c < 3; c++) {
                int sum = (s[a + c] & 0xFF) + (s[a + 3 + c] & 0xFF) + (s[b + c] & 0xFF) + (s[b + 3 + c] & 0xFF);
                out[x * 3 + c] = (byte) ((sum + 2) >> 2);
            }
        }
    }

    /** The two source taps and 11-bit weights of every output column or row. */
    private static final class Taps {
        final int[] index0, index1, weight0, weight1;

        private Taps(int n) {
            index0 = new int[n];
            index1 = new int[n];
            weight0 = new int[n];
            weight1 = new int[n];
        }

        /** Columns: out-of-range positions snap to the border pixel with weight (1, 0). */
        static Taps columns(int srcLen, int dstLen) {
            Taps t = new Taps(dstLen);
            double scale = 1.0 / ((double) dstLen / srcLen);
            for (int d = 0; d < dstLen; d++) {
                float f = (float) ((d + 0.5) * scale - 0.5);
                int s = (int) Math.floor(f);
                f -= s;
                if (s < 0) {
                    f = 0;
                    s = 0;
                }
                if (s >= srcLen - 1) {
                    f = 0;
                    s = srcLen - 1;
                }
                t.set(d, s, Math.min(s + 1, srcLen - 1), f);
            }
            return t;
        }

        /** Rows: the weights are kept and only the row indices are clamped. */
        static Taps rows(int srcLen, int dstLen) {
            Taps t = new Taps(dstLen);
            double scale = 1.0 / ((double) dstLen / srcLen);
            for (int d = 0; d < dstLen; d++) {
                float f = (float) ((d + 0.5) * scale - 0.5);
                int s = (int) Math.floor(f);
                f -= s;
                t.set(d, clamp(s, srcLen), clamp(s + 1, srcLen), f);
            }
            return t;
        }

        /** The same taps in reverse order: output column d takes the taps of column n − 1 − d (a mirrored output). */
        Taps reversed() {
            int n = index0.length;
            Taps t = new Taps(n);
            for (int d = 0; d < n; d++) {
                t.index0[d] = index0[n - 1 - d];
                t.index1[d] = index1[n - 1 - d];
                t.weight0[d] = weight0[n - 1 - d];
                t.weight1[d] = weight1[n - 1 - d];
            }
            return t;
        }

        private void set(int d, int i0, int i1, float f) {
            index0[d] = i0;
            index1[d] = i1;
            weight0[d] = (int) Math.rint((1f - f) * ONE);   // saturate_cast<short>: round half to even
            weight1[d] = (int) Math.rint(f * ONE);
        }

        private static int clamp(int i, int len) {
            return Math.max(0, Math.min(len - 1, i));
        }
    }
}
