package dev.dwjava.core.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.stream.ImageOutputStream;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The libjpeg-turbo path of {@link ImageDecoder} ({@link NativeJpeg}) on its own: OpenCV 4.6's pixels on every JPEG
 * fixture with a difference of 0 (4:4:0 included), the ImageIO path's pixels where both read a file, and the same
 * errors. Where the build had no g++ or no libjpeg headers the tests skip with a message; where both exist the library
 * must have been built and loaded.
 */
class NativeJpegTest {
    private static final String DIR = "images/opencv/";

    static void assumeNative() {
        if (NativeJpeg.available()) {
            return;
        }
        String off = System.getProperty("dw.jpeg", System.getenv("DW_JPEG"));
        assumeTrue(off == null || !off.trim().equalsIgnoreCase("imageio"), "dw.jpeg / DW_JPEG = imageio: native path off");
        boolean gpp = Files.isExecutable(Path.of("/usr/bin/g++"));
        boolean headers = Files.isRegularFile(Path.of("/usr/include/jpeglib.h"));
        assumeTrue(gpp && headers, "the libjpeg-turbo binding was not built (needs /usr/bin/g++ "
                + (gpp ? "(present)" : "(absent)") + " and /usr/include/jpeglib.h " + (headers ? "(present)" : "(absent)")
                + ", Debian's libjpeg62-turbo-dev)");
        fail("g++ and the libjpeg headers are present but the libjpeg-turbo binding did not load (see the build log)");
    }

    private static RgbImage nativeDecode(byte[] data, String name) throws IOException {
        return ImageDecoder.nativeJpeg(data, name, JpegHeader.parse(data));
    }

    @Test
    void builtAgainstLibjpegTurbo() {
        assumeNative();
        int v = NativeJpeg.dw_jpeg_version();
        assertTrue(v >= 2000000, "libjpeg-turbo 2.x or newer, found " + v);
    }

    @Test
    void everyJpegFixtureMatchesOpenCvExactly() throws IOException {
        assumeNative();
        int files = 0;
        for (Map.Entry<String, String> e : ImageDecoderTest.manifest().entrySet()) {
            if (!e.getValue().equals("jpeg")) {
                continue;
            }
            String name = e.getKey();
            byte[] data = ImageDecoderTest.resource(DIR + name);
            JpegHeader header = JpegHeader.parse(data);
            int[] app1 = header.app1();
            int orientation = app1 == null ? 0 : ExifOrientation.read(data, app1[0], app1[1]);
            RgbImage stored = nativeDecode(data, name);
            // As stored (OpenCV's IMREAD_IGNORE_ORIENTATION) where the fixture has that file, and rotated as OpenCV.
            if (name.startsWith("exif")) {
                assertEquals(0, ImageDecoderTest.maxDifference(ImageDecoderTest.npy(DIR + name + ".ignore.npy"), stored,
                        name), name + " as stored");
            }
            RgbImage oriented = ExifOrientation.apply(stored, orientation);
            assertEquals(0, ImageDecoderTest.maxDifference(ImageDecoderTest.npy(DIR + name + ".npy"), oriented, name),
                    name);
            files++;
        }
        assertEquals(21, files, "every JPEG fixture of the manifest (grey, 4:2:0, 4:2:2, 4:4:4, 4:4:0, progressive,"
                + " CMYK, YCCK, Adobe RGB, EXIF 1-8)");
    }

    @Test
    void theImageIoPathStillMatchesOpenCv() throws IOException {
        // The fallback where the binding is absent: the same fixtures, without the native library (no skip).
        int files = 0;
        for (Map.Entry<String, String> e : ImageDecoderTest.manifest().entrySet()) {
            if (e.getValue().equals("jpeg")) {
                String name = e.getKey();
                byte[] data = ImageDecoderTest.resource(DIR + name);
                int d = ImageDecoderTest.maxDifference(ImageDecoderTest.npy(DIR + name + (name.startsWith("exif")
                        ? ".ignore.npy" : ".npy")), ImageDecoder.imageIoJpeg(data, name, JpegHeader.parse(data)), name);
                assertTrue(d == 0 || name.equals("rgb440.jpg") && d == ImageDecoder.JPEG_440_DIFFERENCE_IJG,
                        name + ": " + d);
                files++;
            }
        }
        assertEquals(21, files);
    }

    @Test
    void theDecoderUsesTheNativePathAndAgreesWithImageIo() throws IOException {
        assumeNative();
        // A photo-like 4:2:0 JPEG as the data benchmark writes them, and a 4:4:4 one: both paths, the same bytes (the
        // JDK on Debian reads with the same libjpeg-turbo; the conversions are OpenCV's in both).
        for (boolean subsampled : new boolean[] {true, false}) {
            byte[] jpeg = photo(subsampled);
            JpegHeader header = JpegHeader.parse(jpeg);
            RgbImage viaNative = ImageDecoder.nativeJpeg(jpeg, "photo.jpg", header);
            RgbImage viaImageIo = ImageDecoder.imageIoJpeg(jpeg, "photo.jpg", header);
            assertArrayEquals(viaImageIo.pixels(), viaNative.pixels(), "subsampled " + subsampled);
            assertArrayEquals(viaNative.pixels(), ImageDecoder.decode(jpeg, "photo.jpg").pixels());
        }
    }

