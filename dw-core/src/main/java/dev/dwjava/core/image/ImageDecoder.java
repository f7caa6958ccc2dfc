package dev.dwjava.core.image;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

import javax.imageio.ImageIO;

/** TEMPORARY placeholder until the OpenCV-semantics decoder lands (replaced on merge). */
public final class ImageDecoder {
    private ImageDecoder() {}

    public static RgbImage decode(Path file) throws IOException {
        return decode(file, false);
    }

    public static RgbImage decode(Path file, boolean ignoreOrientation) throws IOException {
        BufferedImage img = ImageIO.read(file.toFile());
        if (img == null) {
            throw new IOException("not an image: " + file);
        }
        return RgbImage.of(img);
    }
}
