package dev.dwjava.data.loader;

/**
 * How one image of a batch was transformed; what inference needs to map detections back.
 *
 * @param imageId     COCO image id
 * @param width       original width
 * @param height      original height
 * @param newWidth    resized width (before padding)
 * @param newHeight   resized height
 * @param flipped     mirrored left–right
 */
public record SampleMeta(long imageId, int width, int height, int newWidth, int newHeight, boolean flipped) {
    /** newWidth / width, as a float32 value like mmcv's scale factors. */
    public double scaleWidth() {
        return (float) ((double) newWidth / width);
    }

    public double scaleHeight() {
        return (float) ((double) newHeight / height);
    }
}
