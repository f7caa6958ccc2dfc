package dev.dwjava.core.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Map;

import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** {@link RgbImage#of} reads raster samples as the decoder does, for every common BufferedImage type. */
class RgbImageTest {
    private static int[] rgb(RgbImage img, int i) {
        return new int[] {img.get(i % img.width(), i / img.width(), 0), img.get(i % img.width(), i / img.width(), 1),
                img.get(i % img.width(), i / img.width(), 2)};
    }

    @Test
    void grayIsReadWithoutColourCurves() {
        BufferedImage g = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_GRAY);
        g.getRaster().setSamples(0, 0, 3, 1, 0, new int[] {64, 128, 200});
        RgbImage img = RgbImage.of(g);
        assertArrayEquals(new int[] {64, 64, 64}, rgb(img, 0));
        assertArrayEquals(new int[] {128, 128, 128}, rgb(img, 1));   // getRGB would give 188 (linear-to-sRGB curve)
        assertArrayEquals(new int[] {200, 200, 200}, rgb(img, 2));
    }

    @Test
    void everyCommonTypeGivesItsSamples() {
        int[] colour = {200, 100, 7};
        Map<Integer, int[]> stored = Map.of(                       // samples per band as setPixel takes them
                BufferedImage.TYPE_INT_RGB, new int[] {200, 100, 7},
                BufferedImage.TYPE_INT_ARGB, new int[] {200, 100, 7, 0},            // transparent: colour kept
                BufferedImage.TYPE_INT_ARGB_PRE, new int[] {200, 100, 7, 255},
                BufferedImage.TYPE_INT_BGR, new int[] {200, 100, 7},
                BufferedImage.TYPE_3BYTE_BGR, new int[] {200, 100, 7},
                BufferedImage.TYPE_4BYTE_ABGR, new int[] {200, 100, 7, 30},
                BufferedImage.TYPE_USHORT_565_RGB, new int[] {25, 25, 0});          // 5/6/5 bits: v << 3, v << 2
        for (Map.Entry<Integer, int[]> e : stored.entrySet()) {
            BufferedImage b = new BufferedImage(2, 1, e.getKey());
            b.getRaster().setPixel(1, 0, e.getValue());
            int[] expect = e.getKey() == BufferedImage.TYPE_USHORT_565_RGB ? new int[] {200, 100, 0} : colour;
            assertArrayEquals(expect, rgb(RgbImage.of(b), 1), "type " + e.getKey());
            assertArrayEquals(new int[] {0, 0, 0}, rgb(RgbImage.of(b), 0), "type " + e.getKey());
        }
        BufferedImage g16 = new BufferedImage(1, 1, BufferedImage.TYPE_USHORT_GRAY);
        g16.getRaster().setSample(0, 0, 0, 0xABFF);
        assertArrayEquals(new int[] {0xAB, 0xAB, 0xAB}, rgb(RgbImage.of(g16), 0));   // high byte, as libpng's strip-16
        IndexColorModel pal = new IndexColorModel(2, 3, new byte[] {1, 2, 3}, new byte[] {4, 5, 6},
                new byte[] {7, 8, 9}, new byte[] {0, (byte) 255, (byte) 255});
        BufferedImage idx = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_INDEXED, pal);
        idx.getRaster().setSamples(0, 0, 2, 1, 0, new int[] {0, 2});
        assertArrayEquals(new int[] {1, 4, 7}, rgb(RgbImage.of(idx), 0));
        assertArrayEquals(new int[] {3, 6, 9}, rgb(RgbImage.of(idx), 1));
    }

    @Test
    void inMemoryImagesAgreeWithTheDecoder() throws IOException {
        for (String name : new String[] {"gray8.png", "gray16.png", "gray2.png", "rgb16.png", "graya16.png",
                "rgba8.png", "palette8_trns.png", "palette1_trns.png", "gray8_trns.png", "rgb24.bmp", "rgb565.bmp"}) {
            byte[] d = ImageDecoderTest.resource("images/opencv/" + name);
            BufferedImage b = ImageIO.read(new ByteArrayInputStream(d));
            assertArrayEquals(ImageDecoder.decode(d, name).pixels(), RgbImage.of(b).pixels(), name);
        }
    }

    @Test
    void otherColourSpacesGoThroughJava2d() {
        var cs = java.awt.color.ColorSpace.getInstance(java.awt.color.ColorSpace.CS_PYCC);
        var cm = new java.awt.image.ComponentColorModel(cs, false, false, java.awt.Transparency.OPAQUE,
                java.awt.image.DataBuffer.TYPE_BYTE);
        BufferedImage b = new BufferedImage(cm, cm.createCompatibleWritableRaster(1, 1), false, null);
        assertEquals(b.getRGB(0, 0) & 0xFFFFFF, RgbImage.of(b).packed(0));
    }
}
