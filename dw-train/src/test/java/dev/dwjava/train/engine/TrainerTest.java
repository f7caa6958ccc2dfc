package dev.dwjava.train.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import dev.dwjava.core.dw.DwLoss;
import dev.dwjava.core.dw.GroundTruth;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.data.loader.DetectionBatch;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.ModelConfig;
import dev.dwjava.model.weights.WeightLoader;
import dev.dwjava.train.solver.LrSchedule;
import dev.dwjava.train.solver.Sgd;
import dev.dwjava.train.solver.SolverConfig;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training step and loop on a tiny model with in-memory batches. */
class TrainerTest {
    private static final ModelConfig TINY = new ModelConfig(18, 8, 1, 16, 16, 1, 4, 3, true, false);
    private static final SolverConfig SOLVER = new SolverConfig(0.01, 2, 0.9, 1e-4, 0, 5, 0.1, List.of(1), 0.1, 2, 0);

    @BeforeAll
    static void init() {
        Torch.init();
    }

    /** Deterministic batches: a bright rectangle per image on noise, its box as GT. */
    static Trainer.EpochData data(int batches) {
        return epoch -> {
            List<DetectionBatch> out = new ArrayList<>();
            for (int k = 0; k < batches; k++) {
                out.add(batch(new Random(1000L * epoch + k)));
            }
            return out.iterator();
        };
    }

    /** A batch of 2 that outlives the scopes of the test (the loop scopes would free it otherwise). */
    static DetectionBatch batch(Random r) {
        DetectionBatch b = TrainerTestData.batch(r, 2);
        b.images().retainReference();
        for (GroundTruth g : b.targets()) {
            g.boxes().retainReference();
            g.labels().retainReference();
        }
        return b;
    }

    static Trainer trainer(DwDetector model, Sgd sgd, int startEpoch, long startIter, int batches) {
        return new Trainer(model, new DwLoss(), sgd, new LrSchedule(SOLVER.scaledLr(2), SOLVER), 0, SOLVER.epochs(),
                batches, startEpoch, startIter);
    }

    static Sgd sgd(DwDetector model) {
        return new Sgd(Sgd.groups(WeightLoader.stateOf(model), 1e-4, 0), 0.9);
    }

    @Test
    void lossFallsWhenFittingOneBatch() {
        torch.manual_seed(0);
        DwDetector model = new DwDetector(TINY);
        Sgd sgd = sgd(model);
        Trainer t = trainer(model, sgd, 0, 10, 1);     // past warmup
        DetectionBatch fixed = batch(new Random(5));
        double first = t.step(fixed, 0, 0).total(), last = first;
        for (int k = 0; k < 60; k++) {
            last = t.step(fixed, 0, 0).total();
        }
        assertTrue(last < 0.75 * first, "loss " + first + " -> " + last);   // 2.32 -> 1.60 on this seed
    }

    @Test
    void resumingAfterOneEpochGivesTheSameWeightsAsTrainingStraight(@TempDir Path dir) {
        torch.manual_seed(1);
        DwDetector straight = new DwDetector(TINY);
        Map<String, Tensor> init = copy(WeightLoader.stateOf(straight));
        trainer(straight, sgd(straight), 0, 0, 3).train(data(3));

        torch.manual_seed(99);    // the resumed run starts from a differently initialised model: the checkpoint must win
        DwDetector first = new DwDetector(TINY);
        WeightLoader.load(first, init, "", n -> false, true, "init");
        Sgd firstSgd = sgd(first);
        Trainer half = new Trainer(first, new DwLoss(), firstSgd, new LrSchedule(SOLVER.scaledLr(2), SOLVER), 0, 1, 3, 0, 0);
        half.train(data(3));
        Checkpoints ckpt = new Checkpoints(dir, 2);
        ckpt.save(first, firstSgd, new Checkpoints.Meta(1, half.iteration(), 0, "", ""));

        DwDetector resumed = new DwDetector(TINY);
        Sgd resumedSgd = sgd(resumed);
        Checkpoints.Meta meta = Checkpoints.load(ckpt.latest().orElseThrow(), resumed, resumedSgd);
        assertEquals(3, meta.iter());
        trainer(resumed, resumedSgd, meta.epoch(), meta.iter(), 3).train(data(3));

        Map<String, Tensor> a = WeightLoader.stateOf(straight), b = WeightLoader.stateOf(resumed);
        for (String k : a.keySet()) {
            assertArrayEquals(Tensors.toFloats(a.get(k)), Tensors.toFloats(b.get(k)), 0f, k);   // bit-identical
        }
    }

    /** Stops a run after iteration {@code n} (as a kill would, but in-process). */
    static final class StopAt implements TrainHook {
        static final class Stopped extends RuntimeException {}

