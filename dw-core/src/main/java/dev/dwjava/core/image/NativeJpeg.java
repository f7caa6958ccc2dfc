package dev.dwjava.core.image;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;
import org.slf4j.LoggerFactory;

/**
 * JNI binding of {@code src/main/native/dw_jpeg.h}: JPEG decoding with the system's libjpeg-turbo through the libjpeg
 * API, as OpenCV does. JavaCPP generates and compiles the glue during the Maven build where g++ and the libjpeg headers
 * exist (dw-core's {@code native-jpeg} profile); {@link #available()} says whether it loaded. Use {@link ImageDecoder}.
 */
@Platform(include = "dw_jpeg.h", link = "jpeg@.62")
public final class NativeJpeg {
    /** {@link #decode}: every row was decoded. */
    static final int OK = 0;
    /** {@link #decode}: the data ended before the last row. */
    static final int TRUNCATED = 1;
    /** {@link #decode}: the frame is not the one the header parser read. */
    static final int MISMATCH = 2;

    private static final boolean AVAILABLE = load();

    private NativeJpeg() {}

    private static boolean load() {
        String choice = System.getProperty("dw.jpeg", System.getenv("DW_JPEG"));
        if (choice != null && choice.trim().equalsIgnoreCase("imageio")) {
            LoggerFactory.getLogger(NativeJpeg.class).info("dw.jpeg / DW_JPEG = imageio: JPEGs are decoded by ImageIO");
            return false;
        }
        try {
            Loader.load(NativeJpeg.class);
            return true;
        } catch (LinkageError | RuntimeException e) {
            LoggerFactory.getLogger(NativeJpeg.class).info("libjpeg-turbo binding not loaded ({}): JPEGs are decoded by"
                    + " ImageIO instead (slower); build with g++ and libjpeg62-turbo-dev installed to use it",
                    e.getMessage());
            return false;
        }
    }

    /** Whether the native decoder is built and loaded (and not switched off with {@code dw.jpeg=imageio}). */
    public static boolean available() {
        return AVAILABLE;
    }

    /**
     * Decodes {@code size} bytes of {@code data} into {@code out} ({@code 3 × width × height} RGB bytes).
     *
     * @return {@link #OK}, {@link #TRUNCATED}, {@link #MISMATCH} or −1 (a libjpeg error), the reason in {@code error}
     */
    static native int dw_jpeg_decode(@Cast("const unsigned char*") byte[] data, long size,
                                     @Cast("unsigned char*") byte[] out, long capacity, int width, int height,
                                     int components, @Cast("char*") byte[] error, int errorCapacity);

    /** The libjpeg-turbo version compiled against, e.g. 2001005 for 2.1.5. */
    static native int dw_jpeg_version();
}
