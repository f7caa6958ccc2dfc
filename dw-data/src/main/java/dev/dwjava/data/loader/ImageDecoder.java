package dev.dwjava.data.loader;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.dwjava.core.image.RgbImage;
import javax.imageio.IIOException;
import javax.imageio.ImageIO;

/** Decodes image files (JPEG, PNG, BMP, GIF; grayscale, 16-bit and alpha become RGB) with errors naming the file. */
public final class ImageDecoder {
    private ImageDecoder() {}

    /** Decodes {@code file} to 8-bit RGB. */
    public static RgbImage decode(Path file) throws IOException {
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
        return RgbImage.of(img);
    }
}