        private final long n;

        StopAt(long n) {
            this.n = n;
        }

        @Override
        public void afterStep(Trainer t, StepResult r) {
            if (t.iteration() == n) {
                throw new Stopped();
            }
        }
    }

    @Test
    void resumingInTheMiddleOfAnEpochGivesTheSameWeightsAndLossesAsTrainingStraight(@TempDir Path dir) {
        torch.manual_seed(1);
        DwDetector straight = new DwDetector(TINY);
        Map<String, Tensor> init = copy(WeightLoader.stateOf(straight));
        List<StepResult> straightSteps = new ArrayList<>();
        Trainer s = trainer(straight, sgd(straight), 0, 0, 3);
        s.addHook(new TrainHook() {
            @Override
            public void afterStep(Trainer t, StepResult r) {
                straightSteps.add(r);
            }
        });
        s.train(data(3));   // 2 epochs × 3 batches; the lr steps at epoch 1 and warms up over 5 iterations

        // Checkpoints every 2 iterations; stopped after iteration 5, so the newest is iter_4: 1 batch into epoch 2.
        DwDetector first = new DwDetector(TINY);
        WeightLoader.load(first, init, "", n -> false, true, "init");
        Sgd firstSgd = sgd(first);
        Checkpoints ckpt = new Checkpoints(dir, 2);
        Checkpoints.RunInfo run = new Checkpoints.RunInfo(0, "", "");
        PrintStream quiet = new PrintStream(java.io.OutputStream.nullOutputStream());
        Trainer half = trainer(first, firstSgd, 0, 0, 3).addHook(new CheckpointHook(ckpt, 0, 2, run, quiet)).addHook(new StopAt(5));
        assertThrows(StopAt.Stopped.class, () -> half.train(data(3)));
        assertEquals(dir.resolve("iter_4.pth"), ckpt.latest().orElseThrow());
        assertTrue(Files.exists(dir.resolve("iter_2.pth")), "keep 2");

        torch.manual_seed(99);
        DwDetector resumed = new DwDetector(TINY);
        Sgd resumedSgd = sgd(resumed);
        Checkpoints.Meta meta = Checkpoints.load(ckpt.latest().orElseThrow(), resumed, resumedSgd);
        assertEquals(List.of(1, 4L, 1), List.of(meta.epoch(), meta.iter(), meta.batchInEpoch()));
        List<StepResult> resumedSteps = new ArrayList<>();
        Trainer r = trainer(resumed, resumedSgd, meta.epoch(), meta.iter(), 3).startingAtBatch(meta.batchInEpoch());
        r.addHook(new TrainHook() {
            @Override
            public void afterStep(Trainer t, StepResult step) {
                resumedSteps.add(step);
            }
        });
        r.train(data(3));   // the default EpochData.epoch(e, from) draws and drops the batch already done

        assertEquals(6, r.iteration());
        assertEquals(2, resumedSteps.size());
        for (int k = 0; k < 2; k++) {
            StepResult a = straightSteps.get(4 + k), b = resumedSteps.get(k);
            assertEquals(List.of(a.epoch(), a.iter(), a.lr(), a.clsPos(), a.loc(), a.clsNeg(), a.gradNorm()),
                    List.of(b.epoch(), b.iter(), b.lr(), b.clsPos(), b.loc(), b.clsNeg(), b.gradNorm()), "iteration " + a.iter());
        }
        Map<String, Tensor> a = WeightLoader.stateOf(straight), b = WeightLoader.stateOf(resumed);
        for (String k : a.keySet()) {
            assertTrue(a.get(k).equal(b.get(k)), k + " differs");   // bit-identical
        }
    }

