package dev.dwjava.core.image;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes image files to 8-bit RGB as mmcv's {@code LoadImageFromFile} does, that is as OpenCV 4.6's
 * {@code cv2.imdecode(buf, cv2.IMREAD_COLOR)} (BGR there, RGB here), with errors naming the file.
 *
 * <p>The format comes from the first bytes, not the file name. Semantics, each checked against OpenCV 4.6 output in
 * the tests ({@code ImageDecoderTest}, fixtures from {@code dw-core/src/test/python/make_image_fixtures.py}):
 * <ul>
 * <li>Raster samples are used as stored: no gamma, ICC or other colour-space conversion. Grey becomes three equal
 *     channels; alpha is dropped, not composited (except TIFF, below); palettes are expanded, tRNS ignored.</li>
 * <li>PNG: 16-bit samples keep their high byte ({@code v >> 8}, libpng's strip-16); 1/2/4-bit grey is scaled to
 *     0..255 (0x11 per step for 4 bits). An eXIf chunk's orientation is applied, as OpenCV 4.6 does.</li>
 * <li>JPEG: decoded by libjpeg-turbo with OpenCV's calls ({@link NativeJpeg}, where the build made it). Without it,
 *     and for files libjpeg refuses, by the JDK's libjpeg (islow IDCT, fancy upsampling, as libjpeg-turbo's
 *     defaults) to raw components, then converted with libjpeg-turbo's colour rules and OpenCV's CMYK formula
 *     ({@link JpegHeader}). On our 21 JPEG fixtures (grey, 4:2:0, 4:2:2, 4:4:4, 4:4:0, progressive, CMYK, YCCK, Adobe
 *     RGB, EXIF-rotated) the largest per-channel difference from OpenCV is {@value #JPEG_MAX_DIFFERENCE} grey levels
 *     on both paths: bit-exact, whether the JDK uses the system libjpeg-turbo or its bundled IJG libjpeg 6b. The
 *     exception is 4:4:0 chroma subsampling through the JDK path on JDKs bundling libjpeg 6b
 *     ({@value #JPEG_440_DIFFERENCE_IJG} levels on our noisy fixture, see {@link #JPEG_440_DIFFERENCE_IJG}). Truncated
 *     scan data (libjpeg's "premature end") is an error here, where OpenCV returns a partly invented image.</li>
 * <li>EXIF orientation (JPEG's first APP1 segment, PNG's eXIf) is applied for all 8 values as OpenCV does, unless
 *     {@code ignoreOrientation} (OpenCV's {@code IMREAD_IGNORE_ORIENTATION}, mmcv's
 *     {@code color_ignore_orientation}); see {@link ExifOrientation} for OpenCV's reading rules.</li>
 * <li>TIFF: the layouts {@link TiffHeader} lists, with libtiff's premultiplied alpha and 16-bit rounding.</li>
 * <li>BMP (1/4/8-bit palette, 16-bit 5-5-5 and 5-6-5 as {@code v << 3}, 24, 32-bit) as OpenCV. GIF, which OpenCV 4.6
 *     does not read, gives its first frame's palette colours.</li>
 * </ul>
 * An image over {@value #MAX_PIXELS} pixels (2^28, e.g. 16384 x 16384) is refused from its header before any pixel is
 * decoded: that is 768 MiB of RGB, and it keeps every intermediate raster (up to four 16-bit samples a pixel, 2^30
 * shorts) under Java's array limit; OpenCV's own default limit, 2^30 pixels, cannot be held in one Java array.
 */
public final class ImageDecoder {
    /** The largest decodable image, in pixels (width × height). */
    public static final long MAX_PIXELS = 1L << 28;
    /**
     * Largest per-channel difference from OpenCV 4.6 (libjpeg-turbo 2.1) measured over the JPEG test fixtures, except
     * 4:4:0 ones, with the JDK's libjpeg being either the system libjpeg-turbo (Debian's OpenJDK 17) or IJG libjpeg 6b
     * (bundled with Temurin 25): the same islow IDCT, fancy upsampling and colour tables give the same bytes.
     */
    public static final int JPEG_MAX_DIFFERENCE = 0;
    /**
     * The difference on the 4:4:0 fixture (chroma halved vertically only: rare, e.g. a 4:2:2 photo rotated by
     * jpegtran) when the JDK bundles IJG libjpeg 6b, which repeats chroma rows where libjpeg-turbo interpolates
     * them; 0 on a JDK built on libjpeg-turbo and always 0 through {@link NativeJpeg}. Measured on a fixture of noisy
     * content.
     */
    public static final int JPEG_440_DIFFERENCE_IJG = 53;

    private static final String CONVERT = "; convert it to an 8-bit RGB JPEG or PNG";
    private static final String CHECK = "; check the file or convert it to an 8-bit RGB JPEG or PNG";

    private ImageDecoder() {}

    /** Decodes {@code file}, applying its EXIF orientation. */
    public static RgbImage decode(Path file) throws IOException {
        return decode(file, false);
    }

    /** Decodes {@code file}; with {@code ignoreOrientation} its EXIF orientation is not applied. */
    public static RgbImage decode(Path file, boolean ignoreOrientation) throws IOException {
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException("image not found: " + file + "; check the path", e);
        } catch (IOException | OutOfMemoryError e) {
            throw new IOException("cannot read image " + file + ": " + e.getMessage()
                    + "; check that it is a readable file under 2 GB", e);
        }
        return decode(data, file.toString(), ignoreOrientation);
    }

    /** Decodes the bytes of an image file; {@code sourceName} (a path or URL) names it in errors. */
    public static RgbImage decode(byte[] data, String sourceName) throws IOException {
        return decode(data, sourceName, false);
    }

    /** Decodes the bytes of an image file, applying its EXIF orientation unless {@code ignoreOrientation}. */
    public static RgbImage decode(byte[] data, String sourceName, boolean ignoreOrientation) throws IOException {
        Format format = Format.of(data);
        if (format == null) {
            throw new IOException(sourceName + " is not an image we can read (" + describe(data)
                    + "): JPEG, PNG, BMP, TIFF and GIF are read" + CONVERT);
        }
        try {
            return switch (format) {
                case JPEG -> jpeg(data, sourceName, ignoreOrientation);
                case PNG -> orient(read(data, sourceName, format, RasterRgb.Wide.SHIFT),
                        ignoreOrientation ? 0 : pngOrientation(data));
                case TIFF -> tiff(data, sourceName);
                case BMP, GIF -> read(data, sourceName, format, RasterRgb.Wide.SHIFT);
            };
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new IOException("cannot decode " + sourceName + " as " + format + ": " + e.getMessage()
                    + CHECK, e);
        }
    }

    private enum Format {
        JPEG, PNG, BMP, GIF, TIFF;

        static Format of(byte[] d) {
            if (d.length >= 3 && (d[0] & 0xff) == 0xFF && (d[1] & 0xff) == 0xD8 && (d[2] & 0xff) == 0xFF) {
                return JPEG;
            }
            if (starts(d, "\u0089PNG\r\n\u001a\n")) {
                return PNG;
            }
            if (starts(d, "BM")) {
                return BMP;
            }
            if (starts(d, "GIF87a") || starts(d, "GIF89a")) {
                return GIF;
            }
            if (starts(d, "II*\0") || starts(d, "MM\0*")) {
                return TIFF;
            }
            return null;
        }
    }

    private static boolean starts(byte[] d, String s) {
        if (d.length < s.length()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if ((d[i] & 0xff) != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static String describe(byte[] d) {
        if (d.length == 0) {
            return "the file is empty";
        }
        if (d.length >= 12 && starts(d, "RIFF") && d[8] == 'W' && d[9] == 'E' && d[10] == 'B' && d[11] == 'P') {
            return "WebP is not read";
        }
        StringBuilder s = new StringBuilder("it starts with");
        for (int i = 0; i < Math.min(8, d.length); i++) {
            s.append(String.format(Locale.ROOT, " %02x", d[i] & 0xff));
        }
        return s.toString();
    }

    private static RgbImage jpeg(byte[] data, String source, boolean ignoreOrientation) throws IOException {
        JpegHeader header = JpegHeader.parse(data);
        String why = header.unsupported();
        if (why != null) {
            throw new IOException(source + " is " + why + ", which we do not decode" + CONVERT);
        }
        checkSize(header.width(), header.height(), source);
        RgbImage img = NativeJpeg.available() ? nativeJpeg(data, source, header) : imageIoJpeg(data, source, header);
        int[] app1 = header.app1();
        return orient(img, ignoreOrientation || app1 == null ? 0 : ExifOrientation.read(data, app1[0], app1[1]));
    }

    /** The JPEG path without the native decoder: the JDK's libjpeg to raw components, converted by {@link JpegHeader}. */
    static RgbImage imageIoJpeg(byte[] data, String source, JpegHeader header) throws IOException {
        Raster raw = withReader(data, source, Format.JPEG, (reader, warnings) -> {
            Raster r = reader.readRaster(0, null);
            for (String w : warnings) {
                if (w.toLowerCase(Locale.ROOT).contains("premature end")) {
                    throw new Refused(source + " has truncated or corrupt JPEG data (" + w
                            + "); re-encode or remove the file");
                }
            }
            return r;
        });
        return header.toRgb(raw);
    }

    /** The JPEG path with libjpeg-turbo ({@link NativeJpeg}): OpenCV's calls, so OpenCV's pixels. */
    static RgbImage nativeJpeg(byte[] data, String source, JpegHeader header) throws IOException {
        int w = header.width(), h = header.height();
        byte[] out = new byte[3 * w * h];
        byte[] error = new byte[256];
        int rc = NativeJpeg.dw_jpeg_decode(data, data.length, out, out.length, w, h, header.componentIds().length,
                error, error.length);
        if (rc == NativeJpeg.OK) {
            return new RgbImage(w, h, out);
        }
        if (rc != NativeJpeg.TRUNCATED) {
            // libjpeg refuses the file, or reads another frame than our parser: ImageIO's readers (TwelveMonkeys
            // tolerates some damage) decide, as they did before the native path, and their errors name the file.
            return imageIoJpeg(data, source, header);
        }
        int n = 0;
        while (n < error.length && error[n] != 0) {
            n++;
        }
        String why = new String(error, 0, n, StandardCharsets.US_ASCII);
        throw new Refused(source + " has truncated or corrupt JPEG data (" + why + "); re-encode or remove the file");
    }

    private static RgbImage tiff(byte[] data, String source) throws IOException {
        TiffHeader header = TiffHeader.parse(data);
        String why = header.unsupported();
        if (why != null) {
            throw new IOException(source + " is " + why + CONVERT);
        }
        checkSize(header.get(TiffHeader.WIDTH, 0), header.get(TiffHeader.HEIGHT, 0), source);
        BufferedImage img = withReader(data, source, Format.TIFF, (reader, warnings) -> reader.read(0));
        RgbImage rgb;
        if (header.photometric() == 3) {
            byte[][] pal = header.palette();
            rgb = new RgbImage(img.getWidth(), img.getHeight(), new byte[3 * img.getWidth() * img.getHeight()]);
            RasterRgb.lookUp(img.getRaster(), pal[0], pal[1], pal[2], rgb.pixels());
        } else {
            boolean rgbSamples = header.photometric() == 2;
            rgb = RasterRgb.of(img, rgbSamples ? RasterRgb.Wide.ROUND : RasterRgb.Wide.SHIFT);
            if (rgb == null) {
                throw new IOException(source + ": the TIFF reader returned an unexpected pixel layout" + CONVERT);
            }
            if (header.unassociatedAlpha()) {
                premultiply(rgb, img.getRaster(), header.bits());
            }
        }
        return rgb;
    }

    /** libtiff's RGBA interface: colour times alpha, both 8-bit, rounded. */
    private static void premultiply(RgbImage rgb, Raster raster, int bits) {
        int w = rgb.width();
        int[] alpha = new int[w];
        byte[] px = rgb.pixels();
        for (int y = 0; y < rgb.height(); y++) {
            raster.getSamples(0, y, w, 1, 3, alpha);
            for (int x = 0; x < w; x++) {
                int a = bits == 16 ? (alpha[x] + 128) / 257 : alpha[x];
                for (int c = 0, o = 3 * (y * w + x); c < 3; c++) {
                    px[o + c] = (byte) (((px[o + c] & 0xff) * a + 127) / 255);
                }
            }
        }
    }

    private static RgbImage read(byte[] data, String source, Format format, RasterRgb.Wide wide) throws IOException {
        BufferedImage img = withReader(data, source, format, (reader, warnings) -> {
            checkSize(reader.getWidth(0), reader.getHeight(0), source);
            return reader.read(0);
        });
        RgbImage rgb = RasterRgb.of(img, wide);
        if (rgb == null) {
            throw new IOException(source + ": the " + format + " reader returned a pixel layout we do not read"
                    + " (colour model " + img.getColorModel() + ")" + CONVERT);
        }
        return rgb;
    }

    /** The orientation of a PNG's first eXIf chunk (a TIFF header onwards, as libpng stores it), 0 if none. */
    private static int pngOrientation(byte[] d) {
        for (long p = 8; p + 8 <= d.length; ) {
            long len = (d[(int) p] & 0xffL) << 24 | (d[(int) p + 1] & 0xff) << 16 | (d[(int) p + 2] & 0xff) << 8
                    | d[(int) p + 3] & 0xff;
            int type = (int) p + 4;
            if (d[type] == 'e' && d[type + 1] == 'X' && d[type + 2] == 'I' && d[type + 3] == 'f'
                    && p + 8 + len <= d.length) {
                return ExifOrientation.read(d, (int) p + 8, (int) len);
            }
            if (d[type] == 'I' && d[type + 1] == 'E' && d[type + 2] == 'N' && d[type + 3] == 'D') {
                return 0;
            }
            p += 12 + len;
        }
        return 0;
    }

    private static RgbImage orient(RgbImage img, int orientation) {
        return ExifOrientation.apply(img, orientation);
    }

    private static void checkSize(long width, long height, String source) throws IOException {
        if (width <= 0 || height <= 0) {
            throw new Refused(source + " declares an empty image (" + width + " x " + height
                    + ")" + CHECK);
        }
        if (width * height > MAX_PIXELS) {
            throw new Refused(source + " is " + width + " x " + height + " = " + width * height
                    + " pixels, over the decoder's limit of " + MAX_PIXELS + " (2^28) pixels; downscale it");
        }
    }

    /** A failure found by our own checks, its message already naming the file and the fix. */
    private static final class Refused extends IOException {
        Refused(String message) {
            super(message);
        }
    }

    private interface ReaderTask<T> {
        T run(ImageReader reader, List<String> warnings) throws IOException;
    }

    /** Runs {@code task} with {@code format}'s first ImageIO reader on {@code data}; reader failures name the file. */
    private static <T> T withReader(byte[] data, String source, Format format, ReaderTask<T> task)
            throws IOException {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format.name().toLowerCase(Locale.ROOT));
        if (!readers.hasNext()) {
            throw new IOException("no ImageIO reader for " + format + " to decode " + source + CONVERT);
        }
        ImageReader reader = readers.next();
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener((r, warning) -> warnings.add(warning));
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
            reader.setInput(in, true, true);
            return task.run(reader, warnings);
        } catch (Refused e) {
            throw e;
        } catch (IOException e) {
            throw new IOException("cannot decode " + source + " as " + format + ": " + e.getMessage()
                    + CHECK, e);
        } catch (RuntimeException e) {                     // readers throw these on malformed input
            throw new IOException("cannot decode " + source + " as " + format + ": " + e
                    + CHECK, e);
        } finally {
            reader.dispose();
        }
    }
}
