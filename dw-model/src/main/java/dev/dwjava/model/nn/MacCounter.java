package dev.dwjava.model.nn;

/**
 * Counts the multiply-accumulates of the convolutions run in this thread while counting is on, as fvcore and mmcv count
 * a convolution: {@code output elements × in channels × kernel height × kernel width} (one group), biases not
 * counted. {@link Conv2d} and {@link ModulatedDeformConv2d} (its main convolution alike; its offset convolution is a
 * {@code Conv2d}) report here; every other op counts zero.
 */
public final class MacCounter {
    private static final ThreadLocal<long[]> ACTIVE = new ThreadLocal<>();

    private MacCounter() {}

    /** Starts counting in this thread from zero. */
    public static void start() {
        ACTIVE.set(new long[1]);
    }

    /** Stops counting in this thread; returns the MACs since {@link #start()} (0 when it was not started). */
    public static long stop() {
        long[] c = ACTIVE.get();
        ACTIVE.remove();
        return c == null ? 0 : c[0];
    }

    /** Adds a convolution whose output has {@code outputElements} values, each a sum of {@code perOutput} products. */
    static void add(long outputElements, long perOutput) {
        long[] c = ACTIVE.get();
        if (c != null) {
            c[0] += outputElements * perOutput;
        }
    }
}
