package dev.dwjava.core;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Ground truth in {@code ../shared/testdata} (beside the repository), too large to copy into the tree. Surefire passes
 * its location as {@code dw.testdata}; a missing folder fails the test with a message saying where it was looked for.
 */
public final class SharedTestData {
    private SharedTestData() {}

    /** The path of {@code name} under the shared test data, which must exist. */
    public static Path path(String name) {
        String root = System.getProperty("dw.testdata", "../shared/testdata");
        Path p = Path.of(root).resolve(name).normalize();
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("shared test data missing: " + p.toAbsolutePath()
                    + " (the repository expects ../shared/testdata beside it; set -Ddw.testdata=DIR otherwise)");
        }
        return p;
    }
}
