package dev.dwjava.kernels;

import static org.bytedeco.cuda.global.cudart.CUDA_SUCCESS;
import static org.bytedeco.cuda.global.cudart.CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK;
import static org.bytedeco.cuda.global.cudart.cuCtxPopCurrent;
import static org.bytedeco.cuda.global.cudart.cuCtxPushCurrent;
import static org.bytedeco.cuda.global.cudart.cuDeviceGet;
import static org.bytedeco.cuda.global.cudart.cuDevicePrimaryCtxRetain;
import static org.bytedeco.cuda.global.cudart.cuFuncGetAttribute;
import static org.bytedeco.cuda.global.cudart.cuGetErrorName;
import static org.bytedeco.cuda.global.cudart.cuGetErrorString;
import static org.bytedeco.cuda.global.cudart.cuInit;
import static org.bytedeco.cuda.global.cudart.cuLaunchKernel;
import static org.bytedeco.cuda.global.cudart.cuModuleGetFunction;
import static org.bytedeco.cuda.global.cudart.cuModuleLoadData;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.bytedeco.cuda.cudart.CUctx_st;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch_cuda;

/**
 * Launches the fatbin's kernels with the CUDA driver API, reading and writing libtorch CUDA tensors in place. A launch
 * runs on the device its tensor arguments live on (all of them must share one; checked before any CUDA call), in
 * that device's primary context (libtorch's, pushed for the launch and popped after, so the thread's current context is
 * left as it was) and on libtorch's current stream of that device.
 *
 * <p>The module is loaded, and every kernel of {@link Kernels#NAMES} looked up with its
 * {@code CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK}, when the launcher is created for its home device ({@link #load});
 * {@link Kernels#cuda(int)} falls back to libtorch when that fails. Other devices load on their first launch.
 */
public final class CudaKernelLauncher implements KernelLauncher {
    static final String FATBIN_RESOURCE = "/dev/dwjava/kernels/dw_kernels.fatbin";

    /** One device's context, module and functions. */
    private record Loaded(CUctx_st context, CUmod_st module, Map<String, CUfunc_st> functions, Map<String, Integer> maxThreads) {}

    private final byte[] fatbin;
    private final int home;
    private final Map<Integer, Loaded> devices = new ConcurrentHashMap<>();

    private CudaKernelLauncher(byte[] fatbin, int home) {
        this.fatbin = fatbin;
        this.home = home;
    }

    /**
     * Initialises the driver and loads the module and every kernel on {@code device}.
     *
     * @throws KernelException with the driver's reason (e.g. {@code CUDA_ERROR_NO_BINARY_FOR_GPU} when the fatbin has
     *                         no code for this GPU's architecture)
     */
    static CudaKernelLauncher load(byte[] fatbin, int device) {
        check(cuInit(0), "cuInit");
        CudaKernelLauncher launcher = new CudaKernelLauncher(fatbin, device);
        launcher.loaded(device);
        return launcher;
    }

