package dev.dwjava.kernels;

import java.util.Optional;

import dev.dwjava.kernels.host.HostLaunch;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the launchers this machine can use. The CUDA launcher exists only where libtorch sees a GPU and the jar
 * carries the fatbin; nothing here touches a CUDA class otherwise.
 */
public final class Kernels {
    private static final Logger LOG = LoggerFactory.getLogger(Kernels.class);
    private static volatile Boolean hostAvailable;
    private static volatile Optional<KernelLauncher> cuda;

    private Kernels() {}

    /** Whether the host build of the kernels (a JNI library built with the jar) loads here. */
    public static boolean hostAvailable() {
        if (hostAvailable == null) {
            synchronized (Kernels.class) {
                if (hostAvailable == null) {
                    try {
                        HostLaunch.load();
                        hostAvailable = true;
                    } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
                        LOG.warn("host build of the kernels is not available: {}", e.getMessage());
                        hostAvailable = false;
                    }
                }
            }
        }
        return hostAvailable;
    }

    /** The CUDA launcher, when libtorch sees a GPU and the fatbin was built. */
    public static Optional<KernelLauncher> cuda() {
        if (cuda == null) {
            synchronized (Kernels.class) {
                if (cuda == null) {
                    cuda = detectCuda();
                }
            }
        }
        return cuda;
    }

    private static Optional<KernelLauncher> detectCuda() {
        if (!torch.cuda_is_available()) {
            return Optional.empty();
        }
        byte[] fatbin = CudaKernelLauncher.readFatbin();
        if (fatbin == null) {
            LOG.warn("libtorch sees a GPU but dw-kernels was built without nvcc: the libtorch implementations run instead");
            return Optional.empty();
        }
        return Optional.of(new CudaKernelLauncher(fatbin));
    }

    /** One line for {@code dw version}: which builds of the kernels this jar carries and can use here. */
    public static String describe() {
        byte[] fatbin = CudaKernelLauncher.readFatbin();
        String device = fatbin == null ? "no CUDA fatbin (built without nvcc)" : "CUDA fatbin " + fatbin.length / 1024 + " KiB (sm_80, sm_90, PTX)";
        return device + "; host build " + (hostAvailable() ? "loaded" : "not available");
    }

    /** The launcher that runs where {@code t} lives: CUDA for CUDA tensors, the host emulation for CPU tensors. */
    public static KernelLauncher forTensor(Tensor t) {
        if (t.is_cuda()) {
            return cuda().orElseThrow(() -> new KernelException("a CUDA tensor was given but no CUDA kernels are available"));
        }
        if (!hostAvailable()) {
            throw new KernelException("the host build of the kernels is not available (was the jar built without g++?)");
        }
        return new HostKernelLauncher();
    }
}
