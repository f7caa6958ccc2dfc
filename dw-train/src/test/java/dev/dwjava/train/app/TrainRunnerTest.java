package dev.dwjava.train.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dwjava.eval.coco.CocoEvalResult;
import dev.dwjava.train.cli.DwCli;
import dev.dwjava.train.config.DwConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A whole (tiny) run: synthetic data, training, checkpoints, evaluation, files in the work dir; then resume and test. */
public class TrainRunnerTest {

    private static List<String> tiny(Path data) {
        return List.of("model.base_width=8", "model.fpn_channels=16", "model.head_channels=16", "model.gn_groups=4",
                "model.stacked_convs=1", "data.train.annotations=" + data + "/annotations/instances_train.json",
                "data.train.images=" + data + "/train", "data.val.annotations=" + data + "/annotations/instances_val.json",
                "data.val.images=" + data + "/val", "data.synthetic={train: 24, val: 8, size: 64, seed: 1}",
                "data.train_scale={long_edge: 64, short_edge: [64, 64]}", "data.test_scale={long_edge: 64, short_edge: [64, 64]}",
                "data.images_per_process=4", "solver.epochs=2", "runtime.eval_interval=1", "runtime.log_interval=2");
    }

    public static Path quickstartConfig() {
        Path p = Path.of(System.getProperty("maven.multiModuleProjectDirectory", ".."), "configs", "quickstart.yaml");
        return p.toFile().isFile() ? p : Path.of("..", "configs", "quickstart.yaml");
    }

    @Test
    void endToEndWritesEverythingAndResumes(@TempDir Path tmp) throws Exception {
        Path work = tmp.resolve("work");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        DwConfig.Loaded cfg = DwConfig.load(quickstartConfig(), tiny(tmp.resolve("data")));
        CocoEvalResult r = new TrainRunner(cfg, work, new PrintStream(log, true)).run(null);
        assertEquals(12, r.stats().length);
        for (String f : new String[] {"config.yaml", "epoch_2.pth", "epoch_2.optim.pth", "epoch_2.json", "latest.json",
                "metrics.jsonl", "eval.json", "loss_curve.png", "predictions.png"}) {
            assertTrue(Files.isRegularFile(work.resolve(f)), f + " missing; log:\n" + log);
        }
        JsonNode eval = new ObjectMapper().readTree(work.resolve("eval.json").toFile());
        assertEquals(12, eval.get("bbox").get("stats").size());
        List<String> metrics = Files.readAllLines(work.resolve("metrics.jsonl"));
        assertTrue(metrics.stream().anyMatch(l -> l.contains("\"mode\":\"val\"") && l.contains("bbox_mAP")), metrics.toString());
        assertTrue(log.toString().contains("Generating the synthetic dataset"), log.toString());

        // Resume for one more epoch, then test the checkpoint through the CLI.
        List<String> more = new java.util.ArrayList<>(tiny(tmp.resolve("data")));
        more.add("solver.epochs=3");
        CocoEvalResult r3 = new TrainRunner(DwConfig.load(quickstartConfig(), more), work, new PrintStream(log, true))
                .run(work.resolve("epoch_2.pth"));
        assertTrue(log.toString().contains("resumed from " + work.resolve("epoch_2.pth") + " (epoch 2, iteration"), log.toString());
        assertTrue(Files.isRegularFile(work.resolve("epoch_3.pth")));
        assertEquals(12, r3.stats().length);
        String[] args = {"test", "--config", quickstartConfig().toString(), "--weights", work.resolve("epoch_3.pth").toString(),
            "--eval", "bbox", "--out", tmp.resolve("res/results.bbox.json").toString(), "--cfg-options"};
        List<String> all = new java.util.ArrayList<>(List.of(args));
        all.addAll(more);
        assertEquals(0, DwCli.execute(all.toArray(new String[0])));
        assertTrue(Files.size(tmp.resolve("res/results.bbox.json")) > 2);
        assertEquals(r3.stats()[0], new ObjectMapper().readTree(tmp.resolve("res/eval.json").toFile()).get("bbox").get("stats").get(0).asDouble(), 1e-9);
    }
}
