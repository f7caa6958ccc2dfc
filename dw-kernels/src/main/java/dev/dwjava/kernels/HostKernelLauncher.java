package dev.dwjava.kernels;

import java.util.List;

import dev.dwjava.kernels.host.HostLaunch;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;

/**
 * Runs the kernel sources on the CPU under the grid emulator of {@code dw_emulator.hpp}: the same code nvcc compiles,
 * every thread of every block, barriers honoured. Used by the tests (CI has no GPU) and where no GPU is present. Each
 * kernel's limit is its launch bound from {@code dw_kernel_list.h}, the constant nvcc compiles it with.
 */
public final class HostKernelLauncher implements KernelLauncher {
    private static final int ERROR_CAPACITY = 1024;
    private final int block;

    /** Blocks of 32 threads: the kernels are block-size independent and fewer threads mean fewer fiber switches. */
    public HostKernelLauncher() {
        this(32);
    }

    /** @param block threads per block for the one-dimensional kernels, e.g. the GPU's 256 to test that shape */
    public HostKernelLauncher(int block) {
        if (block < 1 || block > 1024 || Integer.bitCount(block) != 1) {
            throw new IllegalArgumentException("block must be a power of two in [1, 1024], found " + block);
        }
        HostLaunch.load();
        this.block = block;
    }

    @Override
    public String name() {
        return "host-emulated";
    }

    @Override
    public boolean accepts(Tensor t) {
        return t.is_cpu();
    }

    @Override
    public int defaultBlock() {
        return block;
    }

    @Override
    public int maxThreads(String kernel) {
        int max = HostLaunch.dw_host_kernel_max_threads(kernel);
        if (max <= 0) {
            throw new KernelException("no kernel named " + kernel);
        }
        return max;
    }

    @Override
    public void launch(String kernel, long gridX, long gridY, int block, KernelArgs args) {
        args.requireCpu(kernel);
        int max = HostLaunch.dw_host_kernel_max_threads(kernel);
        if (max > 0) {
            KernelLauncher.checkBlock(kernel, block, max);
        }
        try (BytePointer error = new BytePointer(ERROR_CAPACITY)) {
            int rc = HostLaunch.dw_host_launch(kernel, args.signature(), Math.toIntExact(gridX), Math.toIntExact(gridY), 1,
                    block, 1, 1, args.pointers(), error, ERROR_CAPACITY);
            if (rc != 0) {
                String message = error.getString();
                int end = message.indexOf('\0');
                throw new KernelException("host launch of " + kernel + " failed: " + (end < 0 ? message : message.substring(0, end)));
            }
        }
    }

    /** The parameter signature the kernel was compiled with, or {@code null} for an unknown name. */
    public static String signatureOf(String kernel) {
        String s = HostLaunch.dw_host_kernel_signature(kernel);
        return s == null || s.isEmpty() ? null : s;
    }

    /** The library's kernels as the host build lists them ({@code dw_kernel_list.h}), probes excluded. */
    public static List<String> kernelNames() {
        return List.of(HostLaunch.dw_host_kernel_names().split(","));
    }
}
