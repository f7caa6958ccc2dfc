package dev.dwjava.core.point;

/**
 * One FPN level: its feature-map size and stride.
 *
 * @param height rows of the feature map
 * @param width  columns of the feature map
 * @param stride input pixels per feature cell (8, 16, 32, 64, 128 for P3..P7)
 */
public record FeatureLevel(int height, int width, int stride) {
    public FeatureLevel {
        if (height < 0 || width < 0 || stride <= 0) {
            throw new IllegalArgumentException("bad feature level: " + height + "x" + width + " stride " + stride);
        }
    }

    /** Number of points (cells) of this level. */
    public int numPoints() {
        return height * width;
    }

    /** The level a padded input of {@code inputHeight x inputWidth} gives at {@code stride}: ceil division. */
    public static FeatureLevel forInput(int inputHeight, int inputWidth, int stride) {
        return new FeatureLevel(ceilDiv(inputHeight, stride), ceilDiv(inputWidth, stride), stride);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
