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
 * The prepared GPU check ({@code dw-kernels/harness/gpu_check.sh}) in its host mode, as CI runs it: the harness built
 * with g++ (the same source, the kernels under the grid emulator), every contract case at blocks 32, 256 and each
 * kernel's maximum, and the verify cases against the harness's CPU reference, within two minutes. Without this, a
 * change to a kernel's parameters or to the script would be found only on a GPU node.
 */
class HarnessHostCheckTest {

    @Test
    void theGpuCheckScriptPassesInHostModeWithinTwoMinutes() throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/make")) && Files.isExecutable(Path.of("/usr/bin/g++"))
                && Files.isExecutable(Path.of("/bin/bash")), "bash, make and g++ are needed for the host mode of gpu_check.sh");
        Path out = Path.of("target", "gpu-check-host").toAbsolutePath();
        long start = System.nanoTime();
        Process p = new ProcessBuilder("bash", "harness/gpu_check.sh", "--host", "--out", out.toString())
                .redirectErrorStream(true).start();
        boolean done = p.waitFor(120, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(done, "gpu_check.sh --host did not finish in 120 s:\n" + text);
        assertEquals(0, p.exitValue(), text);
        long cases = ContractCasesTest.files().count();
        for (String block : new String[] {"32", "256", "max"}) {
            assertTrue(text.matches("(?s).*PASS contract block " + block + " +check: " + cases + " passed, 0 failed.*"), text);
        }
        assertTrue(text.matches("(?s).*PASS verify \\(small\\) vs CPU +verify: 9 passed, 0 failed.*"), text);
        assertTrue(text.contains("dw_gt_weights_f64=512"), text);
        assertTrue(text.contains("SKIP time vs PyTorch") && text.contains("SKIP compute-sanitizer"), text);
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(120));
    }
}
