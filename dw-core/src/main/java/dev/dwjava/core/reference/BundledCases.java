package dev.dwjava.core.reference;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Reference cases shipped inside the dw-core jar, so that a self-check runs anywhere without the repository's
 * {@code testdata/}. The build copies {@code testdata/dw_reference/loss_example.json} into the jar (dw-core's pom).
 */
public final class BundledCases {
    /** Classpath name of the loss example. */
    public static final String LOSS_EXAMPLE = "dev/dwjava/core/reference/loss_example.json";

    private BundledCases() {}

    /** Copies a bundled case to a temporary file and reads it. */
    public static ReferenceCase load(String name) {
        try (InputStream in = BundledCases.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("bundled reference case missing from the jar: " + name);
            }
            Path tmp = Files.createTempFile("dw-case", ".json");
            tmp.toFile().deleteOnExit();
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            return ReferenceCase.read(tmp);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
