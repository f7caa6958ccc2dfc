package dev.dwjava.train.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dwjava.data.synthetic.SyntheticCoco;
import dev.dwjava.train.config.DwConfig;
import dev.dwjava.train.engine.MetricsLog;
import dev.dwjava.train.engine.TrainHook;
import dev.dwjava.train.logging.EventFileReader;
import dev.dwjava.train.logging.TensorBoardHook;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real tiny run (2 epochs of 4 iterations, a log line every 2, evaluation after each epoch): {@code train.log} holds
 * the console's lines, and the TensorBoard event file, read by a reader written from the published format, holds every
 * scalar of {@code metrics.jsonl} with its tag, step and value.
 */
class TrainingLogsTest {
    private static final Set<String> NOT_SCALARS = Set.of("mode", "epoch", "iter", "global_iter", "eta_s");

    private static List<String> overrides(Path data, String... more) {
        List<String> o = new ArrayList<>(TinyTrainArgs.overrides(data, 2, 4));
        o.replaceAll(s -> s.equals("runtime.eval_interval=0") ? "runtime.eval_interval=1" : s);
        o.addAll(List.of(more));
        return o;
    }

    @Test
    void aRunWritesTrainLogAndTheTensorBoardScalarsOfItsMetrics(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data"), work = tmp.resolve("work");
        SyntheticCoco.generate(data, 16, 4, 64, 3);
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        double start = System.currentTimeMillis() / 1000.0 - 1;
        TrainJob.run(TrainRunnerTest.quickstartConfig(), work, null, false, overrides(data),
                new PrintStream(console, true, StandardCharsets.UTF_8));
        double end = System.currentTimeMillis() / 1000.0 + 1;

        // train.log: a start line, then exactly the console's lines
        List<String> shown = console.toString(StandardCharsets.UTF_8).lines().toList();
        List<String> logged = Files.readAllLines(work.resolve("train.log"), StandardCharsets.UTF_8);
        assertTrue(logged.get(0).startsWith("===== "), logged.get(0));
        assertEquals(shown, logged.subList(1, logged.size()));
        assertTrue(shown.stream().anyMatch(l -> l.startsWith("Epoch [2/2][4/4]")), shown.toString());
        assertTrue(shown.stream().anyMatch(l -> l.startsWith("Evaluating on 4 val images after epoch 2")), shown.toString());
        assertEquals("Work dir: " + work.toAbsolutePath(), shown.get(shown.size() - 1));

        // tf_logs: one event file whose scalars are those of metrics.jsonl, in order
        List<Path> files;
        try (Stream<Path> s = Files.list(work.resolve("tf_logs"))) {
            files = s.toList();
        }
        assertEquals(1, files.size(), files.toString());
        assertTrue(files.get(0).getFileName().toString().startsWith("events.out.tfevents."));
        List<EventFileReader.Event> events = EventFileReader.read(files.get(0));
        assertEquals("brain.Event:2", events.get(0).fileVersion());
        assertEquals(1, events.get(1).sessionStatus());   // START at iteration 0
        assertEquals(0, events.get(1).step());
        List<String> expected = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        int train = 0, val = 0;
        for (String line : Files.readAllLines(work.resolve("metrics.jsonl"))) {
            JsonNode r = json.readTree(line);
            String mode = r.get("mode").asText();
            long step = r.get(mode.equals("train") ? "global_iter" : "iter").asLong();
            if (mode.equals("train")) {
                assertEquals(2L * ++train, step);   // a record every 2 iterations
            } else {
                assertEquals(4L * ++val, step);     // after each epoch of 4
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = r.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                if (f.getValue().isNumber() && !NOT_SCALARS.contains(f.getKey())) {
                    expected.add(mode + "/" + f.getKey() + " @" + step + " = " + (float) f.getValue().asDouble());
                }
            }
        }
        assertEquals(4, train);
        assertEquals(2, val);
        List<String> written = new ArrayList<>();
        for (EventFileReader.Event e : events.subList(2, events.size())) {
            assertEquals(1, e.values().size());
            assertTrue(e.wallTime() >= start && e.wallTime() <= end, e.toString());
            written.add(e.values().get(0).tag() + " @" + e.step() + " = " + e.values().get(0).value());
        }
        assertEquals(expected, written);
        Set<String> tags = events.stream().flatMap(e -> e.values().stream()).map(EventFileReader.Scalar::tag)
                .collect(Collectors.toCollection(TreeSet::new));
        assertTrue(tags.containsAll(List.of("train/loss", "train/loss_cls_pos", "train/loss_loc", "train/loss_cls_neg",
                "train/lr", "train/grad_norm", "train/time", "train/data_time", "train/memory_mb", "val/bbox_mAP",
                "val/bbox_mAP_50", "val/bbox_mAP_75", "val/bbox_mAP_s", "val/bbox_mAP_m", "val/bbox_mAP_l")), tags.toString());
        // the total is the sum of the three terms, and a gradient norm was measured
        for (EventFileReader.Event e : events) {
            if (!e.values().isEmpty() && e.values().get(0).tag().equals("train/loss")) {
                float sum = value(events, "train/loss_cls_pos", e.step()) + value(events, "train/loss_loc", e.step())
                        + value(events, "train/loss_cls_neg", e.step());
                assertEquals(sum, e.values().get(0).value(), 1e-5 * Math.abs(sum));
                assertTrue(value(events, "train/grad_norm", e.step()) > 0);
            }
        }

        BufferedImage curve = ImageIO.read(work.resolve("loss_curve.png").toFile());
        assertEquals(800, curve.getWidth());
        assertEquals(480, curve.getHeight());

        // A resumed run appends to train.log and starts a second event file with a session start at iteration 8.
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        List<String> third = overrides(data, "solver.epochs=3");
        TrainJob.run(TrainRunnerTest.quickstartConfig(), work, work.resolve("epoch_2.pth"), false, third,
                new PrintStream(again, true, StandardCharsets.UTF_8));
        List<String> both = Files.readAllLines(work.resolve("train.log"), StandardCharsets.UTF_8);
        assertEquals(logged, both.subList(0, logged.size()));
        assertTrue(both.get(logged.size()).startsWith("===== "), both.get(logged.size()));
        assertEquals(again.toString(StandardCharsets.UTF_8).lines().toList(), both.subList(logged.size() + 1, both.size()));
        try (Stream<Path> s = Files.list(work.resolve("tf_logs"))) {
            files = s.sorted().toList();
        }
        assertEquals(2, files.size(), files.toString());
        List<EventFileReader.Event> resumed = EventFileReader.read(files.get(1));
        assertEquals(1, resumed.get(1).sessionStatus());
        assertEquals(8, resumed.get(1).step());
        assertEquals(List.of(10L, 12L), resumed.stream().filter(e -> !e.values().isEmpty()
                && e.values().get(0).tag().equals("train/loss")).map(EventFileReader.Event::step).toList());
        assertEquals(List.of(12L), resumed.stream().filter(e -> !e.values().isEmpty()
                && e.values().get(0).tag().equals("val/bbox_mAP")).map(EventFileReader.Event::step).toList());
    }

