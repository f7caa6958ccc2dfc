package dev.dwjava.model.nn;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JNI binding of {@code src/main/native/dw_winograd.h}, generated and compiled by JavaCPP during the Maven build where
 * g++ exists (dw-model's {@code native-conv} profile). Addresses are tensors' data pointers. Use {@link WinogradConv}.
 */
@Platform(include = "dw_winograd.h", compiler = "cpp17")
final class WinogradNative {
    private WinogradNative() {}

    /** Loads the library; throws {@link UnsatisfiedLinkError} when it was not built. */
    static void load() {
        Loader.load(WinogradNative.class);
    }

    /** 1 where the CPU has AVX2 and FMA. */
    static native int dw_wino_supported();

    /**
     * The contraction's instruction set: request 1 for AVX2, 2 for AVX-512 (granted where the CPU has it), 0 to leave
     * it; returns the one in use.
     */
    static native int dw_wino_contraction_isa(int request);

    /** Floats of the transformed weights of a K × C × 3 × 3 convolution. */
    static native long dw_wino_packed_size(int c, int k);

    /** Transforms weights (K, C, 3, 3) at {@code g} into {@code u}; 0, or −1 with a message in {@code err}. */
    static native int dw_wino_pack_weights(@Cast("const float*") long g, int k, int c, @Cast("float*") long u,
                                           int threads, @Cast("char*") byte[] err, int errCapacity);

    /** Transforms weights (K, C, 3, 3) turned over into {@code u}, the convolution of the output's gradient. */
    static native int dw_wino_pack_weights_transposed(@Cast("const float*") long g, int k, int c, @Cast("float*") long u,
                                                      int threads, @Cast("char*") byte[] err, int errCapacity);

    /**
     * The weights' gradient (K, C, 3, 3) into {@code dg}, summed over {@code inputs} channels-last inputs ({@code x}) and
     * their outputs' gradients ({@code dy}). 0, or −1 with a message.
     */
    static native int dw_wino_conv3x3_grad_weight(int inputs, @Cast("const int64_t*") long[] x,
                                                  @Cast("const int64_t*") long[] dy, @Cast("const int*") int[] h,
                                                  @Cast("const int*") int[] w, int n, int c, int k,
                                                  @Cast("float*") long dg, int threads, @Cast("char*") byte[] err,
                                                  int errCapacity);

    /**
     * Convolves {@code inputs} channels-last inputs of {@code n} images (addresses {@code x}, sizes {@code h} × {@code w},
     * {@code c} channels) into the outputs at {@code y} (K channels); bias address or 0. 0, or −1 with a message.
     */
    static native int dw_wino_conv3x3(int inputs, @Cast("const int64_t*") long[] x, @Cast("const int*") int[] h,
                                      @Cast("const int*") int[] w, int n, int c, int k, @Cast("const float*") long u,
                                      @Cast("const float*") long bias, @Cast("const int64_t*") long[] y, int threads,
                                      @Cast("char*") byte[] err, int errCapacity);
}