    @Test
    void truncatedDataIsAnErrorNamingTheFile() {
        assumeNative();
        byte[] jpeg = ImageDecoderTest.resource(DIR + "large420.jpg");
        IOException e = assertThrows(IOException.class,
                () -> nativeDecode(Arrays.copyOf(jpeg, jpeg.length * 2 / 3), "cut.jpg"));
        assertTrue(e.getMessage().startsWith("cut.jpg has truncated or corrupt JPEG data (Premature end of JPEG file);"
                + " re-encode"), e.getMessage());
        // A progressive file cut inside a later scan's Huffman table: libjpeg's error, then ImageIO's, naming the file.
        byte[] progressive = ImageDecoderTest.resource(DIR + "progressive.jpg");
        IOException p = assertThrows(IOException.class,
                () -> ImageDecoder.decode(Arrays.copyOf(progressive, progressive.length * 2 / 3), "cut.jpg"));
        assertTrue(p.getMessage().startsWith("cannot decode cut.jpg as JPEG: "), p.getMessage());
        // Only the EOI marker missing: every row is there, as OpenCV (and the ImageIO path) decode it.
        byte[] noEoi = Arrays.copyOf(jpeg, jpeg.length - 2);
        assertDoesNotThrowDecode(noEoi);
    }

    private static void assertDoesNotThrowDecode(byte[] data) {
        try {
            RgbImage img = nativeDecode(data, "no_eoi.jpg");
            assertEquals(0, ImageDecoderTest.maxDifference(ImageDecoderTest.npy(DIR + "large420.jpg.npy"), img,
                    "no_eoi.jpg"));
        } catch (IOException e) {
            fail("a JPEG without its EOI marker decodes: " + e.getMessage());
        }
    }

    @Test
    void whatLibjpegRefusesGoesToImageIoAndStaysAnErrorNamingTheFile() {
        assumeNative();
        byte[] jpeg = ImageDecoderTest.resource(DIR + "rgb420.jpg").clone();
        // Break the first Huffman table's code counts (more codes than fit): libjpeg's "Bogus Huffman table definition".
        int dht = -1;
        for (int i = 2; i + 1 < jpeg.length; i++) {
            if ((jpeg[i] & 0xff) == 0xFF && (jpeg[i + 1] & 0xff) == 0xC4) {
                dht = i + 2;
                break;
            }
        }
        assertTrue(dht > 0, "a DHT segment");
        for (int k = 0; k < 16; k++) {
            jpeg[dht + 3 + k] = (byte) 0xFF;
        }
        IOException e = assertThrows(IOException.class, () -> ImageDecoder.decode(jpeg, "bad_huffman.jpg"));
        assertTrue(e.getMessage().startsWith("cannot decode bad_huffman.jpg as JPEG: "), e.getMessage());
    }

    private static byte[] photo(boolean subsampled) throws IOException {
        Random r = new Random(3);
        BufferedImage img = new BufferedImage(203, 149, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setPaint(new GradientPaint(0, 0, new Color(r.nextInt(1 << 24)), 203, 149, new Color(r.nextInt(1 << 24))));
        g.fillRect(0, 0, 203, 149);
        for (int k = 0; k < 6; k++) {
            g.setColor(new Color(r.nextInt(1 << 24)));
            g.fillOval(r.nextInt(180), r.nextInt(130), 10 + r.nextInt(80), 10 + r.nextInt(80));
        }
        g.dispose();
        for (int k = 0; k < 3000; k++) {
            int x = r.nextInt(203), y = r.nextInt(149);
            img.setRGB(x, y, img.getRGB(x, y) ^ 0x0f0f0f);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (subsampled) {
            ImageIO.write(img, "jpg", out);              // the JDK's writer: 4:2:0, quality 0.75
            return out.toByteArray();
        }
        // 4:4:4: every component's sampling factors set to 1 in the writer's metadata tree.
        ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageTypeSpecifier type = ImageTypeSpecifier.createFromRenderedImage(img);
        IIOMetadata meta = w.getDefaultImageMetadata(type, null);
        Node tree = meta.getAsTree("javax_imageio_jpeg_image_1.0");
        NodeList comps = ((Element) tree).getElementsByTagName("componentSpec");
        for (int i = 0; i < comps.getLength(); i++) {
            Element c = (Element) comps.item(i);
            c.setAttribute("HsamplingFactor", "1");
            c.setAttribute("VsamplingFactor", "1");
        }
        meta.setFromTree("javax_imageio_jpeg_image_1.0", tree);
        try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
            w.setOutput(ios);
            w.write(new IIOImage(img, null, meta));
        } finally {
            w.dispose();
        }
        return out.toByteArray();
    }
}
