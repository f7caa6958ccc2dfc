package dev.dwjava.core.tensor;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Small conveniences over the JavaCPP libtorch API: making tensors from Java arrays, reading them back, scalars and
 * shape checks with messages that name the tensor. All results attach to the caller's {@code PointerScope}.
 */
public final class Tensors {
    private Tensors() {}

    /** A copy of {@code data} with the given shape and dtype (float32 or float64). */
    public static Tensor of(double[] data, ScalarType dtype, long... shape) {
        Tensor t = Tensor.create(data, shape);
        return dtype == ScalarType.Double ? t : t.to(dtype);
    }

    /** An int64 tensor copied from {@code data}. */
    public static Tensor ofLongs(long[] data, long... shape) {
        return Tensor.create(data, shape);
    }

    /** The elements of {@code t} as doubles, row-major (copied from the GPU when {@code t} lives there). */
    public static double[] toDoubles(Tensor t) {
        Tensor c = t.cpu().to(ScalarType.Double).contiguous();
        double[] out = new double[(int) c.numel()];
        if (out.length > 0) {
            c.data_ptr_double().get(out);
        }
        return out;
    }

    /** The elements of {@code t} as floats, row-major (copied from the GPU when {@code t} lives there). */
    public static float[] toFloats(Tensor t) {
        Tensor c = t.cpu().to(ScalarType.Float).contiguous();
        float[] out = new float[(int) c.numel()];
        if (out.length > 0) {
            c.data_ptr_float().get(out);
        }
        return out;
    }

    /** The elements of {@code t} as longs, row-major (copied from the GPU when {@code t} lives there). */
    public static long[] toLongs(Tensor t) {
        Tensor c = t.cpu().to(ScalarType.Long).contiguous();
        long[] out = new long[(int) c.numel()];
        if (out.length > 0) {
            c.data_ptr_long().get(out);
        }
        return out;
    }

    /** A floating libtorch scalar. */
    public static Scalar s(double v) {
        return new Scalar(v);
    }

    /** An integral libtorch scalar: integer tensors combined with it stay integer (a double scalar would promote). */
    public static Scalar s(long v) {
        return new Scalar(v);
    }

    /** {@code t} clamped to {@code [lo, hi]}. */
    public static Tensor clamp(Tensor t, double lo, double hi) {
        return t.clamp(new ScalarOptional(new Scalar(lo)), new ScalarOptional(new Scalar(hi)));
    }

    /** Options for a dtype on the device of {@code like}. */
    public static TensorOptions optionsLike(Tensor like, ScalarType dtype) {
        return like.options().dtype(new ScalarTypeOptional(dtype));
    }

    /** A new uninitialised tensor with the given options (every element must be written before it is read). */
    public static Tensor empty(TensorOptions options, long... shape) {
        return torch.empty(shape, options, new org.bytedeco.pytorch.MemoryFormatOptional());
    }

    /** A new zero-filled tensor with the dtype and device of {@code like}. */
    public static Tensor zeros(Tensor like, long... shape) {
        return torch.zeros(shape, like.options());
    }

    /** A new tensor filled with {@code value}, with the dtype and device of {@code like}. */
    public static Tensor full(Tensor like, double value, long... shape) {
        return torch.full(shape, new Scalar(value), like.options());
    }

    /** Column {@code k} of a 2-D tensor, shape (N). */
    public static Tensor col(Tensor t, long k) {
        return t.select(1, k);
    }

    /** Checks that {@code t} is 2-D with {@code cols} columns; the message names the tensor. */
    public static void requireRows(Tensor t, long cols, String name) {
        if (t.dim() != 2 || t.size(1) != cols) {
            throw new IllegalArgumentException(name + " must have shape (N, " + cols + "), found " + shapeOf(t));
        }
    }

    /** Checks that {@code t} has exactly the given shape; the message names the tensor. */
    public static void requireShape(Tensor t, String name, long... shape) {
        if (!java.util.Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(name + " must have shape " + java.util.Arrays.toString(shape)
                    + ", found " + shapeOf(t));
        }
    }

    /** Shape as text, e.g. {@code [2, 4]}. */
    public static String shapeOf(Tensor t) {
        return java.util.Arrays.toString(t.shape());
    }

    /** True for float32 and float64. */
    public static boolean isFloating(Tensor t) {
        return hasType(t, ScalarType.Float) || hasType(t, ScalarType.Double);
    }

    /**
     * Whether {@code t} has dtype {@code type}. Compare dtypes with this, never with {@code ==}: JavaCPP returns a
     * fresh enum object from native calls, so identity comparison fails.
     */
    public static boolean hasType(Tensor t, ScalarType type) {
        return t.scalar_type().value == type.value;
    }
}
