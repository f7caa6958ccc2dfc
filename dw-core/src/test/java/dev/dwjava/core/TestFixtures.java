package dev.dwjava.core;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** Locates test fixtures shipped under {@code src/test/resources}. Shared with other modules through the test-jar. */
public final class TestFixtures {
    private TestFixtures() {}

    /** The path of a classpath resource, e.g. {@code dw_reference/loss_example.json}. */
    public static Path resource(String name) {
        URL url = TestFixtures.class.getClassLoader().getResource(name);
        if (url == null) {
            throw new IllegalStateException("test fixture not on the classpath: " + name);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
