package dev.dwjava.core.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.IOException;
import java.io.InputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Bilinear resizing equals OpenCV's INTER_LINEAR byte for byte on fixtures made with cv2.resize (opencv-python 4.14). */
class OpenCvResizeTest {
    private static byte[] resource(String name) throws IOException {
        try (InputStream in = OpenCvResizeTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return in.readAllBytes();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"37x23_to_61x40", "64x48_to_107x80", "100x80_to_53x43", "50x40_to_25x20",
        "97x61_to_211x133", "33x120_to_20x75"})
    void equalsOpenCv(String sizes) throws IOException {
        String[] p = sizes.split("_to_");
        int sw = Integer.parseInt(p[0].split("x")[0]), sh = Integer.parseInt(p[0].split("x")[1]);
        int dw = Integer.parseInt(p[1].split("x")[0]), dh = Integer.parseInt(p[1].split("x")[1]);
        RgbImage src = new RgbImage(sw, sh, resource("resize_" + sizes + ".src.rgb"));
        byte[] expected = resource("resize_" + sizes + ".cv2.rgb");
        RgbImage got = OpenCvResize.resize(src, dw, dh);
        int differing = 0;
        for (int i = 0; i < expected.length; i++) {
            differing += expected[i] != got.pixels()[i] ? 1 : 0;
        }
        assertEquals(0, differing, "bytes differing from cv2.resize for " + sizes);
    }

    @Test
    void sameSizeIsTheImageAndConstantStaysConstant() {
        byte[] seventySeven = new byte[5 * 3 * 3];
        java.util.Arrays.fill(seventySeven, (byte) 77);
        RgbImage flat = new RgbImage(5, 3, seventySeven);
        assertSame(flat, OpenCvResize.resize(flat, 5, 3));
        byte[] up = new byte[13 * 8 * 3];
        java.util.Arrays.fill(up, (byte) 77);
        assertArrayEquals(up, OpenCvResize.resize(flat, 13, 8).pixels());
    }
}