    @Test
    void pruningKeepsTheNewestByIterationOverBothKindsAndNeverTheBest(@TempDir Path dir) throws Exception {
        torch.manual_seed(4);
        DwDetector model = new DwDetector(TINY);
        Sgd sgd = sgd(model);
        Checkpoints ckpt = new Checkpoints(dir, 3);
        Checkpoints.RunInfo run = new Checkpoints.RunInfo(0, "", "");
        ckpt.saveIteration(model, sgd, run.at(0, 2, 2));
        ckpt.save(model, sgd, run.at(1, 3, 0));
        ckpt.saveBest(model, sgd, run.at(1, 3, 0), "bbox_mAP", 0.25);
        ckpt.saveIteration(model, sgd, run.at(1, 5, 2));
        ckpt.saveIteration(model, sgd, run.at(2, 6, 3));   // the last batch of epoch 2: the epoch checkpoint follows
        ckpt.save(model, sgd, run.at(2, 6, 0));
        Files.writeString(dir.resolve("epoch_9.pth"), "x");   // an orphan of a kill
        ckpt.saveIteration(model, sgd, run.at(2, 8, 2));
        assertEquals(List.of("best_bbox_mAP.json", "best_bbox_mAP_epoch_1.json", "best_bbox_mAP_epoch_1.optim.pth",
                        "best_bbox_mAP_epoch_1.pth", "epoch_2.json", "epoch_2.optim.pth", "epoch_2.pth", "iter_6.json",
                        "iter_6.optim.pth", "iter_6.pth", "iter_8.json", "iter_8.optim.pth", "iter_8.pth", "latest.json"),
                Files.list(dir).map(p -> p.getFileName().toString()).sorted().toList());
        assertEquals(dir.resolve("iter_8.pth"), ckpt.latest().orElseThrow());
        Checkpoints.Meta m = Checkpoints.load(dir.resolve("best_bbox_mAP_epoch_1.pth"), new DwDetector(TINY), sgd(model));
        assertEquals(List.of(1, 3L, 0), List.of(m.epoch(), m.iter(), m.batchInEpoch()));
        // An older checkpoint's record (no batchInEpoch) reads as an epoch-boundary one.
        Files.writeString(dir.resolve("epoch_2.json"), "{\"epoch\":2,\"iter\":6,\"seed\":0,\"config\":\"\",\"versions\":\"\"}");
        assertEquals(0, Checkpoints.load(dir.resolve("epoch_2.pth"), new DwDetector(TINY), sgd(model)).batchInEpoch());
    }

