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
 * launchers take this form, so the packing tested on the host is the packing used on the GPU. The signature string
 * (p pointer, i int32, l int64, f float32, d float64) is checked against the kernel's declaration before launch.
 */
public final class KernelArgs implements AutoCloseable {
    private final StringBuilder signature = new StringBuilder();
    private final List<Pointer> values = new ArrayList<>();
    private PointerPointer<?> packed;

    /** A tensor's data pointer; the tensor must be contiguous and stay alive until the launch has completed. */
    public KernelArgs tensor(String name, Tensor t) {
        if (t.numel() > 0 && !t.is_contiguous()) {
            throw new IllegalArgumentException("kernel argument " + name + " must be contiguous (a view of shape "
                    + Tensors.shapeOf(t) + " was given)");
        }
        return add('p', new LongPointer(1).put(t.numel() == 0 ? 0L : t.mutable_data_ptr().address()));
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
}
