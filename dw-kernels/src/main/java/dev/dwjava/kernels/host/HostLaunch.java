package dev.dwjava.kernels.host;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JNI binding of the host build of the kernel sources ({@code src/main/cuda/host/dw_host.h}), generated and compiled
 * by JavaCPP during the Maven build. Use {@link dev.dwjava.kernels.HostKernelLauncher}, not this class.
 */
@Platform(include = "host/dw_host.h", compiler = "cpp17")
public final class HostLaunch {
    static {
        Loader.load();
    }

    private HostLaunch() {}

    /** Ensures the native library is loaded (throws {@link UnsatisfiedLinkError} when it was not built). */
    public static void load() {
        Loader.load(HostLaunch.class);
    }

    /**
     * Runs one kernel under the grid emulator with cuLaunchKernel's parameter convention.
     *
     * @param signature one character per parameter (p pointer, i int32, l int64, f float32, d float64)
     * @return 0, or −1 with a message in {@code error}
     */
    public static native int dw_host_launch(String name, String signature, int gridX, int gridY, int gridZ,
                                            int blockX, int blockY, int blockZ, @Cast("void**") PointerPointer<?> params,
                                            @Cast("char*") BytePointer error, int errorCapacity);

    /** The most threads per block a kernel may be launched with (its launch bound), or 0 for an unknown name. */
    public static native int dw_host_kernel_max_threads(String name);

    /** The library's kernels, comma-separated, in the order of {@code dw_kernel_list.h}. */
    public static native @Cast("const char*") String dw_host_kernel_names();

    /** The DW weighting's launch plan ({@code launch/dw_plan.h}) for a request in its text form, or "error: ...". */
    public static native @Cast("const char*") String dw_host_plan_weighting(String request);

    /** The kernel part of NMS ({@code launch/dw_plan.h}) for "N THRESHOLD [BUDGET]", or "error: ...". */
    public static native @Cast("const char*") String dw_host_plan_nms(String request);

    /** The parameter signature a kernel was compiled with, or "" for an unknown name. */
    public static native @Cast("const char*") String dw_host_kernel_signature(String name);
}
