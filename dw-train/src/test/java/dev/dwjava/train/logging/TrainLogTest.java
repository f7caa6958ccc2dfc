package dev.dwjava.train.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainLogTest {
    private static final String START = "===== \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d =====";

    @Test
    void mirrorsTheConsoleLinesWithoutTheProgressBar(@TempDir Path tmp) throws IOException {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        Path file = tmp.resolve("work/train.log");
        try (TrainLog log = TrainLog.open(file, new PrintStream(console, true, StandardCharsets.UTF_8))) {
            PrintStream out = log.out();
            out.println("train: 24 images");
            out.printf("total batch %d%n", 4);
            out.print("\r[=====     ] 1/6  loss 2.0");
            out.print("\r[==========] 2/6  loss 1.5");
            out.print("\r" + " ".repeat(10) + "\r");
            out.println("Epoch [1/2][2/6]  loss: 1.5000");
            out.print("windows line\r\n");
            out.print("Précision ");
            log.fileOnly("error: disk full");
            out.print("unfinished");
        }
        String shown = console.toString(StandardCharsets.UTF_8);
        assertTrue(shown.contains("\r[==========] 2/6  loss 1.5"), "the console still gets the progress bar");
        assertTrue(!shown.contains("error: disk full"));
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertTrue(lines.get(0).matches(START), lines.get(0));
        assertEquals(List.of("train: 24 images", "total batch 4", "Epoch [1/2][2/6]  loss: 1.5000", "windows line",
                "Précision ", "error: disk full", "unfinished"), lines.subList(1, lines.size()));
    }

    @Test
    void aSecondRunAppendsAfterItsStartLine(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("train.log");
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        try (TrainLog log = TrainLog.open(file, quiet)) {
            log.out().println("first run");
        }
        try (TrainLog log = TrainLog.open(file, quiet)) {
            log.out().println("resumed run");
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(4, lines.size(), lines.toString());
        assertTrue(lines.get(0).matches(START) && lines.get(2).matches(START), lines.toString());
        assertEquals("first run", lines.get(1));
        assertEquals("resumed run", lines.get(3));
    }
}
