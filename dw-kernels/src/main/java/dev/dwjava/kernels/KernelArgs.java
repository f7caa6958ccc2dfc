package dev.dwjava.kernels;

import java.util.ArrayList;
import java.util.List;

import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Kernel parameters in cuLaunchKernel's convention: an array of pointers, each to one parameter's value. Both
 * launchers take this form, so the packing tested on the host is the packing used on the GPU.
 *
 * <p>Every tensor argument is checked when it is added: its element type must be the one the call site declares
 * (the kernel's parameter type), and it must be contiguous. Its device is recorded, and the launchers check that every
 * tensor lives where they run ({@link #requireCuda}, {@link #requireCpu}) before anything is launched. The signature
 * string (i int32, l int64, f float32, d float64 by value; F, D, I, L, B for pointers to float32, float64, int32,
 * int64 / uint64 and uint8) is checked against the kernel's declaration by the host registry.
 */
public final class KernelArgs implements AutoCloseable {
    private record TensorArg(String name, boolean cuda, boolean cpu, long deviceIndex, String device) {}

    private final StringBuilder signature = new StringBuilder();
    private final List<Pointer> values = new ArrayList<>();
    private final List<TensorArg> tensors = new ArrayList<>();
    private PointerPointer<?> packed;

    /**
     * A tensor's data pointer; the tensor must have element type {@code dtype}, be contiguous and stay alive until the
     * launch has completed.
     */
    public KernelArgs tensor(String name, Tensor t, ScalarType dtype) {
        ScalarType actual = t.scalar_type();
        if (actual.intern() != dtype.intern()) {
            throw new IllegalArgumentException("kernel argument " + name + " must be " + dtypeName(dtype) + " but is "
                    + dtypeName(actual) + " (shape " + Tensors.shapeOf(t) + ")");
        }
        if (t.numel() > 0 && !t.is_contiguous()) {
            throw new IllegalArgumentException("kernel argument " + name + " must be contiguous (a view of shape "
                    + Tensors.shapeOf(t) + " was given)");
        }
        boolean cuda = t.is_cuda();
        tensors.add(new TensorArg(name, cuda, t.is_cpu(), cuda ? t.device().index() : -1, t.device().str().getString()));
        Pointer data = t.numel() == 0 ? null : t.mutable_data_ptr();
        return add(pointerCode(dtype), new LongPointer(1).put(data == null ? 0L : data.address()));
    }

    public KernelArgs i32(int v) {
        return add('i', new IntPointer(1).put(v));
    }

    public KernelArgs i64(long v) {
        return add('l', new LongPointer(1).put(v));
    }

    public KernelArgs f64(double v) {
        return add('d', new DoublePointer(1).put(v));
    }

    /** A floating-point scalar of the kernel's element type ({@code float32} or {@code float64}). */
    public KernelArgs real(ScalarType dtype, double v) {
        return KernelDtype.of(dtype) == KernelDtype.F32 ? add('f', new FloatPointer(1).put((float) v)) : f64(v);
    }

    private KernelArgs add(char code, Pointer value) {
        signature.append(code);
        values.add(value);
        return this;
    }

    /** One character per parameter, in order. */
    public String signature() {
        return signature.toString();
    }

    /**
     * The CUDA device every tensor argument lives on.
     *
     * @throws IllegalArgumentException naming the first argument that is not a CUDA tensor, or two arguments on
     *                                  different CUDA devices
     */
    public int requireCuda(String kernel) {
        long device = -1;
        String first = null;
        for (TensorArg a : tensors) {
            if (!a.cuda()) {
                throw new IllegalArgumentException("kernel " + kernel + ": argument " + a.name() + " is on " + a.device()
                        + ", but the CUDA launcher needs every tensor on one CUDA device");
            }
            if (first == null) {
                first = a.name();
                device = a.deviceIndex();
            } else if (a.deviceIndex() != device) {
                throw new IllegalArgumentException("kernel " + kernel + ": argument " + a.name() + " is on " + a.device()
                        + " but " + first + " is on cuda:" + device + "; all tensors of a launch must share one device");
            }
        }
        if (first == null) {
            throw new IllegalArgumentException("kernel " + kernel + " has no tensor argument to take its device from");
        }
        return Math.toIntExact(device);
    }

    /** @throws IllegalArgumentException naming the first tensor argument that is not a CPU tensor */
    public void requireCpu(String kernel) {
        for (TensorArg a : tensors) {
            if (!a.cpu()) {
                throw new IllegalArgumentException("kernel " + kernel + ": argument " + a.name() + " is on " + a.device()
                        + ", but the host launcher runs on CPU tensors");
            }
        }
    }

    /** The {@code void**} array; valid until {@link #close()}. */
    public PointerPointer<?> pointers() {
        if (packed == null) {
            packed = new PointerPointer<>(values.size());
            for (int i = 0; i < values.size(); i++) {
                packed.put(i, values.get(i));
            }
        }
        return packed;
    }

    @Override
    public void close() {
        if (packed != null) {
            packed.close();
        }
        values.forEach(Pointer::close);
    }

    private static char pointerCode(ScalarType dtype) {
        switch (dtype.intern()) {
            case Float: return 'F';
            case Double: return 'D';
            case Int: return 'I';
            case Long: return 'L';
            case Byte: return 'B';
            default: throw new IllegalArgumentException("no kernel takes " + dtypeName(dtype) + " tensors");
        }
    }

    private static String dtypeName(ScalarType dtype) {
        switch (dtype.intern()) {
            case Float: return "float32";
            case Double: return "float64";
            case Int: return "int32";
            case Long: return "int64";
            case Byte: return "uint8";
            default: return String.valueOf(dtype);
        }
    }
}
