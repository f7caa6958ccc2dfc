package dev.dwjava.kernels;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import dev.dwjava.kernels.host.HostLaunch;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the launchers this machine can use. The CUDA launcher exists only where libtorch sees a GPU, the jar carries
 * the fatbin and the module loads on the device; nothing here touches a CUDA class otherwise.
 */
public final class Kernels {
    private static final Logger LOG = LoggerFactory.getLogger(Kernels.class);

    /**
     * The kernels of the fatbin, in the order of {@code src/main/cuda/dw_kernel_list.h} (a test checks that the host
     * build lists the same); the CUDA launcher looks every one up when it loads the module.
     */
    public static final List<String> NAMES = List.of(
            "dw_pairwise_overlaps_f32", "dw_pairwise_overlaps_f64", "dw_pair_priors_f32", "dw_pair_priors_f64",
            "dw_nms_class_end", "dw_nms_mask_f32", "dw_nms_mask_f64", "dw_nms_gather_keep",
            "dw_count_inside_f32", "dw_count_inside_f64", "dw_collect_pairs_f32", "dw_collect_pairs_f64",
            "dw_gt_weights_f32", "dw_gt_weights_f64", "dw_neg_keep_f32", "dw_neg_keep_f64",
            "dw_neg_compact_f32", "dw_neg_compact_f64");

    private static volatile Boolean hostAvailable;
    private static final Map<Integer, Optional<KernelLauncher>> CUDA = new ConcurrentHashMap<>();

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

    /** The CUDA launcher for device 0; see {@link #cuda(int)}. */
    public static Optional<KernelLauncher> cuda() {
        return cuda(0);
    }

    /**
     * The CUDA launcher with its module loaded on {@code device}, when libtorch sees a GPU, the fatbin was built and
     * loads there; empty otherwise, after one log line saying why (the libtorch implementations then run). Decided
     * once per device.
     */
    public static Optional<KernelLauncher> cuda(int device) {
        return CUDA.computeIfAbsent(device, d -> {
            CudaChoice choice = decide(torch.cuda_is_available(), CudaKernelLauncher::readFatbin,
                    fatbin -> CudaKernelLauncher.load(fatbin, d), d, Kernels::hostAvailable);
            if (choice.launcher().isEmpty() && choice.reason() != null) {
                LOG.warn("{}", choice.reason());
            } else if (choice.launcher().isPresent()) {
                LOG.info("{}", choice.reason());
            }
            return choice.launcher();
        });
    }

    /** Loads a fatbin on a device, or throws {@link KernelException} with the driver's reason. */
    @FunctionalInterface
    interface ModuleLoader {
        KernelLauncher load(byte[] fatbin);
    }

    /** What {@link #decide} chose, and the one line that says why ({@code null} when there is no GPU at all). */
    record CudaChoice(Optional<KernelLauncher> launcher, String reason) {}

    /**
     * The decision behind {@link #cuda(int)}, with its inputs passed in so that it is tested without a GPU: no GPU →
     * no launcher, silently; no fatbin in the jar, no host library (whose launch layer plans the weighting's
     * launches), or a module that does not load (no code for the GPU's architecture, an old driver) → no launcher and
     * the reason; otherwise the loaded launcher.
     */
    static CudaChoice decide(boolean cudaAvailable, Supplier<byte[]> fatbin, ModuleLoader loader, int device,
                             BooleanSupplier launchLayer) {
        if (!cudaAvailable) {
            return new CudaChoice(Optional.empty(), null);
        }
        byte[] image = fatbin.get();
        if (image == null) {
            return new CudaChoice(Optional.empty(), "libtorch sees a GPU but dw-kernels was built without nvcc: the libtorch "
                    + "implementations run instead");
        }
        if (!launchLayer.getAsBoolean()) {
            return new CudaChoice(Optional.empty(), "dw-kernels has its CUDA fatbin but not its host library (the launch "
                    + "plans, built with g++): the libtorch implementations run instead");
        }
        try {
            return new CudaChoice(Optional.of(loader.load(image)), "dw-kernels: CUDA kernels loaded on cuda:" + device);
        } catch (KernelException | UnsatisfiedLinkError | NoClassDefFoundError e) {
            return new CudaChoice(Optional.empty(), "dw-kernels cannot load its CUDA kernels on cuda:" + device + " ("
                    + e.getMessage() + "): the libtorch implementations run instead");
        }
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
            return cuda(Math.max(t.device().index(), 0)).orElseThrow(() -> new KernelException("a CUDA tensor was given but no CUDA kernels are available"));
        }
        if (!hostAvailable()) {
            throw new KernelException("the host build of the kernels is not available (was the jar built without g++?)");
        }
        return new HostKernelLauncher();
    }
}
