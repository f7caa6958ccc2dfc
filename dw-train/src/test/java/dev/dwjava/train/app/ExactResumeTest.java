package dev.dwjava.train.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.data.synthetic.SyntheticCoco;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.weights.TorchFile;
import dev.dwjava.model.weights.WeightLoader;
import dev.dwjava.train.config.DwConfig;
import dev.dwjava.train.engine.Checkpoints;
import dev.dwjava.train.solver.Sgd;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Iteration checkpoints and exact resume through {@link TrainRunner} (CPU, tiny model, random scales and flips, two
 * data workers, an lr step and warmup): a run stopped in the middle of an epoch while writing a checkpoint and resumed
 * from its newest complete {@code iter_N.pth} ends bit-identical to an uninterrupted one.
 */
class ExactResumeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
    private static final int EVERY = 3;

    @TempDir
    static Path tmp;
    private static Path data, straight;
    private static int perEpoch;

    private static List<String> overrides(String... more) {
        List<String> o = new ArrayList<>(TinyTrainArgs.overrides(data, 2, 2));
        o.addAll(List.of("data.train_scale={long_edge: 80, short_edge: [48, 64]}", "data.flip=0.5", "data.workers=2",
                "solver.steps=[1]", "solver.warmup_iters=6", "runtime.checkpoint_interval={iters: " + EVERY + "}",
                "runtime.log_interval=1"));
        o.addAll(List.of(more));
        return o;
    }

    private static DwConfig.Loaded config(String... more) {
        return DwConfig.load(TrainRunnerTest.quickstartConfig(), overrides(more));
    }

    /** The uninterrupted run, once for all tests. */
    @BeforeAll
    static void trainStraight() throws Exception {
        Torch.init();
        data = tmp.resolve("data");
        SyntheticCoco.generate(data, 10, 2, 64, 4);
        straight = tmp.resolve("straight");
        new TrainRunner(config(), straight, QUIET).run(null);
        perEpoch = trainRecords(straight).values().stream().filter(n -> n.get("epoch").asInt() == 1)
                .mapToInt(n -> n.get("iter").asInt()).max().orElseThrow();
        assertEquals(5, perEpoch, "10 square images in batches of 2");
        // keep_checkpoints 2 over both kinds: the final epoch_2 (iteration 10) and iter_9.
        try (Stream<Path> files = Files.list(straight)) {
            assertEquals(List.of("epoch_2.pth", "iter_9.pth"), files.map(f -> f.getFileName().toString())
                    .filter(f -> f.endsWith(".pth") && !f.endsWith(".optim.pth")).sorted().toList());
        }
    }

    /** The first iteration checkpoint strictly inside epoch 2. */
    private static int midEpochCheckpoint() {
        int k = (perEpoch / EVERY + 1) * EVERY;
        assertTrue(k % perEpoch != 0 && k < 2 * perEpoch, "k " + k);
        return k;
    }

    @Test
    void aRunKilledMidEpochWhileWritingACheckpointResumesFromThePreviousOneAndEndsBitIdentical() throws Exception {
        int k = midEpochCheckpoint(), next = k + EVERY;
        assertTrue(next < 2 * perEpoch, "iter_" + next + " is a mid-run checkpoint");
        Path work = tmp.resolve("killed");
        // Stopped after iteration k + 3, before its checkpoint hook ran; then the files a kill in the middle of writing
        // iter_{k+3} leaves: a half-written temporary and (as a non-atomic copy would leave it) a truncated .pth.
        assertThrows(StoppingRunner.Stopped.class, () -> new StoppingRunner(config(), work, QUIET, next).run(null));
        assertTrue(trainRecords(work).containsKey((long) k + 1), "the stopped run went past its checkpoint");
        byte[] good = Files.readAllBytes(work.resolve("iter_" + k + ".pth"));
        Files.write(work.resolve("iter_" + next + ".pth"), Arrays.copyOf(good, good.length / 2));
        Files.write(work.resolve("iter_" + next + ".optim.pth4242.tmp"), Arrays.copyOf(good, 100));
        Path last = new Checkpoints(work, 2).latest().orElseThrow();
        assertEquals(work.resolve("iter_" + k + ".pth"), last);
        DwDetector probe = new DwDetector(config().config().model());
        assertThrows(Exception.class, () -> WeightLoader.loadModel(probe, work.resolve("iter_" + next + ".pth"), true));

        // --auto-resume picks iter_k, continues k - perEpoch batches into epoch 2 and ends as if never interrupted
        // (the iterations the stopped run did past k are repeated and logged once); the debris is gone.
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        TrainJob.run(TrainRunnerTest.quickstartConfig(), work, null, true, overrides(), new PrintStream(log, true));
        assertTrue(log.toString().contains("auto-resume: " + last), log.toString());
        assertTrue(log.toString().contains("resumed from " + last + " (epoch 1, iteration " + k + ", " + (k - perEpoch)
                + " batches into epoch 2)"), log.toString());
        assertSameEnd(straight, work);
        try (Stream<Path> files = Files.list(work)) {
            List<String> left = files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList();
            assertTrue(left.isEmpty(), "partial files were left: " + left);
        }
        Checkpoints.Meta meta = Checkpoints.load(work.resolve("iter_" + next + ".pth"), probe,
                new Sgd(Sgd.groups(WeightLoader.stateOf(probe), 0, 0), 0.9));   // rewritten whole by the resumed run
        assertEquals(List.of(1, (long) next, next - perEpoch), List.of(meta.epoch(), meta.iter(), meta.batchInEpoch()));
    }

    @Test
    void saveBestKeepsTheBestEvaluationApartFromThePrunedCheckpoints() throws Exception {
        Path work = tmp.resolve("best");
        new TrainRunner(config("runtime.eval_interval=1", "runtime.save_best=bbox_mAP", "runtime.checkpoint_interval=1",
                "runtime.keep_checkpoints=1"), work, QUIET).run(null);
        List<JsonNode> evals = new ArrayList<>();
        for (String line : Files.readAllLines(work.resolve("metrics.jsonl"))) {
            JsonNode n = JSON.readTree(line);
            if (n.get("mode").asText().equals("val")) {
                evals.add(n);
            }
        }
        assertEquals(2, evals.size());
        int bestEpoch = evals.get(1).get("bbox_mAP").asDouble() > evals.get(0).get("bbox_mAP").asDouble() ? 2 : 1;
        String name = "best_bbox_mAP_epoch_" + bestEpoch;
        JsonNode pointer = JSON.readTree(work.resolve("best_bbox_mAP.json").toFile());
        assertEquals(name, pointer.get("checkpoint").asText());
        assertEquals(evals.get(bestEpoch - 1).get("bbox_mAP").asDouble(), pointer.get("value").asDouble(), 0.0);
        try (Stream<Path> files = Files.list(work)) {
            List<String> ckpts = files.map(f -> f.getFileName().toString())
                    .filter(f -> f.endsWith(".pth") || f.matches("(best|epoch|iter)_.*\\.json")).sorted().toList();
            assertEquals(List.of("best_bbox_mAP.json", name + ".json", name + ".optim.pth", name + ".pth", "epoch_2.json",
                    "epoch_2.optim.pth", "epoch_2.pth"), ckpts);
        }
        DwDetector model = new DwDetector(config().config().model());
        Checkpoints.Meta meta = Checkpoints.load(work.resolve(name + ".pth"), model,
                new Sgd(Sgd.groups(WeightLoader.stateOf(model), 0, 0), 0.9));
        assertEquals(bestEpoch, meta.epoch());
        assertEquals((long) bestEpoch * perEpoch, meta.iter());
    }

    /** Final weights and momentum bit-identical; every iteration logged once with the same losses and lr. */
    private static void assertSameEnd(Path expected, Path actual) throws Exception {
        for (String f : new String[] {"epoch_2.pth", "epoch_2.optim.pth"}) {
            Map<String, Tensor> a = TorchFile.loadStateDict(expected.resolve(f)), b = TorchFile.loadStateDict(actual.resolve(f));
            assertEquals(a.keySet(), b.keySet(), f);
            for (String key : a.keySet()) {
                assertTrue(a.get(key).equal(b.get(key)), f + ": " + key + " differs");
            }
        }
        TreeMap<Long, JsonNode> a = trainRecords(expected), b = trainRecords(actual);
        assertEquals(2L * perEpoch, a.size());
        assertEquals(a.keySet(), b.keySet());
        for (long it : a.keySet()) {
            for (String field : new String[] {"epoch", "iter", "lr", "loss_cls_pos", "loss_loc", "loss_cls_neg", "loss"}) {
                assertEquals(a.get(it).get(field), b.get(it).get(field), "iteration " + it + ": " + field);
            }
        }
    }

    /** The train records of metrics.jsonl by global iteration; an iteration logged twice fails. */
    private static TreeMap<Long, JsonNode> trainRecords(Path work) throws Exception {
        TreeMap<Long, JsonNode> out = new TreeMap<>();
        for (String line : Files.readAllLines(work.resolve("metrics.jsonl"))) {
            JsonNode n = JSON.readTree(line);
            if (n.get("mode").asText().equals("train")) {
                assertTrue(out.put(n.get("global_iter").asLong(), n) == null, "iteration " + n.get("global_iter") + " logged twice");
            }
        }
        return out;
    }
}
