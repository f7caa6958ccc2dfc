package dev.dwjava.data.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;

import dev.dwjava.core.image.RgbImage;
import org.junit.jupiter.api.Test;

/** Files made by Pillow 9.4 (8×6; top-left quarter (220, 30, 30), the rest (20, 40, 200)) decode to RGB. */
class ImageDecoderTest {
    static Path image(String name) {
        try {
            return Path.of(ImageDecoderTest.class.getClassLoader().getResource("images/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int[] rgb(int packed) {
        return new int[] {(packed >> 16) & 0xff, (packed >> 8) & 0xff, packed & 0xff};
    }

    private static void assertNear(int[] expected, int packed, int tol, String what) {
        int[] got = rgb(packed);
        for (int c = 0; c < 3; c++) {
            assertTrue(Math.abs(expected[c] - got[c]) <= tol, what + ": expected " + java.util.Arrays.toString(expected)
                    + ", got " + java.util.Arrays.toString(got));
        }
    }

    @Test
    void rgbGrayAlphaAndCmyk() throws IOException {
        RgbImage p = ImageDecoder.decode(image("rgb.png"));
        assertEquals(8, p.width());
        assertEquals(6, p.height());
        assertNear(new int[] {220, 30, 30}, p.packed(0), 0, "png");
        assertNear(new int[] {20, 40, 200}, p.packed(47), 0, "png");
        RgbImage a = ImageDecoder.decode(image("rgba.png"));
        assertNear(new int[] {220, 30, 30}, a.packed(0), 0, "alpha dropped");
        RgbImage g = ImageDecoder.decode(image("gray.png"));
        int[] gray = rgb(g.packed(0));
        assertTrue(gray[0] == gray[1] && gray[1] == gray[2], "grayscale replicated to RGB");
        RgbImage c = ImageDecoder.decode(image("cmyk.jpg"));
        assertNear(new int[] {220, 30, 30}, c.packed(0), 40, "cmyk jpeg");
        assertNear(new int[] {20, 40, 200}, c.packed(47), 40, "cmyk jpeg");
        RgbImage g16 = ImageDecoder.decode(image("gray16.png"));
        assertEquals(8, g16.width());
        int[] last = rgb(g16.packed(47)), first = rgb(g16.packed(0));
        assertTrue(last[0] > first[0], "16-bit values keep their order after conversion to 8 bits");
    }

    @Test
    void brokenFilesAreNamed() {
        for (String name : new String[] {"truncated.jpg", "not_an_image.jpg"}) {
            IOException e = assertThrows(IOException.class, () -> ImageDecoder.decode(image(name)));
            assertTrue(e.getMessage().contains(name), e.getMessage());
        }
        IOException e = assertThrows(IOException.class, () -> ImageDecoder.decode(Path.of("no/such.jpg")));
        assertEquals("image not found: no/such.jpg", e.getMessage());
    }
}
