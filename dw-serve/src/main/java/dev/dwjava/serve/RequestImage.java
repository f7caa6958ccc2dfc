package dev.dwjava.serve;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.concurrent.ExecutionException;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

import dev.dwjava.core.image.ImageDecoder;
import dev.dwjava.core.image.RgbImage;
import org.eclipse.jetty.http.MultiPart;
import org.eclipse.jetty.http.MultiPartFormData;
import org.eclipse.jetty.io.Content;

/** The image (and the optional score threshold) of a {@code POST /v1/detect} body: raw image bytes or multipart. */
final class RequestImage {
    /** A request that is answered with {@code code} and {@code reason}. */
    static final class HttpError extends Exception {
        final int code;

        HttpError(int code, String reason) {
            super(reason);
            this.code = code;
        }
    }

    /** The image file's bytes and the score threshold a multipart form gave ({@code null} when none). */
    record Upload(byte[] bytes, String scoreThr) {}

    private RequestImage() {}

    /** Reads at most {@code maxBytes} of {@code in}; more is a 413. */
    static byte[] readBounded(InputStream in, long maxBytes) throws IOException, HttpError {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[64 << 10];
        long total = 0;
        for (int n; (n = in.read(buf)) > 0; ) {
            total += n;
            if (total > maxBytes) {
                throw tooLarge(maxBytes);
            }
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    /**
     * How much of a refused body is still read, and dropped, before the 413 goes out. A client that is still sending
     * when the server closes would otherwise meet a reset connection (the kernel resets on close while unread bytes
     * wait) and lose the answer; beyond this much the server closes anyway. Tomcat's {@code maxSwallowSize} is the same
     * idea, with the same default.
     */
    static final long SWALLOW_BYTES = 2L << 20;

    /** Reads and drops at most {@code maxBytes} more of {@code in}; a client that hangs up ends it quietly. */
    static void swallow(InputStream in, long maxBytes) {
        byte[] buf = new byte[64 << 10];
        long left = maxBytes;
        try {
            for (int n; left > 0 && (n = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0; ) {
                left -= n;
            }
        } catch (IOException e) {
            // the client went away: there is nobody left to answer
        }
    }

    static HttpError tooLarge(long maxBytes) {
        return new HttpError(413, "the request body is larger than the server's limit of " + maxBytes
                + " bytes (--max-body-bytes)");
    }

    /** The upload of a body with Content-Type {@code contentType}: the body itself, or the multipart form's image part. */
    static Upload upload(byte[] body, String contentType, long maxBytes) throws HttpError {
        if (contentType == null || !contentType.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/")) {
            return new Upload(body, null);
        }
        String boundary = MultiPart.extractBoundary(contentType);
        if (boundary == null || boundary.isEmpty()) {
            throw new HttpError(400, "multipart body without a boundary in its Content-Type");
        }
        MultiPartFormData.Parser parser = new MultiPartFormData.Parser(boundary);
        parser.setMaxLength(maxBytes);
        parser.setMaxMemoryFileSize(maxBytes);   // parts stay in memory: never a temporary file
        parser.setMaxParts(16);
        try (MultiPartFormData.Parts parts = parser.parse(Content.Source.from(ByteBuffer.wrap(body))).get()) {
            MultiPart.Part image = parts.getFirst("image");
            if (image == null) {
                for (MultiPart.Part p : parts) {
                    if (p.getFileName() != null) {
                        image = p;
                        break;
                    }
                }
            }
            if (image == null) {
                throw new HttpError(400, "the multipart form has no image: send the file in a part named \"image\"");
            }
            MultiPart.Part thr = parts.getFirst("score_thr");
            ByteBuffer bytes = Content.Source.asByteBuffer(image.getContentSource());
            byte[] data = new byte[bytes.remaining()];
            bytes.get(data);
            return new Upload(data, thr == null ? null : thr.getContentAsString(java.nio.charset.StandardCharsets.UTF_8).trim());
        } catch (ExecutionException | IOException e) {
            Throwable c = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw new HttpError(400, "malformed multipart body: " + c.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HttpError(503, "the server is stopping");
        }
    }

    /** The score threshold {@code value} ({@code null}: 0, all the config keeps); outside [0, 1] is a 400. */
    static float scoreThr(String value) throws HttpError {
        if (value == null || value.isEmpty()) {
            return 0f;
        }
        float t;
        try {
            t = Float.parseFloat(value);
        } catch (NumberFormatException e) {
            throw new HttpError(400, "score_thr must be a number in [0, 1], found \"" + value + "\"");
        }
        if (!(t >= 0 && t <= 1)) {
            throw new HttpError(400, "score_thr must be a number in [0, 1], found " + value);
        }
        return t;
    }

    /**
     * Decodes {@code data} as {@code dw detect} decodes a file (OpenCV's semantics, {@link ImageDecoder}). An image
     * over {@code maxPixels} is refused from its header, before its pixels take memory.
     */
    static RgbImage decode(byte[] data, boolean ignoreOrientation, long maxPixels) throws HttpError {
        if (data.length == 0) {
            throw new HttpError(400, "empty body: POST the bytes of an image (JPEG, PNG, BMP, TIFF, GIF) or a multipart form"
                    + " with a part named \"image\"");
        }
        long pixels = headerPixels(data);
        if (pixels > maxPixels) {
            throw new HttpError(413, "the image has " + pixels + " pixels, more than the server's limit of " + maxPixels
                    + " (--max-pixels)");
        }
        try {
            RgbImage img = ImageDecoder.decode(data, "the request's image", ignoreOrientation);
            if ((long) img.width() * img.height() > maxPixels) {
                throw new HttpError(413, "the image has " + (long) img.width() * img.height()
                        + " pixels, more than the server's limit of " + maxPixels + " (--max-pixels)");
            }
            return img;
        } catch (IOException | RuntimeException e) {
            throw new HttpError(400, e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    /** Width × height from the image's header, or -1 when no ImageIO reader knows it (the decoder then says why). */
    private static long headerPixels(byte[] data) {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(data))) {
            Iterator<ImageReader> readers = in == null ? java.util.Collections.emptyIterator() : ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                return -1;
            }
            ImageReader r = readers.next();
            try {
                r.setInput(in, true, true);
                return (long) r.getWidth(0) * r.getHeight(0);
            } finally {
                r.dispose();
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
