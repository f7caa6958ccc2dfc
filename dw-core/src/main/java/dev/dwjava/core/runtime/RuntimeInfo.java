package dev.dwjava.core.runtime;

/**
 * What {@link Torch#init()} loaded.
 *
 * @param pytorchVersion JavaCPP presets version of libtorch, e.g. {@code 2.13.0-1.5.14}
 * @param javacppVersion JavaCPP runtime version
 * @param platform       native platform, e.g. {@code linux-x86_64}
 * @param threads        intra-op threads in use
 * @param cudaAvailable  whether libtorch sees a CUDA device
 */
public record RuntimeInfo(String pytorchVersion, String javacppVersion, String platform, int threads,
                          boolean cudaAvailable) {
    @Override
    public String toString() {
        return "libtorch " + pytorchVersion + " (javacpp " + javacppVersion + ", " + platform + "), "
                + threads + " intra-op threads, CUDA " + (cudaAvailable ? "available" : "not available");
    }
}
