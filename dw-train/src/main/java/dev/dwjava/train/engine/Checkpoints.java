package dev.dwjava.train.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.weights.TorchFile;
import dev.dwjava.model.weights.TorchFileWriter;
import dev.dwjava.model.weights.WeightLoader;
import dev.dwjava.train.solver.LossScaler;
import dev.dwjava.train.solver.Optimizer;
import org.bytedeco.pytorch.Tensor;

/**
 * Training checkpoints in a work dir. A checkpoint is three files: {@code NAME.pth} (the model's state dict with
 * mmdetection names; PyTorch's {@code torch.load} reads it), {@code NAME.optim.pth} (SGD momentum by parameter name)
 * and {@code NAME.json} ({@link Meta}). NAME is {@code epoch_N} after N epochs, {@code iter_N} after N iterations
 * (in the middle of an epoch) and {@code best_<metric>_epoch_N} for the best evaluation so far. With a weight average
 * ({@code runtime.ema}) {@code NAME.pth} holds the averaged weights (what {@code dw test} and deployment load, as with
 * mmdetection's EMA hook) and a fourth file, {@code NAME.ema.pth}, the trained weights ({@code module.<name>}) and the
 * average's {@code steps}, which a resume needs. Every file is written
 * to a temporary name and renamed; {@code latest.json}, which names the newest complete checkpoint (the one with the
 * most iterations), is written last, so a crash at any moment leaves the previous checkpoint intact and pointed to.
 */
public final class Checkpoints {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern REGULAR = Pattern.compile("(epoch|iter)_(\\d+)(\\.optim\\.pth|\\.ema\\.pth|\\.pth|\\.json)");
    /** The files every complete checkpoint has (the {@code .ema.pth} of a run with a weight average comes before the json). */
    private static final List<String> REQUIRED = List.of(".pth", ".optim.pth", ".json");
    private final Path workDir;
    private final int keep;

    /** @param keep how many checkpoints ({@code epoch_N} and {@code iter_N} together) to keep, at least 1 */
    public Checkpoints(Path workDir, int keep) {
        this.workDir = workDir;
        this.keep = Math.max(1, keep);
    }

    /**
     * What a checkpoint records besides tensors.
     *
     * @param epoch        epochs finished
     * @param iter         iterations done
     * @param batchInEpoch batches of the next epoch (0-based {@code epoch}) already done: 0 at an epoch boundary,
     *                     more for a checkpoint in the middle of an epoch (absent from older checkpoints: 0)
     */
    public record Meta(int epoch, long iter, long seed, String config, String versions, int batchInEpoch,
                       LossScaler.State lossScaler) {
        /** A checkpoint at an epoch boundary. */
        public Meta(int epoch, long iter, long seed, String config, String versions) {
            this(epoch, iter, seed, config, versions, 0);
        }

        public Meta(int epoch, long iter, long seed, String config, String versions, int batchInEpoch) {
            this(epoch, iter, seed, config, versions, batchInEpoch, null);
        }

        Meta withLossScaler(LossScaler.State state) {
            return new Meta(epoch, iter, seed, config, versions, batchInEpoch, state);
        }
    }

    /** The parts of {@link Meta} fixed for a run. */
    public record RunInfo(long seed, String config, String versions) {
        public Meta at(int epoch, long iter, int batchInEpoch) {
            return new Meta(epoch, iter, seed, config, versions, batchInEpoch);
        }
    }

    /** Writes checkpoint {@code epoch_<meta.epoch>} and points {@code latest.json} at it. */
    public Path save(DwDetector model, Optimizer sgd, Meta meta) {
        return save(new TrainState(model, sgd), meta);
    }

    /** Writes checkpoint {@code epoch_<meta.epoch>} of {@code state} and points {@code latest.json} at it. */
    public Path save(TrainState state, Meta meta) {
        return saveRegular("epoch_" + meta.epoch(), state, meta);
    }

    /** Writes checkpoint {@code iter_<meta.iter>} (a mid-epoch one) and points {@code latest.json} at it. */
    public Path saveIteration(DwDetector model, Optimizer sgd, Meta meta) {
        return saveIteration(new TrainState(model, sgd), meta);
    }

    public Path saveIteration(TrainState state, Meta meta) {
        return saveRegular("iter_" + meta.iter(), state, meta);
    }

    private Path saveRegular(String name, TrainState state, Meta meta) {
        try {
            write(name, state, meta);
            ObjectNode latest = JSON.createObjectNode().put("checkpoint", name);
            writeAtomically(workDir.resolve("latest.json"), JSON.writeValueAsBytes(latest));
            prune();
            return workDir.resolve(name + ".pth");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint to " + workDir + ": " + e.getMessage(), e);
        }
    }

