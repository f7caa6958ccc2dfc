package dev.dwjava.core.runtime;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch;

/**
 * Where the network runs: {@code cpu}, {@code cuda} (the current or, in a distributed run, the local rank's GPU) or
 * {@code cuda:N}. Parsing never touches CUDA; {@link #requireAvailable()} says clearly when a GPU was asked for but
 * libtorch has none (a CPU build, or no driver).
 *
 * @param cuda  whether this is a CUDA device
 * @param index the GPU index, or −1 for "the local rank's / current one"
 */
public record ComputeDevice(boolean cuda, int index) {
    public static final ComputeDevice CPU = new ComputeDevice(false, -1);

    /** Parses {@code cpu}, {@code cuda} or {@code cuda:N}; {@code null} means cpu. */
    public static ComputeDevice parse(String spec) {
        if (spec == null || spec.strip().equalsIgnoreCase("cpu")) {
            return CPU;
        }
        String s = spec.strip().toLowerCase(java.util.Locale.ROOT);
        if (s.equals("cuda")) {
            return new ComputeDevice(true, -1);
        }
        if (s.startsWith("cuda:")) {
            try {
                int i = Integer.parseInt(s.substring(5));
                if (i >= 0) {
                    return new ComputeDevice(true, i);
                }
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw new IllegalArgumentException("device must be cpu, cuda or cuda:N, found '" + spec + "'");
    }

    /** In a distributed run each process drives the GPU of its local rank unless an index was given. */
    public ComputeDevice forLocalRank(int localRank) {
        return cuda && index < 0 ? new ComputeDevice(true, localRank) : this;
    }

    /** Throws a clear error when a GPU is asked for and libtorch cannot provide it. */
    public ComputeDevice requireAvailable() {
        if (!cuda) {
            return this;
        }
        if (!torch.cuda_is_available()) {
            throw new IllegalArgumentException("device " + this + " was requested but libtorch sees no CUDA device (use the GPU "
                    + "build, mvn -Pgpu, on a machine with an NVIDIA driver; or set runtime.device: cpu)");
        }
        int count = torch.cuda_device_count();
        if (index >= count) {
            throw new IllegalArgumentException("device " + this + " was requested but only " + count + " GPU(s) are visible");
        }
        return this;
    }

    /** The libtorch device. */
    public Device torchDevice() {
        return cuda ? new Device(torch.DeviceType.CUDA, (byte) Math.max(index, 0)) : new Device(torch.DeviceType.CPU);
    }

    @Override
    public String toString() {
        return cuda ? (index < 0 ? "cuda" : "cuda:" + index) : "cpu";
    }
}
