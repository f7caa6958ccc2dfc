package dev.dwjava.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

/** The in-repository test data is found from a module's working directory, and a missing file is named. */
class TestDataTest {

    @Test
    void findsTheRepositoryTestDataAndTheBundledCaseIsItsCopy() throws IOException {
        Path loss = TestData.path("dw_reference/loss_example.json");
        assertEquals("testdata", TestData.root().getFileName().toString());
        assertTrue(Files.isRegularFile(TestData.root().resolveSibling("pom.xml")), TestData.root().toString());
        // dw-core's pom copies this file into the jar; the copy must be the same bytes.
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("dev/dwjava/core/reference/loss_example.json")) {
            assertTrue(in != null, "bundled loss_example.json missing from the classpath");
            assertTrue(Arrays.equals(Files.readAllBytes(loss), in.readAllBytes()), "bundled case differs from " + loss);
        }
    }

    @Test
    void aMissingFileIsNamed() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> TestData.path("dw_reference/nope.json"));
        assertTrue(e.getMessage().startsWith("test data file missing: ") && e.getMessage().contains("dw_reference/nope.json"),
                e.getMessage());
    }
}
