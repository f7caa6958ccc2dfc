package dev.dwjava.core.runtime;

import java.util.Locale;

import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The precision of the model's forward ({@code runtime.amp}): {@link #OFF} is fp32 throughout; {@link #BF16} and
 * {@link #FP16} run the forward under libtorch's autocast (convolutions and matrix products in the lower precision,
 * the weights stay fp32 masters). The DW assignment and loss always run in fp32 (docs/DW_SPEC.md).
 */
public enum Precision {
    OFF(null),
    BF16(ScalarType.BFloat16),
    FP16(ScalarType.Half);

    private final ScalarType autocastType;

    Precision(ScalarType autocastType) {
        this.autocastType = autocastType;
    }

    /** The autocast dtype, or null for {@link #OFF}. */
    public ScalarType autocastType() {
        return autocastType;
    }

    /** Whether the backward needs a loss scale so that small fp16 gradients do not flush to zero. */
    public boolean needsLossScaling() {
        return this == FP16;
    }

    /**
     * {@code off}, {@code bf16} or {@code fp16} (case-insensitive; {@code false}, {@code fp32} and {@code null} mean off).
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static Precision parse(String spec) {
        if (spec == null) {
            return OFF;
        }
        switch (spec.strip().toLowerCase(Locale.ROOT)) {
            case "off", "false", "fp32", "float32", "none":
                return OFF;
            case "bf16", "bfloat16":
                return BF16;
            case "fp16", "float16", "half":
                return FP16;
            default:
                throw new IllegalArgumentException("amp must be off, bf16, fp16 or auto, found '" + spec + "'");
        }
    }

    /**
     * As {@link #parse(String)}, and {@code auto} (what {@code --amp} alone gives) is {@link #defaultFor} the device.
     */
    public static Precision parse(String spec, ComputeDevice device) {
        if (spec != null && spec.strip().equalsIgnoreCase("auto")) {
            return defaultFor(device);
        }
        return parse(spec);
    }

    /**
     * The precision {@code --amp} without a value means on {@code device}: fp16 on a GPU (what mmdetection's
     * {@code --amp} does), bf16 on a CPU.
     */
    public static Precision defaultFor(ComputeDevice device) {
        return device.cuda() ? FP16 : BF16;
    }

    /**
     * Refuses a precision the device cannot run: fp16 autocast on a CPU (oneDNN has no fp16 convolutions on most
     * processors, and the loss scaler is a CUDA habit).
     */
    public Precision requireSupportedOn(ComputeDevice device) {
        if (this == FP16 && !device.cuda()) {
            throw new IllegalArgumentException("runtime.amp: fp16 needs a CUDA device; on a CPU use bf16 (or off)");
        }
        return this;
    }

    /** Whether this CPU computes bf16 natively (AVX-512 BF16 or AMX); elsewhere oneDNN emulates it, slower than fp32. */
    public static boolean cpuHasBf16() {
        try {
            String info = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/cpuinfo"));
            return info.contains(" avx512_bf16") || info.contains(" amx_bf16");
        } catch (java.io.IOException | RuntimeException e) {
            return false;   // not Linux, or unreadable: say nothing is known
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
