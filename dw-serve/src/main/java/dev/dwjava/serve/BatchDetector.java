package dev.dwjava.serve;

import java.util.List;

import dev.dwjava.core.image.RgbImage;
import dev.dwjava.model.inference.Detection;

/**
 * What the server needs of a model: detections for several images at once. Each image's answer must equal what a
 * detection of that image alone gives, so grouping requests changes no answer.
 */
public interface BatchDetector {
    /**
     * One list per image, in the order given: its detections with score strictly above {@code scoreThr}, by
     * descending score, boxes in the image's own pixels.
     */
    List<List<Detection>> detect(List<RgbImage> images, float scoreThr);

    /** The class names, by class id. */
    List<String> classNames();

    /** Whether images are decoded without applying their EXIF orientation (the config's data.ignore_orientation). */
    default boolean ignoreOrientation() {
        return false;
    }
}
