package dev.dwjava.kernels;

import static org.bytedeco.cuda.global.cudart.CUDA_SUCCESS;
import static org.bytedeco.cuda.global.cudart.cuCtxSetCurrent;
import static org.bytedeco.cuda.global.cudart.cuDeviceGet;
import static org.bytedeco.cuda.global.cudart.cuDevicePrimaryCtxRetain;
import static org.bytedeco.cuda.global.cudart.cuGetErrorString;
import static org.bytedeco.cuda.global.cudart.cuInit;
import static org.bytedeco.cuda.global.cudart.cuLaunchKernel;
import static org.bytedeco.cuda.global.cudart.cuModuleGetFunction;
import static org.bytedeco.cuda.global.cudart.cuModuleLoadData;

import java.io.IOException;
import java.io.InputStream;
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
import org.bytedeco.pytorch.cuda.CUDAStream;
import org.bytedeco.pytorch.global.torch_cuda;

/**
 * Launches the fatbin's kernels with the CUDA driver API on libtorch's current stream, reading and writing libtorch
 * CUDA tensors in place. The module is loaded once per device into the primary context that libtorch uses.
 *
 * <p>Only {@link Kernels#cuda()} creates this class, after checking that libtorch sees a GPU and the jar carries a
 * fatbin, so the CUDA classes are never touched on machines without CUDA.
 */
public final class CudaKernelLauncher implements KernelLauncher {
    static final String FATBIN_RESOURCE = "/dev/dwjava/kernels/dw_kernels.fatbin";

    private final byte[] fatbin;
    private final Map<Integer, CUmod_st> modules = new ConcurrentHashMap<>();
    private final Map<Integer, CUctx_st> contexts = new ConcurrentHashMap<>();
    private final Map<String, CUfunc_st> functions = new ConcurrentHashMap<>();

    CudaKernelLauncher(byte[] fatbin) {
        this.fatbin = fatbin;
        check(cuInit(0), "cuInit");
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

    @Override
    public void launch(String kernel, long gridX, long gridY, int block, KernelArgs args) {
        String expected = Kernels.hostAvailable() ? HostKernelLauncher.signatureOf(kernel) : null;
        if (expected != null && !expected.equals(args.signature())) {
            throw new KernelException("kernel " + kernel + " takes parameters (" + expected + ") but the launch passed ("
                    + args.signature() + ")");
        }
        CUDAStream stream = torch_cuda.getCurrentCUDAStream();
        int device = stream.device_index();
        // A module's functions belong to the context it was loaded in: make that device's primary context (the one
        // libtorch uses) current on this thread before launching.
        check(cuCtxSetCurrent(context(device)), "cuCtxSetCurrent(device " + device + ")");
        CUfunc_st fn = function(device, kernel);
        CUstream_st raw = stream.stream();
        check(cuLaunchKernel(fn, Math.toIntExact(gridX), Math.toIntExact(gridY), 1, block, 1, 1, 0, raw,
                args.pointers(), (PointerPointer<?>) null), "cuLaunchKernel(" + kernel + ")");
    }

    private CUfunc_st function(int device, String kernel) {
        return functions.computeIfAbsent(device + ":" + kernel, key -> {
            CUfunc_st fn = new CUfunc_st();
            check(cuModuleGetFunction(fn, module(device), kernel), "cuModuleGetFunction(" + kernel + ")");
            return fn;
        });
    }

    private CUmod_st module(int device) {
        return modules.computeIfAbsent(device, d -> {
            CUmod_st module = new CUmod_st();
            try (BytePointer image = new BytePointer(fatbin)) {
                check(cuModuleLoadData(module, image), "cuModuleLoadData(dw_kernels.fatbin) on device " + d);
            }
            return module;
        });
    }

    /** The device's primary context (libtorch's), retained once for the life of the launcher. */
    private CUctx_st context(int device) {
        return contexts.computeIfAbsent(device, d -> {
            try (IntPointer dev = new IntPointer(1)) {
                check(cuDeviceGet(dev, d), "cuDeviceGet(" + d + ")");
                CUctx_st primary = new CUctx_st();
                check(cuDevicePrimaryCtxRetain(primary, dev.get()), "cuDevicePrimaryCtxRetain(" + d + ")");
                return primary;
            }
        });
    }

    private static void check(int rc, String what) {
        if (rc != CUDA_SUCCESS) {
            String message;
            try (BytePointer text = new BytePointer((BytePointer) null)) {
                message = cuGetErrorString(rc, text) == CUDA_SUCCESS && !text.isNull() ? text.getString() : "error " + rc;
            }
            throw new KernelException(what + " failed: " + message);
        }
    }
}
