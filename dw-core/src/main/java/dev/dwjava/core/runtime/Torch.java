package dev.dwjava.core.runtime;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicReference;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.global.torch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that loads libtorch. Every entry point and test calls {@link #init()} before its first tensor.
 *
 * <p>Why a bootstrap: with an empty JavaCPP cache, JavaCPP extracts and loads the native libraries one at a
 * time, and a system-wide libtorch (Debian's {@code libtorch-dev}, say) can then be picked up half-way and
 * crash the JVM. Extracting the whole native folder first makes every library resolve from one directory.
 *
 * <p>Settings (system property, then environment variable):
 * <ul>
 *   <li>{@code dw.threads} / {@code DW_THREADS}: intra-op threads (default: available cores).</li>
 *   <li>{@code dw.blasThreads} / {@code DW_BLAS_THREADS}: OpenBLAS's own threads (default 1, see below).</li>
 * </ul>
 * OpenBLAS keeps a pool of its own besides libtorch's OpenMP threads, and both busy-wait after work. With as many
 * OpenMP threads as cores, the two pools fight for the cores: on 2 cores a batch-1 R-50 forward at 256² took 532 ms
 * instead of 107 ms (the small P5–P7 convs, which go through OpenBLAS, each waited a scheduler slice). libtorch's
 * OpenMP threads already parallelise around the BLAS calls, so one OpenBLAS thread is the default.
 * The JavaCPP memory cap ({@code org.bytedeco.javacpp.maxPhysicalBytes}) counts libtorch's own code; our launchers
 * and Surefire set it to 0 (no cap) because native memory is bounded by {@code PointerScope}s instead.
 */
public final class Torch {
    private static final Logger LOG = LoggerFactory.getLogger(Torch.class);
    private static final AtomicReference<RuntimeInfo> INFO = new AtomicReference<>();

    private Torch() {}

    /**
     * Loads libtorch once (later calls return the cached result) and configures threads and NNPACK.
     *
     * @return what was loaded
     * @throws NativeLoadException when the native libraries cannot be loaded, with the reason
     */
    public static RuntimeInfo init() {
        RuntimeInfo info = INFO.get();
        if (info != null) {
            return info;
        }
        synchronized (Torch.class) {
            if (INFO.get() == null) {
                INFO.set(load());
                LOG.info("{}", INFO.get());
            }
            return INFO.get();
        }
    }

    private static RuntimeInfo load() {
        String platform = Loader.getPlatform();
        try {
            // Extract every native library of the platform folder before the first System.load.
            Loader.cacheResources(torch.class, "/org/bytedeco/pytorch/" + platform + "/");
            Loader.load(torch.class);
        } catch (IOException | UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new NativeLoadException(
                    "libtorch could not be loaded for platform '" + platform + "': " + e
                            + ". The class path needs libtorch's natives for this platform (served for linux-x86_64,"
                            + " macosx-arm64, macosx-x86_64, windows-x86_64: docs/platforms.md); Linux needs glibc >= 2.28;"
                            + " the GPU build needs CUDA 13 + cuDNN 9 + NCCL 2 installed. Check that ~/.javacpp/cache is"
                            + " writable.",
                    e);
        }
        int threads = configuredThreads();
        torch.set_num_threads(threads);
        org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(positive("dw.blasThreads", "DW_BLAS_THREADS", 1));
        // NNPACK prints "Could not initialize NNPACK" on CPUs it does not support; oneDNN serves those convs.
        torch.globalContext().setUserEnabledNNPACK(false);
        return new RuntimeInfo(version("org.bytedeco", "pytorch"), version("org.bytedeco", "javacpp"),
                platform, torch.get_num_threads(), torch.cuda_is_available());
    }

    /** A positive integer setting from a system property, then an environment variable, then {@code dflt}. */
    private static int positive(String property, String env, int dflt) {
        String value = System.getProperty(property, System.getenv(env));
        if (value == null || value.isBlank()) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(value.trim());
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(property + " / " + env + " must be a positive integer, found '" + value + "'");
    }

    /** Intra-op thread count from {@code dw.threads} / {@code DW_THREADS}, default the available cores. */
    static int configuredThreads() {
        return positive("dw.threads", "DW_THREADS", Runtime.getRuntime().availableProcessors());
    }


    private static String version(String group, String artifact) {
        try {
            String v = Loader.getVersion(group, artifact);
            return v == null ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }
}
