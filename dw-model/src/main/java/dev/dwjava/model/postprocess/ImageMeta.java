package dev.dwjava.model.postprocess;

/**
 * What post-processing needs to know about one image of a batch.
 *
 * @param height      height of the resized image before padding (boxes are clipped to it)
 * @param width       width of the resized image before padding
 * @param scaleWidth  resized width / original width (boxes are divided by it to return to the original frame)
 * @param scaleHeight resized height / original height
 */
public record ImageMeta(int height, int width, double scaleWidth, double scaleHeight) {}
