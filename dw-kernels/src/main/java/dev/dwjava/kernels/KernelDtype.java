package dev.dwjava.kernels;

import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** The floating-point element types the kernels are instantiated for, and their kernel-name suffixes. */
enum KernelDtype {
    F32("f32"), F64("f64");

    final String suffix;

    KernelDtype(String suffix) {
        this.suffix = suffix;
    }

    static KernelDtype of(ScalarType t) {
        if (t == null) {
            throw new IllegalArgumentException("no dtype");
        }
        switch (t.intern()) {
            case Float: return F32;
            case Double: return F64;
            default: throw new IllegalArgumentException("kernels take float32 or float64 tensors, found " + t);
        }
    }

    static KernelDtype of(Tensor t, String name) {
        try {
            return of(t.scalar_type());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage() + " (shape " + Tensors.shapeOf(t) + ")");
        }
    }

    String kernel(String base) {
        return base + "_" + suffix;
    }
}
