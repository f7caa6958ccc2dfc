package dev.dwjava.train.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.data.coco.CocoDataset;
import dev.dwjava.data.synthetic.SyntheticCoco;
import dev.dwjava.eval.coco.CocoEvalResult;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.weights.TorchFile;
import dev.dwjava.model.weights.WeightLoader;
import dev.dwjava.train.config.DwConfig;
import dev.dwjava.train.solver.ExpMomentumEma;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code runtime.ema} through {@link TrainRunner} (CPU, tiny model): the checkpoints hold the average in
 * {@code NAME.pth} and the trained weights in {@code NAME.ema.pth}; consecutive checkpoints obey the ExpMomentumEMA
 * rule; the evaluation in training scores the average; a run killed mid-epoch and resumed ends bit-identical.
 */
class EmaTrainingTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
    private static final double MOMENTUM = 0.05, GAMMA = 4;

    @TempDir
    static Path tmp;
    private static Path data, straight;

    private static DwConfig.Loaded config() {
        List<String> o = new ArrayList<>(TinyTrainArgs.overrides(data, 2, 2));
        o.addAll(List.of("data.train_scale={long_edge: 80, short_edge: [48, 64]}", "data.flip=0.5", "data.workers=2",
                "solver.warmup_iters=6", "runtime.checkpoint_interval={iters: 3}", "runtime.log_interval=1",
                "runtime.eval_interval=2", "runtime.ema={momentum: " + MOMENTUM + ", gamma: " + GAMMA + "}"));
        return DwConfig.load(TrainRunnerTest.quickstartConfig(), o);
    }

    @BeforeAll
    static void trainStraight() throws Exception {
        Torch.init();
        data = tmp.resolve("data");
        SyntheticCoco.generate(data, 10, 2, 64, 4);
        straight = tmp.resolve("straight");
        new TrainRunner(config(), straight, QUIET).run(null);
    }

    private static Map<String, Tensor> load(Path file) throws Exception {
        return TorchFile.loadStateDict(file);
    }

    /**
     * 10 images in batches of 2: 5 iterations an epoch, checkpoints iter_9 and epoch_2 (iteration 10) kept. Between
     * them one update, s = 9: avg10 = (1 − m9)·avg9 + m9·w10 with m9 = 0.95·exp(−10/4) + 0.05, for every parameter;
     * buffers equal the trained model's.
     */
    @Test
    void checkpointsHoldTheAverageAndTheTrainedWeightsAndFollowTheRule() throws Exception {
        Map<String, Tensor> avg9 = load(straight.resolve("iter_9.pth")), avg10 = load(straight.resolve("epoch_2.pth"));
        Map<String, Tensor> raw10 = load(straight.resolve("epoch_2.ema.pth"));
        assertEquals(10, Tensors.toLongs(raw10.get("steps"))[0], "one update per iteration");
        Map<?, ?> stored = (Map<?, ?>) TorchFile.load(straight.resolve("epoch_2.ema.pth"));
        assertTrue(stored.containsKey("module.backbone.conv1.weight") && stored.containsKey("steps"),
                "mmengine's layout (the swapped ema_state_dict): " + stored.keySet());
        assertEquals(9, Tensors.toLongs(load(straight.resolve("iter_9.ema.pth")).get("steps"))[0]);
        double m9 = (1 - MOMENTUM) * Math.exp(-10 / GAMMA) + MOMENTUM;
        assertEquals(m9, new ExpMomentumEma(new DwDetector(config().config().model()), MOMENTUM, GAMMA, 1, false)
                .momentumAt(9), 1e-15);
        DwDetector probe = new DwDetector(config().config().model());
        java.util.Set<String> params = new java.util.HashSet<>();
        for (int k = 0; k < probe.named_parameters().size(); k++) {
            params.add(probe.named_parameters().get(k).key().getString());
        }
        int differing = 0;
        for (String k : avg10.keySet()) {
            Tensor w = raw10.get(k);   // (saved as module.<name>; the state-dict reader drops DataParallel's prefix)
            assertTrue(w != null, "epoch_2.ema.pth lacks module." + k);
            if (!params.contains(k)) {
                assertTrue(avg10.get(k).equal(w), k + ": a buffer is copied from the trained model");
                continue;
            }
            double[] a9 = Tensors.toDoubles(avg9.get(k).to(ScalarType.Double)), a10 = Tensors.toDoubles(avg10.get(k).to(ScalarType.Double));
            double[] w10 = Tensors.toDoubles(w.to(ScalarType.Double));
            for (int i = 0; i < a10.length; i++) {
                double expected = (1 - m9) * a9[i] + m9 * w10[i];
                assertEquals(expected, a10[i], 2e-6 * Math.max(1, Math.abs(expected)), k + "[" + i + "]");
            }
            if (!avg10.get(k).equal(w)) {
                differing++;
            }
        }
        assertTrue(differing > 20, "the average differs from the trained weights (" + differing + " tensors)");
    }

    /** The val record of metrics.jsonl is the evaluation of the average (epoch_2.pth), not of the trained weights. */
    @Test
    void theEvaluationInTrainingScoresTheAverage() throws Exception {
        JsonNode val = null;
        for (String line : Files.readAllLines(straight.resolve("metrics.jsonl"))) {
            JsonNode n = JSON.readTree(line);
            if (n.get("mode").asText().equals("val")) {
                val = n;
            }
        }
        assertTrue(val != null, "the run evaluated");
        DwConfig.Loaded loaded = config();
        TrainRunner runner = new TrainRunner(loaded, tmp.resolve("probe"), QUIET);
        CocoDataset valSet = runner.buildDatasets().val();
        DwDetector averaged = new DwDetector(loaded.config().model());
        WeightLoader.loadModel(averaged, straight.resolve("epoch_2.pth"), true);
        CocoEvalResult r = runner.test(averaged, valSet);
        assertEquals(r.stats()[0], val.get("bbox_mAP").asDouble(), 0.0);
        assertEquals(r.stats()[1], val.get("bbox_mAP_50").asDouble(), 0.0);
    }

    /** Without runtime.ema, a resume continues from the trained weights (NAME.ema.pth), not from the average. */
    @Test
    void aResumeWithoutEmaTakesTheTrainedWeights() throws Exception {
        DwConfig.Loaded loaded = config();
        DwDetector model = new DwDetector(loaded.config().model());
        dev.dwjava.train.solver.Sgd sgd = new dev.dwjava.train.solver.Sgd(dev.dwjava.train.solver.Sgd.groups(
                WeightLoader.stateOf(model), 0, 0), 0.9);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        dev.dwjava.train.engine.Checkpoints.load(straight.resolve("epoch_2.pth"),
                new dev.dwjava.train.engine.TrainState(model, sgd), new PrintStream(log, true));
        assertTrue(log.toString().contains("continues from the trained weights in epoch_2.ema.pth"), log.toString());
        Map<String, Tensor> raw = load(straight.resolve("epoch_2.ema.pth")), now = WeightLoader.stateOf(model);
        for (String k : now.keySet()) {
            assertTrue(now.get(k).equal(raw.get(k)), k);
        }
    }

    @Test
    void aRunKilledMidEpochResumesItsAverageAndEndsBitIdentical() throws Exception {
        Path work = tmp.resolve("killed");
        assertThrows(StoppingRunner.Stopped.class, () -> new StoppingRunner(config(), work, QUIET, 8).run(null));
        assertTrue(Files.isRegularFile(work.resolve("iter_6.ema.pth")));
        assertFalse(Files.exists(work.resolve("iter_9.pth")));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        TrainRunner resumed = new TrainRunner(config(), work, new PrintStream(log, true));
        resumed.run(work.resolve("iter_6.pth"));
        assertTrue(log.toString().contains("resumed from " + work.resolve("iter_6.pth") + " (epoch 1, iteration 6, 1 batches"
                + " into epoch 2)"), log.toString());
        for (String f : new String[] {"epoch_2.pth", "epoch_2.ema.pth", "epoch_2.optim.pth"}) {
            Map<String, Tensor> a = load(straight.resolve(f)), b = load(work.resolve(f));
            assertEquals(a.keySet(), b.keySet(), f);
            for (String key : a.keySet()) {
                assertTrue(a.get(key).equal(b.get(key)), f + ": " + key + " differs");
            }
        }
    }
}