    /** Reads the fatbin resource, or returns {@code null} when the jar was built without nvcc. */
    static byte[] readFatbin() {
        try (InputStream in = CudaKernelLauncher.class.getResourceAsStream(FATBIN_RESOURCE)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new KernelException("cannot read " + FATBIN_RESOURCE, e);
        }
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public boolean accepts(Tensor t) {
        return t.is_cuda();
    }

    @Override
    public int defaultBlock() {
        return 256;
    }

    /** The limit on the home device (the one this launcher was created for). */
    @Override
    public int maxThreads(String kernel) {
        Integer max = loaded(home).maxThreads().get(kernel);
        if (max == null) {
            throw new KernelException("no kernel named " + kernel + " in dw_kernels.fatbin");
        }
        return max;
    }

    @Override
    public void launch(String kernel, long gridX, long gridY, int block, KernelArgs args) {
        int device = preflight(kernel, args);
        Loaded d = loaded(device);
        CUfunc_st fn = d.functions().get(kernel);
        if (fn == null) {
            throw new KernelException("no kernel named " + kernel + " in dw_kernels.fatbin");
        }
        KernelLauncher.checkBlock(kernel, block, d.maxThreads().get(kernel));
        CUstream_st raw = torch_cuda.getCurrentCUDAStream((byte) device).stream();
        check(cuCtxPushCurrent(d.context()), "cuCtxPushCurrent(device " + device + ")");
        try {
            check(cuLaunchKernel(fn, Math.toIntExact(gridX), Math.toIntExact(gridY), 1, block, 1, 1, 0, raw,
                    args.pointers(), (PointerPointer<?>) null), "cuLaunchKernel(" + kernel + ")");
        } finally {
            try (CUctx_st popped = new CUctx_st()) {
                check(cuCtxPopCurrent(popped), "cuCtxPopCurrent");
            }
        }
    }

    /**
     * Everything checked before a CUDA call, without one (so it is tested on machines without a GPU): every tensor
     * argument on one CUDA device (whose index is returned), and, where the host build is loaded, the argument kinds
     * and element types against the kernel's declaration.
     */
    static int preflight(String kernel, KernelArgs args) {
        int device = args.requireCuda(kernel);
        String expected = Kernels.hostAvailable() ? HostKernelLauncher.signatureOf(kernel) : null;
        if (expected != null && !expected.equals(args.signature())) {
            throw new IllegalArgumentException("kernel " + kernel + " takes parameters (" + expected
                    + ") but the launch passed (" + args.signature() + ")");
        }
        return device;
    }

    private Loaded loaded(int device) {
        return devices.computeIfAbsent(device, this::loadOn);
    }

    private Loaded loadOn(int device) {
        CUctx_st context;
        try (IntPointer dev = new IntPointer(1)) {
            check(cuDeviceGet(dev, device), "cuDeviceGet(" + device + ")");
            context = new CUctx_st();
            check(cuDevicePrimaryCtxRetain(context, dev.get()), "cuDevicePrimaryCtxRetain(" + device + ")");
        }
        check(cuCtxPushCurrent(context), "cuCtxPushCurrent(device " + device + ")");
        try {
            CUmod_st module = new CUmod_st();
            try (BytePointer image = new BytePointer(fatbin)) {
                check(cuModuleLoadData(module, image), "cuModuleLoadData(dw_kernels.fatbin) on device " + device);
            }
            Map<String, CUfunc_st> functions = new HashMap<>();
            Map<String, Integer> maxThreads = new HashMap<>();
            int[] value = new int[1];
            for (String name : Kernels.NAMES) {
                CUfunc_st fn = new CUfunc_st();
                check(cuModuleGetFunction(fn, module, name), "cuModuleGetFunction(" + name + ")");
                check(cuFuncGetAttribute(value, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, fn),
                        "cuFuncGetAttribute(MAX_THREADS_PER_BLOCK, " + name + ")");
                functions.put(name, fn);
                maxThreads.put(name, value[0]);
            }
            return new Loaded(context, module, Map.copyOf(functions), Map.copyOf(maxThreads));
        } finally {
            try (CUctx_st popped = new CUctx_st()) {
                check(cuCtxPopCurrent(popped), "cuCtxPopCurrent");
            }
        }
    }

    private static void check(int rc, String what) {
        if (rc != CUDA_SUCCESS) {
            String name, message;
            try (BytePointer text = new BytePointer((BytePointer) null); BytePointer code = new BytePointer((BytePointer) null)) {
                message = cuGetErrorString(rc, text) == CUDA_SUCCESS && !text.isNull() ? text.getString() : "error " + rc;
                name = cuGetErrorName(rc, code) == CUDA_SUCCESS && !code.isNull() ? code.getString() : "CUresult " + rc;
            }
            throw new KernelException(what + " failed: " + name + " (" + message + ")");
        }
    }
}
