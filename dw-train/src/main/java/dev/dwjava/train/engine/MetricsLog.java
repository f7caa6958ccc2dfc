package dev.dwjava.train.engine;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Machine-readable training metrics: one JSON object per line in {@code metrics.jsonl}, appended and flushed. */
public final class MetricsLog implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private final BufferedWriter out;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    /** Gets every record after it is written (TensorBoard, the loss curve's validation points). */
    @FunctionalInterface
    public interface Listener {
        void record(String mode, Map<String, ?> fields);
    }

    public MetricsLog(Path file) {
        this.file = file;
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open metrics log " + file, e);
        }
    }

    /**
     * Before a resume from iteration {@code iteration}: drops the records of later iterations (written by the run that
     * went on past the checkpoint and was then interrupted), so every iteration is logged once. Train records count by
     * {@code global_iter} (1-based), val records by {@code iter} (iterations done).
     */
    public static void keepUpTo(Path file, long iteration) throws IOException {
        if (!Files.isRegularFile(file)) {
            return;
        }
        StringBuilder kept = new StringBuilder();
        int dropped = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            com.fasterxml.jackson.databind.JsonNode n;
            try {
                n = JSON.readTree(line);
            } catch (IOException e) {
                dropped++;   // a line cut by a kill
                continue;
            }
            long at = n.has("global_iter") ? n.get("global_iter").asLong() : n.path("iter").asLong(0);
            if (at > iteration) {
                dropped++;
            } else {
                kept.append(line).append('\n');
            }
        }
        if (dropped > 0) {
            Checkpoints.writeAtomically(file, kept.toString());
        }
    }

    public Path file() {
        return file;
    }

    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    public void removeListener(Listener listener) {
        listeners.remove(listener);
    }

    /** Appends {@code {"mode": mode, ...fields}}, then passes the record to the listeners. */
    public void write(String mode, Map<String, ?> fields) {
        ObjectNode n = JSON.createObjectNode().put("mode", mode);
        fields.forEach((k, v) -> n.set(k, JSON.valueToTree(v)));
        try {
            out.write(JSON.writeValueAsString(n));
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        for (Listener l : listeners) {
            l.record(mode, fields);
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
