package dev.dwjava.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The standalone GPU harness ({@code dw-kernels/harness}) keeps up with the kernels: its host build (the same source,
 * g++ and the grid emulator) passes every contract case. Without this, a change to a kernel's parameters would be
 * found only on a GPU node.
 */
class HarnessHostCheckTest {

    @Test
    void hostBuildOfTheHarnessPassesTheContractCases() throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/make")) && Files.isExecutable(Path.of("/usr/bin/g++")),
                "make and g++ are needed to build the harness");
        Path cases = Path.of(ContractCases.RESOURCE_DIR).toAbsolutePath();
        Process p = new ProcessBuilder("make", "-s", "-C", "harness", "host-check", "CASES=" + cases)
                .redirectErrorStream(true).start();
        boolean done = p.waitFor(300, TimeUnit.SECONDS);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(done, "harness host-check did not finish in 300 s:\n" + out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("check: " + ContractCasesTest.files().count() + " passed, 0 failed"), out);
    }
}
