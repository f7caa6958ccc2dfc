package dev.dwjava.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The host launcher for tests; the library must have been built (it is part of every build of this module). */
final class HostKernels {
    private HostKernels() {}

    static HostKernelLauncher launcher(int block) {
        assertTrue(Kernels.hostAvailable(), "the host build of the kernels did not load");
        return new HostKernelLauncher(block);
    }
}