    private void write(String name, TrainState state, Meta meta) throws IOException {
        Files.createDirectories(workDir);
        try (TensorScope scope = TensorScope.open()) {
            TorchFileWriter.writeStateDict(workDir.resolve(name + ".pth"), WeightLoader.stateOf(state.evaluatedModel()));
            TorchFileWriter.writeStateDict(workDir.resolve(name + ".optim.pth"), state.optimizer().state());
            if (state.ema() != null) {
                Map<String, Tensor> ema = new LinkedHashMap<>();
                WeightLoader.stateOf(state.model()).forEach((k, v) -> ema.put(EMA_SOURCE + k, v));
                ema.put(EMA_STEPS, Tensors.ofLongs(new long[] {state.ema().steps()}));
                TorchFileWriter.writeStateDict(workDir.resolve(name + ".ema.pth"), ema);
            } else {
                Files.deleteIfExists(workDir.resolve(name + ".ema.pth"));   // a stale one from an earlier run with EMA
            }
        }
        Meta written = state.scaler() != null ? meta.withLossScaler(state.scaler().state()) : meta;
        writeAtomically(workDir.resolve(name + ".json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(written));
    }

    /** The trained weights of {@code NAME.ema.pth} (checked to be one: it has the update count). */
    private static Map<String, Tensor> emaSource(Path emaFile) throws IOException {
        Map<String, Tensor> ema = TorchFile.loadStateDict(emaFile);
        Tensor steps = ema.get(EMA_STEPS);
        if (steps == null || steps.numel() != 1) {
            throw new IllegalArgumentException(emaFile + ": no '" + EMA_STEPS + "' count; the file is not a dw-java EMA"
                    + " state (delete it to resume from the weights of the .pth beside it)");
        }
        Map<String, Tensor> source = new LinkedHashMap<>(ema);   // (the reader drops the module. prefix)
        source.remove(EMA_STEPS);
        return source;
    }

    /** Names in {@code NAME.ema.pth}: the trained weights (mmengine's swapped {@code ema_state_dict}) and the count. */
    static final String EMA_SOURCE = "module.", EMA_STEPS = "steps";

    /** The best checkpoint for a metric: its name and score, and the iteration it was taken at. */
    public record Best(String checkpoint, String metric, double value, long iter) {}

    /**
     * Writes {@code best_<metric>_epoch_<meta.epoch>}, then {@code best_<metric>.json} naming it, then removes the
     * previous best of that metric (so a crash leaves one complete best named). {@code latest.json} is not touched.
     */
    public Path saveBest(DwDetector model, Optimizer sgd, Meta meta, String metric, double value) {
        return saveBest(new TrainState(model, sgd), meta, metric, value);
    }

    public Path saveBest(TrainState state, Meta meta, String metric, double value) {
        String prefix = "best_" + metric + "_";
        String name = prefix + (meta.batchInEpoch() == 0 ? "epoch_" + meta.epoch() : "iter_" + meta.iter());
        try {
            write(name, state, meta);
            writeAtomically(bestPointer(metric), JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsBytes(new Best(name, metric, value, meta.iter())));
            Pattern mine = Pattern.compile(Pattern.quote(prefix) + "(epoch|iter)_\\d+(\\.optim\\.pth|\\.ema\\.pth|\\.pth|\\.json)");
            try (Stream<Path> files = Files.list(workDir)) {
                for (Path p : files.toList()) {
                    String f = p.getFileName().toString();
                    if (mine.matcher(f).matches() && !f.startsWith(name + ".")) {
                        Files.deleteIfExists(p);
                    }
                }
            }
            return workDir.resolve(name + ".pth");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint to " + workDir + ": " + e.getMessage(), e);
        }
    }

    /** The best checkpoint of {@code metric} named by {@code best_<metric>.json}, if any. */
    public Optional<Best> best(String metric) {
        Path pointer = bestPointer(metric);
        if (!Files.isRegularFile(pointer)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(pointer.toFile(), Best.class));
        } catch (IOException e) {
            throw new IllegalArgumentException(pointer + " is damaged (" + e.getMessage() + "); delete it to start the best"
                    + " " + metric + " afresh");
        }
    }

    private Path bestPointer(String metric) {
        return workDir.resolve("best_" + metric + ".json");
    }

    /** The newest complete checkpoint of the work dir, if any. */
    public Optional<Path> latest() {
        return latestName().map(n -> workDir.resolve(n + ".pth"));
    }

    private Optional<String> latestName() {
        Path pointer = workDir.resolve("latest.json");
        if (!Files.isRegularFile(pointer)) {
            return Optional.empty();
        }
        try {
            JsonNode n = JSON.readTree(pointer.toFile());
            return Optional.of(n.get("checkpoint").asText());
        } catch (IOException | NullPointerException e) {
            throw new IllegalArgumentException(pointer + " is damaged (" + e.getMessage() + "); pass --resume PATH explicitly");
        }
    }

    /** Loads a checkpoint ({@code NAME.pth} and its siblings) into the model and optimizer. */
    public static Meta load(Path checkpoint, DwDetector model, Optimizer sgd) {
        return load(checkpoint, new TrainState(model, sgd), null);
    }

    /**
     * Loads a checkpoint into {@code state}. With a weight average, {@code NAME.pth} goes into the average and
     * {@code NAME.ema.pth} into the trained model; a checkpoint without one (saved without EMA) starts the average
     * from its weights, as mmengine's EMA hook does, and says so on {@code log}.
     *
     * @param log where to say that, or null
     */
    public static Meta load(Path checkpoint, TrainState state, java.io.PrintStream log) {
        String base = checkpoint.getFileName().toString().replaceFirst("\\.pth$", "");
        Path dir = checkpoint.toAbsolutePath().getParent();
        try (TensorScope scope = TensorScope.open()) {
            Path emaFile = dir.resolve(base + ".ema.pth");
            if (state.ema() == null && Files.isRegularFile(emaFile)) {
                // NAME.pth holds the average; training continues from the trained weights.
                WeightLoader.load(state.model(), emaSource(emaFile), "", k -> false, true, emaFile.toString());
                if (log != null) {
                    log.println("note: " + checkpoint.getFileName() + " holds a weight average; without runtime.ema the run"
                            + " continues from the trained weights in " + emaFile.getFileName());
                }
            } else if (state.ema() == null || !Files.isRegularFile(emaFile)) {
                WeightLoader.loadModel(state.model(), checkpoint, true);
                if (state.ema() != null) {
                    WeightLoader.loadModel(state.ema().model(), checkpoint, true);
                    if (log != null) {
                        log.println("warning: " + checkpoint + " has no " + emaFile.getFileName() + " (saved without"
                                + " runtime.ema): the weight average starts from its weights");
                    }
                }
            } else {
                WeightLoader.loadModel(state.ema().model(), checkpoint, true);
                Map<String, Tensor> ema = TorchFile.loadStateDict(emaFile);
                WeightLoader.load(state.model(), emaSource(emaFile), "", k -> false, true, emaFile.toString());
                state.ema().restoreSteps(Tensors.toLongs(ema.get(EMA_STEPS))[0]);
            }
            Map<String, Tensor> momentum = TorchFile.loadStateDict(dir.resolve(base + ".optim.pth"));
            state.optimizer().loadState(momentum);
            Meta meta = JSON.readValue(dir.resolve(base + ".json").toFile(), Meta.class);
            if (state.scaler() != null && meta.lossScaler() != null) {
                state.scaler().restore(meta.lossScaler());
            }
            return meta;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot resume from " + checkpoint + ": " + e.getMessage(), e);
        }
    }

    /**
     * Keeps the newest {@code keep} complete {@code epoch_N} and {@code iter_N} checkpoints (newest: most iterations;
     * at equal iterations the epoch one, written after) and always the one {@code latest.json} names; deletes older
     * ones and the orphans a run killed while saving or pruning left behind (an {@code .pth} or {@code .optim.pth}
     * without its {@code .json}, or the reverse). Best checkpoints are not touched.
     */
    void prune() throws IOException {
        Map<String, List<Path>> byName = new java.util.HashMap<>();
        try (Stream<Path> files = Files.list(workDir)) {
            files.forEach(p -> {
                Matcher m = REGULAR.matcher(p.getFileName().toString());
                if (m.matches()) {
                    byName.computeIfAbsent(m.group(1) + "_" + m.group(2), k -> new ArrayList<>()).add(p);
                }
            });
        }
        String current = latestNameOrNull();
        List<String> complete = new ArrayList<>();
        for (Map.Entry<String, List<Path>> e : byName.entrySet()) {
            if (REQUIRED.stream().allMatch(suffix -> e.getValue().stream()
                    .anyMatch(p -> p.getFileName().toString().equals(e.getKey() + suffix)))) {
                complete.add(e.getKey());
            } else {
                for (Path p : e.getValue()) {
                    Files.deleteIfExists(p);
                }
            }
        }
        Map<String, Long> iters = new java.util.HashMap<>();
        for (String name : complete) {
            iters.put(name, iterationsOf(name));
        }
        // Newest first: the pointed-to one, then by iterations, the epoch checkpoint before an iteration one of its step.
        complete.sort(java.util.Comparator.<String, Boolean>comparing(n -> !n.equals(current))
                .thenComparing(n -> -iters.get(n))
                .thenComparing(n -> n.startsWith("iter_"))
                .thenComparing(n -> -Long.parseLong(n.substring(n.indexOf('_') + 1))));
        for (String name : complete.subList(Math.min(keep, complete.size()), complete.size())) {
            for (Path p : byName.get(name)) {
                Files.deleteIfExists(p);
            }
        }
    }

    private String latestNameOrNull() {
        try {
            return latestName().orElse(null);
        } catch (IllegalArgumentException e) {
            return null;   // a damaged pointer protects nothing; the save that calls prune rewrites it first
        }
    }

    /** Iterations done at checkpoint {@code name}: in the name of {@code iter_N}, in the record of {@code epoch_N}. */
    private long iterationsOf(String name) {
        if (name.startsWith("iter_")) {
            return Long.parseLong(name.substring("iter_".length()));
        }
        try {
            return JSON.readTree(workDir.resolve(name + ".json").toFile()).path("iter").asLong(-1);
        } catch (IOException e) {
            return -1;   // unreadable: the oldest, pruned first
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