    @Test
    void theBestCheckpointFollowsTheMetricAndSurvivesAResume(@TempDir Path dir) throws Exception {
        torch.manual_seed(5);
        DwDetector model = new DwDetector(TINY);
        Trainer t = trainer(model, sgd(model), 0, 0, 3);
        Checkpoints ckpt = new Checkpoints(dir, 1);
        Checkpoints.RunInfo run = new Checkpoints.RunInfo(0, "", "");
        PrintStream quiet = new PrintStream(java.io.OutputStream.nullOutputStream());
        BestCheckpoint best = new BestCheckpoint(ckpt, "bbox_mAP", run, 0, quiet);
        double[] scores = {0.1, 0.3, 0.3, 0.2, Double.NaN};
        for (int e = 0; e < scores.length; e++) {
            best.evaluated(t, e + 1, Map.of("bbox_mAP", scores[e], "bbox_mAP_50", 0.9));
        }
        assertEquals(List.of("best_bbox_mAP.json", "best_bbox_mAP_epoch_2.json", "best_bbox_mAP_epoch_2.optim.pth",
                "best_bbox_mAP_epoch_2.pth"), Files.list(dir).map(p -> p.getFileName().toString()).sorted().toList());
        assertEquals(new Checkpoints.Best("best_bbox_mAP_epoch_2", "bbox_mAP", 0.3, 0), ckpt.best("bbox_mAP").orElseThrow());

        // A resumed run competes with the best recorded before its start; a fresh run starts afresh.
        Files.writeString(dir.resolve("best_bbox_mAP.json"), "{\"checkpoint\":\"best_bbox_mAP_epoch_2\",\"metric\":\"bbox_mAP\","
                + "\"value\":0.3,\"iter\":6}");
        assertEquals(0.3, new BestCheckpoint(ckpt, "bbox_mAP", run, 9, quiet).best());
        assertEquals(Double.NEGATIVE_INFINITY, new BestCheckpoint(ckpt, "bbox_mAP", run, 3, quiet).best());
        assertEquals(Double.NEGATIVE_INFINITY, new BestCheckpoint(ckpt, "bbox_mAP", run, 0, quiet).best());
        BestCheckpoint resumed = new BestCheckpoint(ckpt, "bbox_mAP", run, 9, quiet);
        resumed.evaluated(t, 4, Map.of("bbox_mAP", 0.25));
        assertTrue(Files.exists(dir.resolve("best_bbox_mAP_epoch_2.pth")));
        resumed.evaluated(t, 5, Map.of("bbox_mAP", 0.35));
        assertEquals(List.of("best_bbox_mAP.json", "best_bbox_mAP_epoch_5.json", "best_bbox_mAP_epoch_5.optim.pth",
                "best_bbox_mAP_epoch_5.pth"), Files.list(dir).map(p -> p.getFileName().toString()).sorted().toList());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> resumed.evaluated(t, 6, Map.of("loss", 1)));
        assertTrue(e.getMessage().startsWith("the evaluation has no bbox_mAP"), e.getMessage());
    }

    @Test
    void nanLossStopsWithTheIterationAndTermAndKeepsTheLastCheckpoint(@TempDir Path dir) throws Exception {
        torch.manual_seed(2);
        DwDetector model = new DwDetector(TINY);
        Sgd sgd = sgd(model);
        Checkpoints ckpt = new Checkpoints(dir, 2);
        ckpt.save(model, sgd, new Checkpoints.Meta(1, 3, 0, "", ""));
        byte[] before = Files.readAllBytes(dir.resolve("epoch_1.pth"));
        DetectionBatch bad = batch(new Random(7));
        bad.images().select(0, 0).fill_(Tensors.s(Double.NaN));
        Trainer t = trainer(model, sgd, 1, 3, 1);
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                () -> t.train(epoch -> List.of(bad).iterator()));
        assertTrue(e.getMessage().startsWith("the input batch has NaN or infinite pixels at iteration 3 (epoch 2)"),
                e.getMessage());
        assertEquals(dir.resolve("epoch_1.pth"), ckpt.latest().orElseThrow());
        assertArrayEquals(before, Files.readAllBytes(dir.resolve("epoch_1.pth")));
    }

    @Test
    void divergedWeightsAreNamed() {
        torch.manual_seed(2);
        DwDetector model = new DwDetector(TINY);
        Sgd sgd = sgd(model);
        Sgd.Param p = sgd.params().stream().filter(q -> q.name().startsWith("neck.")).findFirst().orElseThrow();
        try (org.bytedeco.pytorch.NoGradGuard g = new org.bytedeco.pytorch.NoGradGuard()) {
            p.tensor().fill_(Tensors.s(Double.POSITIVE_INFINITY));
        }
        Trainer t = trainer(model, sgd, 0, 0, 1);
        DetectionBatch ok = batch(new Random(7));
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> t.train(epoch -> List.of(ok).iterator()));
        assertTrue(e.getMessage().startsWith("the weights diverged (" + p.name() + " is not finite after the previous step) at"
                + " iteration 0 (epoch 1)"), e.getMessage());
    }

    @Test
    void checkpointsKeepTheLastKAndLogsAreWritten(@TempDir Path dir) throws Exception {
        torch.manual_seed(3);
        DwDetector model = new DwDetector(TINY);
        Sgd sgd = sgd(model);
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(console, true);
        Trainer t = new Trainer(model, new DwLoss(), sgd, new LrSchedule(0.01, SOLVER), 0, 3, 2, 0, 0);
        try (MetricsLog metrics = new MetricsLog(dir.resolve("metrics.jsonl"))) {
            t.addHook(new ProgressLogger(1, out, metrics, dir.resolve("loss_curve.png")));
            t.addHook(new CheckpointHook(new Checkpoints(dir, 2), 1, e -> new Checkpoints.Meta(e, t.iteration(), 0, "", ""), out));
            t.train(data(2));
        }
        assertEquals(List.of("epoch_2.json", "epoch_2.optim.pth", "epoch_2.pth", "epoch_3.json", "epoch_3.optim.pth",
                "epoch_3.pth", "latest.json", "loss_curve.png", "metrics.jsonl"),
                Files.list(dir).map(p -> p.getFileName().toString()).sorted().toList());
        List<String> lines = Files.readAllLines(dir.resolve("metrics.jsonl"));
        assertEquals(6, lines.size());
        assertTrue(lines.get(5).contains("\"global_iter\":6"), lines.get(5));
        assertTrue(console.toString().contains("Epoch [3/3][2/2]  lr: "), console.toString());
        assertTrue(javax.imageio.ImageIO.read(dir.resolve("loss_curve.png").toFile()).getWidth() == 800);
    }

    @Test
    void sixHundredIterationsKeepNativeMemoryFlat() throws Exception {
        // Its own JVM with a fixed, pre-touched heap, so that resident memory changes are native memory only.
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xms256m",
                "-Xmx256m", "-XX:+AlwaysPreTouch", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0", "-cp", cp,
                MemorySoak.class.getName(), "600").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        String[] f = out.lines().filter(l -> l.startsWith("FLOORS ")).findFirst().orElseThrow().split(" ");
        long first = Long.parseLong(f[1]), last = Long.parseLong(f[2]);
        assertTrue(Long.parseLong(f[4]) <= Long.parseLong(f[3]), "live native objects grew: " + out);
        // RSS fluctuates by tens of MB (malloc arenas, oneDNN scratch); a leak raises its floor.
        assertTrue(last - first < 32L << 20, "resident memory floor grew by " + ((last - first) >> 20) + " MiB over 600 steps");
    }

    private static Map<String, Tensor> copy(Map<String, Tensor> state) {
        Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        state.forEach((k, v) -> {
            Tensor c = v.detach().clone();
            c.retainReference();
            out.put(k, c);
        });
        return out;
    }
}
