package dev.dwjava.train.engine;

import dev.dwjava.core.runtime.ComputeDevice;
import org.bytedeco.pytorch.cuda.DeviceStats;
import org.bytedeco.pytorch.global.torch_cuda;

/** GPU memory as libtorch's caching allocator counts it ({@code torch.cuda.memory_allocated} in PyTorch). */
final class CudaMemory {
    private CudaMemory() {}

    /** Bytes held by live tensors on {@code device} now; -1 for a CPU device. */
    static long allocatedBytes(ComputeDevice device) {
        if (device == null || !device.cuda()) {
            return -1;
        }
        byte index = (byte) (device.index() >= 0 ? device.index() : torch_cuda.current_device());
        try (DeviceStats stats = torch_cuda.getAllocator().getDeviceStats(index)) {
            return stats.allocated_bytes().current();   // the first of the stat array: all pools together
        }
    }
}
