package dev.dwjava.core;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Ground truth committed under {@code testdata/} at the repository root (see {@code testdata/README.md}). It is found
 * by walking up from the working directory, so tests run the same from a module (Maven), the root or an IDE.
 */
public final class TestData {
    private TestData() {}

    /** The {@code testdata/} folder of the repository that contains the working directory. */
    public static Path root() {
        Path start = Path.of("").toAbsolutePath();
        for (Path p = start; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("pom.xml")) && Files.isRegularFile(p.resolve("testdata/README.md"))) {
                return p.resolve("testdata");
            }
        }
        throw new IllegalStateException("testdata/README.md not found in " + start
                + " or any folder above it: run the tests from inside the dw-java repository");
    }

    /** The path of {@code name} (e.g. {@code dw_reference/refine_example.json}) under testdata/, which must exist. */
    public static Path path(String name) {
        Path p = root().resolve(name).normalize();
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("test data file missing: " + p + " (testdata/README.md lists the files)");
        }
        return p;
    }
}
