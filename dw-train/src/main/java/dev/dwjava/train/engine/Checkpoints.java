package dev.dwjava.train.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.weights.TorchFile;
import dev.dwjava.model.weights.TorchFileWriter;
import dev.dwjava.model.weights.WeightLoader;
import dev.dwjava.train.solver.Optimizer;
import org.bytedeco.pytorch.Tensor;

/**
 * Training checkpoints in a work dir. Checkpoint {@code epoch_N} is three files: {@code epoch_N.pth} (the model's
 * state dict with mmdetection names; PyTorch's {@code torch.load} reads it), {@code epoch_N.optim.pth} (SGD momentum
 * by parameter name) and {@code epoch_N.json} (epoch, iteration, seed, config, versions). Every file is written to a
 * temporary name and renamed; {@code latest.json}, which names the newest complete checkpoint, is written last, so a
 * crash at any moment leaves the previous checkpoint intact and pointed to.
 */
public final class Checkpoints {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path workDir;
    private final int keep;

    /** @param keep how many checkpoints to keep (older ones are deleted), at least 1 */
    public Checkpoints(Path workDir, int keep) {
        this.workDir = workDir;
        this.keep = Math.max(1, keep);
    }

    /** What a checkpoint records besides tensors. */
    public record Meta(int epoch, long iter, long seed, String config, String versions) {}

    /** Writes checkpoint {@code epoch_<meta.epoch>} and points {@code latest.json} at it. */
    public Path save(DwDetector model, Optimizer sgd, Meta meta) {
        try {
            Files.createDirectories(workDir);
            String name = "epoch_" + meta.epoch();
            TorchFileWriter.writeStateDict(workDir.resolve(name + ".pth"), WeightLoader.stateOf(model));
            TorchFileWriter.writeStateDict(workDir.resolve(name + ".optim.pth"), sgd.state());
            writeAtomically(workDir.resolve(name + ".json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(meta));
            ObjectNode latest = JSON.createObjectNode().put("checkpoint", name);
            writeAtomically(workDir.resolve("latest.json"), JSON.writeValueAsBytes(latest));
            prune();
            return workDir.resolve(name + ".pth");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint to " + workDir + ": " + e.getMessage(), e);
        }
    }

    /** The newest complete checkpoint of the work dir, if any. */
    public Optional<Path> latest() {
        Path pointer = workDir.resolve("latest.json");
        if (!Files.isRegularFile(pointer)) {
            return Optional.empty();
        }
        try {
            JsonNode n = JSON.readTree(pointer.toFile());
            return Optional.of(workDir.resolve(n.get("checkpoint").asText() + ".pth"));
        } catch (IOException | NullPointerException e) {
            throw new IllegalArgumentException(pointer + " is damaged (" + e.getMessage() + "); pass --resume PATH explicitly");
        }
    }

    /** Loads a checkpoint ({@code epoch_N.pth} and its siblings) into the model and optimizer. */
    public static Meta load(Path checkpoint, DwDetector model, Optimizer sgd) {
        String base = checkpoint.getFileName().toString().replaceFirst("\\.pth$", "");
        Path dir = checkpoint.toAbsolutePath().getParent();
        try {
            WeightLoader.loadModel(model, checkpoint, true);
            Map<String, Tensor> momentum = TorchFile.loadStateDict(dir.resolve(base + ".optim.pth"));
            sgd.loadState(momentum);
            return JSON.readValue(dir.resolve(base + ".json").toFile(), Meta.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot resume from " + checkpoint + ": " + e.getMessage(), e);
        }
    }

    /**
     * Keeps the newest {@code keep} complete checkpoints; deletes older ones and the orphans a run killed while saving
     * or pruning left behind (an {@code epoch_N.pth} or {@code .optim.pth} without its {@code .json}, or the reverse).
     */
    void prune() throws IOException {
        java.util.TreeMap<Integer, List<Path>> byEpoch = new java.util.TreeMap<>();
        java.util.regex.Pattern file = java.util.regex.Pattern.compile("epoch_(\\d+)(\\.optim\\.pth|\\.pth|\\.json)");
        try (Stream<Path> files = Files.list(workDir)) {
            files.forEach(p -> {
                java.util.regex.Matcher m = file.matcher(p.getFileName().toString());
                if (m.matches()) {
                    byEpoch.computeIfAbsent(Integer.parseInt(m.group(1)), k -> new ArrayList<>()).add(p);
                }
            });
        }
        int kept = 0;
        for (int epoch : byEpoch.descendingKeySet()) {
            List<Path> parts = byEpoch.get(epoch);
            if (parts.size() == 3 && kept < keep) {
                kept++;
            } else {
                for (Path p : parts) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Writes {@code file} through a temporary in the same folder and an atomic rename: readers see old or new, never half. */
    public static void writeAtomically(Path file, byte[] data) throws IOException {
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, data);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    public static void writeAtomically(Path file, String text) throws IOException {
        writeAtomically(file, text.getBytes(StandardCharsets.UTF_8));
    }
}