    @Test
    void runtimeTensorboardSwitchesTheHook(@TempDir Path tmp) {
        Path data = tmp.resolve("data");
        List<String> noEval = TinyTrainArgs.overrides(data, 1, 4);
        assertTrue(DwConfig.load(TrainRunnerTest.quickstartConfig(), noEval).config().runtime().tensorboard());
        List<String> off = new ArrayList<>(noEval);
        off.add("runtime.tensorboard=false");
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        for (List<String> o : List.of(noEval, off)) {
            DwConfig.Loaded cfg = DwConfig.load(TrainRunnerTest.quickstartConfig(), o);
            try (MetricsLog metrics = new MetricsLog(tmp.resolve("metrics.jsonl"))) {
                List<TrainHook> hooks = new TrainRunner(cfg, tmp.resolve("work"), quiet).buildHooks(null, null, metrics);
                assertEquals(cfg.config().runtime().tensorboard() ? 1 : 0,
                        hooks.stream().filter(h -> h instanceof TensorBoardHook).count());
            }
        }
        assertFalse(Files.exists(tmp.resolve("work/tf_logs")), "the event file is made when training starts");
        List<String> bad = new ArrayList<>(noEval);
        bad.add("runtime.tensorboard=maybe");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DwConfig.load(TrainRunnerTest.quickstartConfig(), bad));
        assertTrue(e.getMessage().contains("runtime.tensorboard"), e.getMessage());
    }

    private static float value(List<EventFileReader.Event> events, String tag, long step) {
        return events.stream().filter(e -> e.step() == step && !e.values().isEmpty() && e.values().get(0).tag().equals(tag))
                .findFirst().orElseThrow(() -> new AssertionError(tag + " @" + step + " missing")).values().get(0).value();
    }
}
