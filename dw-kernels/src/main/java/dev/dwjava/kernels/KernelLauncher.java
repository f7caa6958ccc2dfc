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

    /** Threads per block for the one-dimensional kernels when the caller asks for none (a power of two). */
    int defaultBlock();

    /**
     * The most threads per block {@code kernel} may be launched with: its launch bound ({@code dw_kernel_list.h}) and,
     * on a GPU, the driver's {@code CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK} of the loaded code (registers can lower it).
     *
     * @throws KernelException for an unknown kernel
     */
    int maxThreads(String kernel);

    /**
     * Launches {@code kernel} on a (gridX, gridY) grid of one-dimensional blocks, after libtorch's pending work on the
     * tensors' device (its current stream). Returns when the host may read results through libtorch.
     *
     * @throws IllegalArgumentException when a tensor argument lives elsewhere, or {@code block} exceeds
     *                                  {@link #maxThreads}
     */
    void launch(String kernel, long gridX, long gridY, int block, KernelArgs args);

    /** Throws a clear error unless {@code t} lives where this launcher runs. */
    default void require(Tensor t, String name) {
        if (!accepts(t)) {
            throw new IllegalArgumentException(name + " is on " + t.device().str().getString() + " but the " + name()
                    + " launcher runs elsewhere");
        }
    }

    /**
     * Threads per block for {@code kernel}: {@code requested} when the caller asked for a size (greater than 0),
     * refused above the kernel's limit; otherwise {@link #defaultBlock()} capped by that limit.
     */
    default int blockFor(String kernel, int requested) {
        return chooseBlock(kernel, maxThreads(kernel), requested, defaultBlock());
    }

    /**
     * The block-size rule, on its own for tests: a requested size (greater than 0) must not exceed {@code limit}; the
     * default is capped by {@code limit}, rounded down to a power of two (the block reductions need one).
     */
    static int chooseBlock(String kernel, int limit, int requested, int defaultBlock) {
        if (requested > 0) {
            if (requested > limit) {
                throw new IllegalArgumentException("block " + requested + " exceeds the limit of " + kernel + ", "
                        + limit + " threads per block (its launch bound and registers); use at most " + limit);
            }
            return requested;
        }
        return Integer.highestOneBit(Math.min(defaultBlock, limit));
    }

    /** The launch-time check of both launchers. */
    static void checkBlock(String kernel, int block, int limit) {
        if (block < 1 || block > limit) {
            throw new IllegalArgumentException("kernel " + kernel + " cannot run " + block + " threads per block; its limit is "
                    + limit);
        }
    }

    /** Checks a caller's block size: 0 (the launcher's default) or a power of two in [1, 1024]. */
    static int validRequest(int block) {
        if (block != 0 && (block < 1 || block > 1024 || Integer.bitCount(block) != 1)) {
            throw new IllegalArgumentException("block must be a power of two in [1, 1024], found " + block);
        }
        return block;
    }
}
