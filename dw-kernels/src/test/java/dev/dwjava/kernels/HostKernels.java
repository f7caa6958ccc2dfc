package dev.dwjava.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The host launcher for tests. The build makes the host library wherever {@code /usr/bin/g++} exists (CI machines);
 * there its absence is a failure, elsewhere the tests that need it are skipped with a message.
 */
final class HostKernels {
    private HostKernels() {}

    static HostKernelLauncher launcher(int block) {
        if (!Kernels.hostAvailable()) {
            boolean compilerPresent = Files.isExecutable(Path.of("/usr/bin/g++"));
            assumeTrue(compilerPresent, "no C++ compiler at /usr/bin/g++: the host build of the kernels was skipped");
            assertTrue(false, "g++ is present but the host build of the kernels did not load (see the build log)");
        }
        return new HostKernelLauncher(block);
    }
}
