package dev.dwjava.core.box;

/**
 * The pixel grid that box coordinates refer to. Padding is added at the bottom and right only, so the resized image
 * and the padded network input share one frame.
 */
public enum ImageFrame {
    /** Pixels of the image as stored on disk. */
    ORIGINAL,
    /** Pixels of the resized (and possibly flipped) image that the network sees, padding included. */
    INPUT
}
