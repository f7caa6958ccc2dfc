package dev.dwjava.data.loader;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.imageio.IIOException;
import javax.imageio.ImageIO;

/** Decodes image files (JPEG, PNG, BMP, GIF; grayscale, 16-bit and alpha become RGB) with errors naming the file. */
public final class ImageDecoder {
    private ImageDecoder() {}

    /** Decoded pixels: interleaved R, G, B bytes, row-major. */
    public record Pixels(byte[] rgb, int width, int height) {
        /** The pixel at index {@code i} (row-major) as 0xRRGGBB. */
        public int packed(int i) {
            return (rgb[3 * i] & 0xff) << 16 | (rgb[3 * i + 1] & 0xff) << 8 | rgb[3 * i + 2] & 0xff;
        }
    }

    public static Pixels decode(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("image not found: " + file);
        }
        BufferedImage img;
        try {
            img = ImageIO.read(file.toFile());
        } catch (IIOException e) {
            throw new IOException("cannot decode image " + file + ": " + e.getMessage()
                    + (String.valueOf(e.getMessage()).contains("CMYK") || String.valueOf(e.getMessage()).contains("color space")
                    ? " (CMYK/YCCK JPEGs are not supported; convert to RGB)" : ""), e);
        }
        if (img == null) {
            throw new IOException("not an image (or an unsupported format): " + file);
        }
        int w = img.getWidth(), h = img.getHeight();
        byte[] out = new byte[3 * w * h];
        if (img.getType() == BufferedImage.TYPE_3BYTE_BGR
                && img.getRaster().getDataBuffer() instanceof java.awt.image.DataBufferByte db && db.getNumBanks() == 1
                && db.getData().length == out.length) {
            // JPEG's usual layout: swap BGR to RGB straight from the raster (getRGB converts pixel by pixel, slowly).
            byte[] bgr = db.getData();
            for (int i = 0; i < out.length; i += 3) {
                out[i] = bgr[i + 2];
                out[i + 1] = bgr[i + 1];
                out[i + 2] = bgr[i];
            }
        } else {
            int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
            for (int i = 0; i < argb.length; i++) {
                out[3 * i] = (byte) (argb[i] >> 16);
                out[3 * i + 1] = (byte) (argb[i] >> 8);
                out[3 * i + 2] = (byte) argb[i];
            }
        }
        return new Pixels(out, w, h);
    }
}
