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
 * </ul>
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
                            + ". dw-java needs linux-x86_64 with glibc >= 2.28 (CPU build) or, with -Pgpu,"
                            + " CUDA 13 + cuDNN 9 + NCCL 2 installed. Check that ~/.javacpp/cache is writable.",
                    e);
        }
        int threads = configuredThreads();
        torch.set_num_threads(threads);
        // NNPACK prints "Could not initialize NNPACK" on CPUs it does not support; oneDNN serves those convs.
        torch.globalContext().setUserEnabledNNPACK(false);
        return new RuntimeInfo(version("org.bytedeco", "pytorch"), version("org.bytedeco", "javacpp"),
                platform, torch.get_num_threads(), torch.cuda_is_available());
    }

    /** Intra-op thread count from {@code dw.threads} / {@code DW_THREADS}, default the available cores. */
    static int configuredThreads() {
        String value = System.getProperty("dw.threads", System.getenv("DW_THREADS"));
        if (value == null || value.isBlank()) {
            return Runtime.getRuntime().availableProcessors();
        }
        try {
            int n = Integer.parseInt(value.trim());
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("dw.threads / DW_THREADS must be a positive integer, found '" + value + "'");
        }
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
