package dev.dwjava.kernels;

import org.bytedeco.pytorch.Tensor;

/**
 * Runs the kernels of {@code src/main/cuda}: on a CUDA device ({@link CudaKernelLauncher}) or on the CPU under the
 * grid emulator ({@link HostKernelLauncher}). Tensors passed to a launcher must live where it runs.
 */
public interface KernelLauncher {
    /** Human-readable name for logs and benchmark labels. */
    String name();

    /** Whether {@code t} lives where this launcher runs kernels. */
    boolean accepts(Tensor t);

    /** Threads per block for the one-dimensional kernels (a power of two, at most 1024). */
    int defaultBlock();

    /**
     * Launches {@code kernel} on a (gridX, gridY) grid of one-dimensional blocks, after libtorch's pending work on the
     * same device (the current stream). Returns when the host may read results through libtorch.
     */
    void launch(String kernel, long gridX, long gridY, int block, KernelArgs args);

    /** Throws a clear error unless {@code t} lives where this launcher runs. */
    default void require(Tensor t, String name) {
        if (!accepts(t)) {
            throw new IllegalArgumentException(name + " is on " + t.device().str().getString() + " but the " + name()
                    + " launcher runs elsewhere");
        }
    }
}
