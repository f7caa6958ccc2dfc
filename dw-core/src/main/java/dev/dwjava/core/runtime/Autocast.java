package dev.dwjava.core.runtime;

import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * libtorch's autocast for one device type on this thread, for the span of a try-with-resources block (PyTorch's
 * {@code torch.autocast} context): the previous state comes back on {@link #close}, and the cache of casted weights is
 * dropped when the outermost block ends (as the Python context does), so no bf16 copy outlives the step.
 */
public final class Autocast implements AutoCloseable {
    private static final Autocast NONE = new Autocast(null, false, null);
    private final DeviceType type;
    private final boolean wasEnabled;
    private final ScalarType previousType;

    private Autocast(DeviceType type, boolean wasEnabled, ScalarType previousType) {
        this.type = type;
        this.wasEnabled = wasEnabled;
        this.previousType = previousType;
    }

    /** Autocast to {@code precision}'s dtype on {@code device}; {@link Precision#OFF} changes nothing. */
    public static Autocast enter(Precision precision, ComputeDevice device) {
        if (precision == Precision.OFF) {
            return NONE;
        }
        DeviceType type = device.cuda() ? DeviceType.CUDA : DeviceType.CPU;
        Autocast previous = new Autocast(type, torch.is_autocast_enabled(type), torch.get_autocast_dtype(type));
        torch.set_autocast_dtype(type, precision.autocastType());
        torch.set_autocast_enabled(type, true);
        torch.increment_nesting();
        return previous;
    }

    @Override
    public void close() {
        if (type == null) {
            return;
        }
        if (torch.decrement_nesting() == 0) {
            torch.clear_cache();
        }
        torch.set_autocast_enabled(type, wasEnabled);
        torch.set_autocast_dtype(type, previousType);
    }
}
