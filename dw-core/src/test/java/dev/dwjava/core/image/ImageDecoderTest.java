package dev.dwjava.core.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our decoding against OpenCV 4.6's {@code imdecode(..., IMREAD_COLOR)} on the fixtures of
 * {@code src/test/python/make_image_fixtures.py}: lossless formats byte for byte, JPEGs within the documented bound.
 */
class ImageDecoderTest {
    private static final String DIR = "images/opencv/";

    static byte[] resource(String name) {
        try (InputStream in = ImageDecoderTest.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A uint8 (h, w, 3) .npy file. */
    static RgbImage npy(String name) {
        byte[] d = resource(name);
        int headerLen = (d[8] & 0xff) | (d[9] & 0xff) << 8;
        String header = new String(d, 10, headerLen, StandardCharsets.US_ASCII);
        assertTrue(header.contains("'descr': '|u1'") && header.contains("'fortran_order': False"), header);
        Matcher m = Pattern.compile("'shape': \\((\\d+), (\\d+), 3\\)").matcher(header);
        assertTrue(m.find(), header);
        int h = Integer.parseInt(m.group(1)), w = Integer.parseInt(m.group(2));
        return new RgbImage(w, h, Arrays.copyOfRange(d, 10 + headerLen, d.length));
    }

    static Map<String, String> manifest() {
        Map<String, String> kinds = new LinkedHashMap<>();
        for (String line : new String(resource(DIR + "manifest.txt"), StandardCharsets.US_ASCII).split("\n")) {
            if (!line.isBlank()) {
                String[] f = line.trim().split(" ");
                kinds.put(f[0], f[1]);
            }
        }
        return kinds;
    }

    static RgbImage decode(String name, boolean ignoreOrientation) throws IOException {
        return ImageDecoder.decode(resource(DIR + name), name, ignoreOrientation);
    }

    static int maxDifference(RgbImage expected, RgbImage got, String what) {
        assertEquals(expected.width() + "x" + expected.height(), got.width() + "x" + got.height(), what + ": size");
        int max = 0;
        for (int i = 0; i < expected.pixels().length; i++) {
            max = Math.max(max, Math.abs((expected.pixels()[i] & 0xff) - (got.pixels()[i] & 0xff)));
        }
        return max;
    }

    @Test
    void losslessFormatsMatchExactly() throws IOException {
        int checked = 0;
        for (Map.Entry<String, String> e : manifest().entrySet()) {
            if (e.getValue().equals("exact") || e.getValue().equals("pillow")) {   // pillow: GIF, which OpenCV lacks
                String name = e.getKey();
                RgbImage got = decode(name, false);
                assertEquals(0, maxDifference(npy(DIR + name + ".npy"), got, name), name);
                checked++;
            }
        }
        assertEquals(40, checked, "every lossless fixture of the manifest");
    }

    @Test
    void jpegsMatchOpenCvWithinTheDocumentedBound() throws IOException {
        int max = 0, files = 0;
        List<String> worst = new ArrayList<>();
        for (Map.Entry<String, String> e : manifest().entrySet()) {
            if (e.getValue().equals("jpeg")) {
                String name = e.getKey();
                int d = maxDifference(npy(DIR + name + ".npy"), decode(name, false), name);
                files++;
                if (name.equals("rgb440.jpg")) {
                    // 4:4:0 (vertical-only chroma subsampling): libjpeg-turbo interpolates rows, IJG libjpeg 6b (the
                    // copy bundled with most JDKs) repeats them; a JDK built on the system libjpeg-turbo matches.
                    // The native path (libjpeg-turbo, NativeJpeg) always matches.
                    assertTrue(d == 0 || !NativeJpeg.available() && d == ImageDecoder.JPEG_440_DIFFERENCE_IJG,
                            name + ": " + d);
                    continue;
                }
                if (d > 0) {
                    worst.add(name + ": " + d);
                }
                max = Math.max(max, d);
            }
        }
        assertEquals(21, files, "every JPEG fixture of the manifest");
        // The bound is what we measure, so a change in either direction shows up here and in the Javadoc.
        assertEquals(ImageDecoder.JPEG_MAX_DIFFERENCE, max, "largest per-channel difference; " + worst);
    }

    @Test
    void exifOrientationsAsOpenCv() throws IOException {
        RgbImage upright = decode("exif1.jpg", false);
        for (int o = 1; o <= 8; o++) {
            String name = "exif" + o + ".jpg";
            RgbImage got = decode(name, false);
            assertEquals(o >= 5 ? upright.height() : upright.width(), got.width(), name + ": rotated width");
            assertTrue(maxDifference(npy(DIR + name + ".npy"), got, name) <= ImageDecoder.JPEG_MAX_DIFFERENCE, name);
            RgbImage ignored = decode(name, true);
            assertTrue(maxDifference(npy(DIR + name + ".ignore.npy"), ignored, name) <= ImageDecoder.JPEG_MAX_DIFFERENCE,
                    name + " ignoring orientation");
            assertArrayEquals(upright.pixels(), ignored.pixels(), name + ": ignoring orientation gives the stored image");
        }
        // OpenCV's reading: the first APP1 only (here XMP, so no rotation), big-endian EXIF, PNG eXIf anywhere.
        assertEquals(17, decode("xmp_then_exif6.jpg", false).width());
        assertEquals(11, decode("exif5_big_endian.jpg", false).width());
        for (String png : new String[] {"exif6.png", "exif8_after_idat.png"}) {
            RgbImage rotated = decode(png, false), stored = decode(png, true);
            assertEquals(stored.height(), rotated.width(), png);
            assertEquals(0, maxDifference(npy(DIR + png + ".ignore.npy"), stored, png));
        }
    }

    @Test
    void pathAndBytesAgree(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("photo.bin");                  // the format comes from the bytes, not the name
        Files.write(file, resource(DIR + "exif6.jpg"));
        assertArrayEquals(decode("exif6.jpg", false).pixels(), ImageDecoder.decode(file).pixels());
        assertArrayEquals(decode("exif6.jpg", true).pixels(), ImageDecoder.decode(file, true).pixels());
    }

    @Test
    void failuresNameTheFileAndTheFix() {
        assertRefused("image not found: no/such.jpg; check the path",
                () -> ImageDecoder.decode(Path.of("no/such.jpg")));
        byte[] jpeg = resource(DIR + "large420.jpg");
        assertRefused("cut.jpg has truncated or corrupt JPEG data",
                () -> ImageDecoder.decode(Arrays.copyOf(jpeg, jpeg.length * 2 / 3), "cut.jpg"));
        assertRefused("cannot decode header.jpg as JPEG: the JPEG is truncated inside its header", () -> ImageDecoder.decode(Arrays.copyOf(jpeg, 300), "header.jpg"));
        assertRefused("empty.png is not an image we can read (the file is empty)",
                () -> ImageDecoder.decode(new byte[0], "empty.png"));
        byte[] webp = "RIFF\0\0\0\0WEBPVP8 ".getBytes(StandardCharsets.US_ASCII);
        assertRefused("a.webp is not an image we can read (WebP is not read)", () -> ImageDecoder.decode(webp, "a.webp"));
        assertRefused("n.jpg is not an image we can read (it starts with 6e 6f",
                () -> ImageDecoder.decode("not an image".getBytes(StandardCharsets.US_ASCII), "n.jpg"));
        assertRefused("arith.jpg is an arithmetic-coded JPEG",
                () -> ImageDecoder.decode(withFrameMarker(jpeg, 0xC9), "arith.jpg"));
        assertRefused("cannot decode broken.png as PNG: ", () -> ImageDecoder.decode(Arrays.copyOf(resource(DIR + "rgb8.png"), 60), "broken.png"));
        assertRefused("cannot decode truncated.jpg as JPEG: the JPEG is truncated inside its header",
                () -> ImageDecoder.decode(resource("images/truncated.jpg"), "truncated.jpg"));
        assertRefused("not_an_image.jpg is not an image we can read",
                () -> ImageDecoder.decode(resource("images/not_an_image.jpg"), "not_an_image.jpg"));
    }

    @Test
    void oversizedImagesAreRefusedFromTheHeader() {
        byte[] jpeg = resource(DIR + "rgb420.jpg").clone();
        int sof = sofOffset(jpeg);
        jpeg[sof + 3] = jpeg[sof + 4] = jpeg[sof + 5] = jpeg[sof + 6] = (byte) 0x7F;   // 32639 x 32639
        assertRefused("big.jpg is 32639 x 32639 = 1065304321 pixels, over the decoder's limit of 268435456",
                () -> ImageDecoder.decode(jpeg, "big.jpg"));
        byte[] png = resource(DIR + "rgb8.png").clone();
        png[16] = png[20] = 0;                                  // IHDR width, height: 0x00xx0000-ish, 65536+ each
        png[17] = png[21] = 1;
        assertRefused("big.png is 65549 x 65545", () -> ImageDecoder.decode(png, "big.png"));
    }

    @Test
    void tiffsWeCannotMatchAreRefused() {
        byte[] tif = resource(DIR + "rgb16.tif").clone();
        // The fixture writer's 5th directory entry is PhotometricInterpretation; make it CMYK (5).
        int at = 8 + 2 + 4 * 12;
        assertEquals(262, (tif[at] & 0xff) | (tif[at + 1] & 0xff) << 8);
        tif[at + 8] = 5;
        assertRefused("cmyk.tif is a TIFF with photometric interpretation 5",
                () -> ImageDecoder.decode(tif, "cmyk.tif"));
    }

    private static byte[] withFrameMarker(byte[] jpeg, int marker) {
        byte[] d = jpeg.clone();
        d[sofOffset(d) - 1] = (byte) marker;
        return d;
    }

    /** Offset of the SOF0 segment's length field. */
    private static int sofOffset(byte[] d) {
        for (int i = 2; i + 1 < d.length; i++) {
            if ((d[i] & 0xff) == 0xFF && (d[i + 1] & 0xff) == 0xC0) {
                return i + 2;
            }
        }
        throw new IllegalStateException("no SOF0");
    }

    private interface Decode {
        RgbImage run() throws IOException;
    }

    private static void assertRefused(String messageStart, Decode decode) {
        IOException e = assertThrows(IOException.class, decode::run);
        assertTrue(e.getMessage().startsWith(messageStart), e.getMessage());
        assertTrue(e.getMessage().contains("; "), "says what to do: " + e.getMessage());
    }
}
