package dev.dwjava.model.onnx;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import dev.dwjava.model.ModelConfig;

/**
 * An exported ONNX model, ready to be written: a file for {@code onnxruntime} or any ONNX tool, or bytes for an
 * in-process session. Made by {@link OnnxExporter}.
 */
public final class OnnxModel {
    private final OnnxGraph graph;
    private final ModelConfig config;
    private final int[] size;

    OnnxModel(OnnxGraph graph, ModelConfig config, int[] size) {
        this.graph = graph;
        this.config = config;
        this.size = size;
    }

    /** Number of graph nodes. */
    public int nodeCount() {
        return graph.nodeCount();
    }

    /** Bytes of initializer data (weights with folded norms, constants). */
    public long initializerBytes() {
        return graph.initializerBytes();
    }

    /** Whether batch, height and width are symbolic. */
    public boolean dynamic() {
        return size == null;
    }

    /** Writes the ModelProto to {@code out} (not closed). */
    public void writeTo(OutputStream out) throws IOException {
        String doc = "DW detector (" + config + "), raw head outputs per level; input "
                + (size == null ? "batch x 3 x height x width" : "1 x 3 x " + size[0] + " x " + size[1])
                + ", normalised and zero-padded to multiples of 32";
        graph.writeModel(out, OnnxExporter.IR_VERSION, OnnxExporter.OPSET, "dw-java", version(), doc);
    }

    /** The ModelProto as bytes. */
    public byte[] toByteArray() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeTo(out);
        return out.toByteArray();
    }

    /**
     * Writes the model to {@code file} (parent folders created): into a temporary file beside it, then renamed, so a
     * failed write leaves no partial model under the name.
     */
    public void write(Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        Path parent = abs.getParent();
        if (Files.isDirectory(abs)) {
            throw new IOException(file + ": is a folder; give the path of the .onnx file to write");
        }
        Files.createDirectories(parent);
        Path tmp = parent.resolve("." + abs.getFileName() + ".tmp");
        try {
            try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                writeTo(out);
            }
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static String version() {
        String v = OnnxModel.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
