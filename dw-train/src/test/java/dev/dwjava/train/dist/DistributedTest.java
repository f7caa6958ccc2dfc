package dev.dwjava.train.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.dwjava.core.runtime.Torch;
import dev.dwjava.model.weights.TorchFile;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two processes on Gloo over loopback against one process on the combined batches. */
class DistributedTest {

    /** Starts {@code world} JVMs running {@code main} with torchrun's environment; returns their exit codes. */
    static List<Integer> launch(Class<?> main, int world, Path log, String... args) throws Exception {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<Process> ps = new ArrayList<>();
        for (int r = 0; r < world; r++) {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0", "-cp", cp, main.getName()));
            cmd.addAll(List.of(args));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.resolveSibling(log.getFileName() + "." + r).toFile());
            Map<String, String> env = pb.environment();
            env.put("RANK", "" + r);
            env.put("LOCAL_RANK", "" + r);
            env.put("WORLD_SIZE", "" + world);
            env.put("MASTER_ADDR", "127.0.0.1");
            env.put("MASTER_PORT", "" + port);
            env.put("DW_THREADS", "1");
            env.put("DW_DIST_TIMEOUT", "60");
            ps.add(pb.start());
        }
        List<Integer> codes = new ArrayList<>();
        for (Process p : ps) {
            assertTrue(p.waitFor(180, TimeUnit.SECONDS), "a process hung");
            codes.add(p.exitValue());
        }
        return codes;
    }

    @Test
    void twoProcessesMatchOneProcessOnTheCombinedBatches(@TempDir Path tmp) throws Exception {
        assertEquals(List.of(0, 0), launch(DistTrainCheck.class, 2, tmp.resolve("log"), tmp.resolve("two.pth").toString()),
                () -> read(tmp.resolve("log.0")) + read(tmp.resolve("log.1")));
        assertEquals(List.of(0), launch(DistTrainCheck.class, 1, tmp.resolve("one"), tmp.resolve("one.pth").toString()));
        Torch.init();
        Map<String, Tensor> a = TorchFile.loadStateDict(tmp.resolve("two.pth")), b = TorchFile.loadStateDict(tmp.resolve("one.pth"));
        assertEquals(a.keySet(), b.keySet());
        double worst = 0;
        for (String k : a.keySet()) {
            Tensor x = a.get(k), y = b.get(k);
            double scale = Math.max(1e-3, y.abs().max().item_double());
            worst = Math.max(worst, x.sub(y).abs().max().item_double() / scale);
        }
        // Float sums of per-rank half-batch gradients vs full-batch gradients differ by rounding only.
        assertTrue(worst < 1e-4, "largest relative weight difference " + worst);
        // And training did move the weights (the comparison is not between two untouched models).
        assertTrue(a.get("bbox_head.conv_cls.bias").sub(org.bytedeco.pytorch.global.torch.full(new long[] {3},
                new org.bytedeco.pytorch.Scalar(-Math.log(49)))).abs().max().item_double() > 1e-4);
    }

    @Test
    void shardedEvaluationGivesTheSameResultsAsOneProcess(@TempDir Path tmp) throws Exception {
        Torch.init();
        Path data = tmp.resolve("data");
        dev.dwjava.data.synthetic.SyntheticCoco.generate(data, 4, 10, 64, 3);
        Path config = dev.dwjava.train.app.TrainRunnerTest.quickstartConfig().toAbsolutePath();
        org.bytedeco.pytorch.global.torch.manual_seed(1);
        dev.dwjava.train.config.DwConfig cfg = dev.dwjava.train.config.DwConfig.load(config, overrides(data)).config();
        dev.dwjava.model.DwDetector model = new dev.dwjava.model.DwDetector(cfg.model());
        Path weights = tmp.resolve("w.pth");
        dev.dwjava.model.weights.TorchFileWriter.writeStateDict(weights, dev.dwjava.model.weights.WeightLoader.stateOf(model));
        List<String> args = new ArrayList<>(List.of("test", "--config", config.toString(), "--weights", weights.toString(),
                "--eval", "bbox", "--out", tmp.resolve("two/res.json").toString(), "--cfg-options"));
        args.addAll(overrides(data));
        assertEquals(List.of(0, 0), launch(dev.dwjava.train.cli.DwCli.class, 2, tmp.resolve("log"), args.toArray(new String[0])),
                () -> read(tmp.resolve("log.0")) + read(tmp.resolve("log.1")));
        args.set(args.indexOf(tmp.resolve("two/res.json").toString()), tmp.resolve("one/res.json").toString());
        assertEquals(List.of(0), launch(dev.dwjava.train.cli.DwCli.class, 1, tmp.resolve("one"), args.toArray(new String[0])));
        List<String> one = lines(tmp.resolve("one/res.json")), two = lines(tmp.resolve("two/res.json"));
        assertTrue(one.size() > 10, "detections: " + one.size());
        assertEquals(new java.util.TreeSet<>(one), new java.util.TreeSet<>(two));
        // Gathered back in dataset order: the very same file, not only the same detections.
        assertEquals(Files.readString(tmp.resolve("one/res.json")), Files.readString(tmp.resolve("two/res.json")));
        assertEquals(Files.readString(tmp.resolve("one/eval.json")), Files.readString(tmp.resolve("two/eval.json")));
    }

    @Test
    void evaluationDuringTrainingIsShardedAndEqualsAOneProcessTest(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        dev.dwjava.data.synthetic.SyntheticCoco.generate(data, 8, 10, 64, 3);
        Path work = tmp.resolve("work");
        List<String> overrides = new ArrayList<>(dev.dwjava.train.app.TinyTrainArgs.overrides(data, 1, 2));
        overrides.replaceAll(o -> o.equals("runtime.eval_interval=0") ? "runtime.eval_interval=1" : o);
        // Two images per forward: the shards are blocks of two, batched and padded as one process batches them.
        overrides.addAll(List.of("test.score_thr=0.005", "data.test_images_per_process=2"));
        List<String> train = new ArrayList<>(List.of("train", "--config",
                dev.dwjava.train.app.TrainRunnerTest.quickstartConfig().toAbsolutePath().toString(), "--work-dir", work.toString(),
                "--cfg-options"));
        train.addAll(overrides);
        assertEquals(List.of(0, 0), launch(dev.dwjava.train.cli.DwCli.class, 2, tmp.resolve("log"), train.toArray(new String[0])),
                () -> read(tmp.resolve("log.0")) + read(tmp.resolve("log.1")));
        assertTrue(read(tmp.resolve("log.0")).contains("sharded over 2 processes"), read(tmp.resolve("log.0")));
        // One process tests the checkpoint the two-process run ended with: the same numbers as its in-training evaluation.
        List<String> test = new ArrayList<>(List.of("test", "--config",
                dev.dwjava.train.app.TrainRunnerTest.quickstartConfig().toAbsolutePath().toString(), "--weights",
                work.resolve("epoch_1.pth").toString(), "--eval", "bbox", "--out", tmp.resolve("one/res.json").toString(),
                "--cfg-options"));
        test.addAll(overrides);
        assertEquals(List.of(0), launch(dev.dwjava.train.cli.DwCli.class, 1, tmp.resolve("one"), test.toArray(new String[0])),
                () -> read(tmp.resolve("one.0")));
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.JsonNode during = json.readTree(work.resolve("eval.json").toFile());
        com.fasterxml.jackson.databind.JsonNode after = json.readTree(tmp.resolve("one/eval.json").toFile());
        assertTrue(lines(tmp.resolve("one/res.json")).size() > 10, "detections: " + lines(tmp.resolve("one/res.json")).size());
        assertEquals(after, during);
    }

    private static List<String> overrides(Path data) {
        return List.of("data.val.annotations=" + data + "/annotations/instances_val.json", "data.val.images=" + data + "/val",
                "data.images_per_process=3", "data.workers=0",
                // A random model scores everything near the 0.02 prior: a low threshold gives detections to compare.
                "test.score_thr=0.005", "model.base_width=8",
                "model.fpn_channels=16", "model.head_channels=16", "model.gn_groups=4");
    }

    /** The detections of a results file, one normalised line each (order-free comparison). */
    private static List<String> lines(Path results) throws IOException {
        com.fasterxml.jackson.databind.JsonNode list = new com.fasterxml.jackson.databind.ObjectMapper().readTree(results.toFile());
        return java.util.stream.StreamSupport.stream(list.spliterator(), false).map(Object::toString).toList();
    }

    @Test
    void environmentIsValidated() {
        assertEquals(DistEnv.SINGLE, DistEnv.fromEnvironment(Map.of()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DistEnv.fromEnvironment(Map.of("WORLD_SIZE", "2")));
        assertEquals("distributed run: environment variable RANK is not set", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DistEnv.fromEnvironment(Map.of("WORLD_SIZE", "2", "RANK", "2")));
        assertTrue(e.getMessage().startsWith("RANK must be in [0, WORLD_SIZE)"), e.getMessage());
    }

    @Test
    void aPeerThatNeverComesEndsWithAnErrorInsteadOfAHang(@TempDir Path tmp) throws Exception {
        // WORLD_SIZE 2 but only rank 0 starts: the rendezvous times out (DW_DIST_TIMEOUT = 60 s would be long; use 5).
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0", "-cp", cp, DistTrainCheck.class.getName(),
                tmp.resolve("x.pth").toString()).redirectErrorStream(true).redirectOutput(tmp.resolve("log").toFile());
        pb.environment().putAll(Map.of("RANK", "0", "WORLD_SIZE", "2", "MASTER_ADDR", "127.0.0.1", "MASTER_PORT", "" + port,
                "DW_DIST_TIMEOUT", "5", "DW_THREADS", "1"));
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "rank 0 hung waiting for its peer");
        assertTrue(p.exitValue() != 0, read(tmp.resolve("log")));
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }
}
