package dev.dwjava.train.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.data.synthetic.SyntheticCoco;
import dev.dwjava.model.weights.TorchFile;
import dev.dwjava.train.app.TrainRunnerTest;
import dev.dwjava.train.cli.DwCli;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two "nodes" on this machine: two network namespaces joined by a veth pair (10.231.7.1 and 10.231.7.2, addresses
 * of our own inside namespaces we create; no traffic leaves them), one process per node with torchrun's environment
 * ({@code NNODES=2}: {@code RANK} = node rank, {@code MASTER_ADDR} = node 0's address), the hostname left resolving to
 * loopback as on Debian: the case in which advertising the hostname's address fails. Needs root and {@code ip netns};
 * skipped with a message elsewhere. Every wait is bounded.
 */
class MultiNodeTest {
    private static final String NODE0 = "10.231.7.1", NODE1 = "10.231.7.2";
    private static final String[] NS = {"dwtest-n0-" + ProcessHandle.current().pid(), "dwtest-n1-" + ProcessHandle.current().pid()};
    private static boolean ready;

    @BeforeAll
    static void namespaces() throws Exception {
        boolean root = "root".equals(System.getProperty("user.name"));
        Assumptions.assumeTrue(root && (Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip"))),
                "multi-node test skipped: needs root and iproute2's ip (network namespaces)");
        Assumptions.assumeTrue(sh("ip", "netns", "add", NS[0]) == 0, "multi-node test skipped: network namespaces cannot be created here");
        ready = true;
        String veth0 = "dwv0" + (ProcessHandle.current().pid() % 100000), veth1 = "dwv1" + (ProcessHandle.current().pid() % 100000);
        for (String[] cmd : new String[][] {
            {"ip", "netns", "add", NS[1]},
            {"ip", "link", "add", veth0, "type", "veth", "peer", "name", veth1},
            {"ip", "link", "set", veth0, "netns", NS[0]},
            {"ip", "link", "set", veth1, "netns", NS[1]},
            {"ip", "-n", NS[0], "addr", "add", NODE0 + "/30", "dev", veth0},
            {"ip", "-n", NS[1], "addr", "add", NODE1 + "/30", "dev", veth1},
            {"ip", "-n", NS[0], "link", "set", veth0, "up"}, {"ip", "-n", NS[1], "link", "set", veth1, "up"},
            {"ip", "-n", NS[0], "link", "set", "lo", "up"}, {"ip", "-n", NS[1], "link", "set", "lo", "up"}}) {
            if (sh(cmd) != 0) {
                removeNamespaces();
                ready = false;
                Assumptions.abort("multi-node test skipped: '" + String.join(" ", cmd) + "' failed (no veth support here?)");
            }
        }
    }

    @AfterAll
    static void removeNamespaces() throws Exception {
        if (ready) {
            sh("ip", "netns", "del", NS[0]);   // deleting a namespace deletes its end of the veth pair, and so both
            sh("ip", "netns", "del", NS[1]);
        }
    }

    private static int sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), String.join(" ", cmd) + " hung");
        return p.exitValue();
    }

    /** Starts node {@code node}'s single process of {@code main} inside its namespace. */
    private static Process node(int node, Class<?> main, Path log, int port, List<String> args) throws IOException {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", NS[node],
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0",
                "-cp", cp, main.getName()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.putAll(Map.of("RANK", "" + node, "LOCAL_RANK", "0", "WORLD_SIZE", "2", "MASTER_ADDR", NODE0, "MASTER_PORT", "" + port,
                "DW_THREADS", "1", "DW_DIST_TIMEOUT", "20"));
        env.remove("GLOO_SOCKET_IFNAME");
        return pb.start();
    }

    private static List<Integer> both(Class<?> main, Path dir, String tag, int port, List<String> args0, List<String> args1)
            throws Exception {
        Process a = node(0, main, dir.resolve(tag + ".0.log"), port, args0), b = node(1, main, dir.resolve(tag + ".1.log"), port, args1);
        assertTrue(a.waitFor(240, TimeUnit.SECONDS) & b.waitFor(240, TimeUnit.SECONDS), "a node hung");
        return List.of(a.exitValue(), b.exitValue());
    }

    private static String logs(Path dir, String tag) throws IOException {
        return "\nnode 0:\n" + Files.readString(dir.resolve(tag + ".0.log")) + "\nnode 1:\n" + Files.readString(dir.resolve(tag + ".1.log"));
    }

    @Test
    void twoNodesTrainAsOneProcessOnTheCombinedBatches(@TempDir Path tmp) throws Exception {
        List<Integer> codes = both(DistTrainCheck.class, tmp, "check", 29611, List.of(tmp.resolve("two.pth").toString()),
                List.of(tmp.resolve("node1.pth").toString()));
        assertEquals(List.of(0, 0), codes, logs(tmp, "check"));
        assertTrue(Files.readString(tmp.resolve("check.1.log")).contains("Gloo advertises " + NODE1), logs(tmp, "check"));
        assertFalse(Files.exists(tmp.resolve("node1.pth")), "only rank 0 writes");
        assertEquals(List.of(0), DistributedTest.launch(DistTrainCheck.class, 1, tmp.resolve("one"), tmp.resolve("one.pth").toString()));
        Torch.init();
        Map<String, Tensor> a = TorchFile.loadStateDict(tmp.resolve("two.pth")), b = TorchFile.loadStateDict(tmp.resolve("one.pth"));
        double worst = 0;
        for (String k : a.keySet()) {
            double scale = Math.max(1e-3, b.get(k).abs().max().item_double());
            worst = Math.max(worst, a.get(k).sub(b.get(k)).abs().max().item_double() / scale);
        }
        assertTrue(worst < 1e-4, "largest relative weight difference " + worst);   // DistributedTest's tolerance
    }

    private static List<String> train(Path data, Path work, int epochs, boolean resume) {
        return dev.dwjava.train.app.TinyTrainArgs.of(data, work, epochs, resume, 2);
    }

    @Test
    void aDeadNodeStopsTheOtherAndAutoResumeContinues(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        SyntheticCoco.generate(data, 24, 4, 64, 11);
        Path w0 = tmp.resolve("work0"), w1 = tmp.resolve("work1");   // separate work dirs, as on nodes without a shared disk
        Process a = node(0, DwCli.class, tmp.resolve("run.0.log"), 29612, train(data, w0, 200, false));
        Process b = node(1, DwCli.class, tmp.resolve("run.1.log"), 29612, train(data, w1, 200, false));
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (!Files.isRegularFile(w0.resolve("latest.json")) && System.nanoTime() < deadline && a.isAlive()) {
                Thread.sleep(100);
            }
            assertTrue(Files.isRegularFile(w0.resolve("latest.json")), "no checkpoint was written" + logs(tmp, "run"));
            b.destroyForcibly();   // node 1 dies mid-run (kill -9)
            long t0 = System.nanoTime();
            assertTrue(a.waitFor(60, TimeUnit.SECONDS), "node 0 did not notice the dead node" + logs(tmp, "run"));
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertTrue(seconds < 20 + 10, "node 0 took " + seconds + " s to stop (DW_DIST_TIMEOUT 20)");
            assertEquals(3, a.exitValue(), logs(tmp, "run"));
            String log0 = Files.readString(tmp.resolve("run.0.log"));
            assertTrue(log0.contains("dw train: rank 0: ") && log0.contains("failed (a peer died or timed out after 20 s)"), log0);
            assertFalse(log0.contains("\tat "), "a stack trace was printed:\n" + log0);
        } finally {
            a.destroyForcibly();
            b.destroyForcibly();
        }
        assertFalse(Files.exists(w1), "rank 1 wrote into its work dir");

        // Both nodes again with --auto-resume: rank 0's checkpoint is the starting point of both, one more epoch.
        String last = new ObjectMapper().readTree(w0.resolve("latest.json").toFile()).get("checkpoint").asText();
        int epoch = Integer.parseInt(last.substring("epoch_".length()));
        List<Integer> codes = both(DwCli.class, tmp, "resume", 29613, train(data, w0, epoch + 1, true), train(data, w1, epoch + 1, true));
        assertEquals(List.of(0, 0), codes, logs(tmp, "resume"));
        String log0 = Files.readString(tmp.resolve("resume.0.log"));
        assertTrue(log0.contains("resumed from " + w0.resolve(last + ".pth") + " (epoch " + epoch), log0);
        assertTrue(Files.isRegularFile(w0.resolve("epoch_" + (epoch + 1) + ".pth")), log0);
        TreeSet<Long> iters = new TreeSet<>();
        for (String line : Files.readAllLines(w0.resolve("metrics.jsonl"))) {
            long it = new ObjectMapper().readTree(line).path("global_iter").asLong(-1);
            assertTrue(it < 0 || iters.add(it), "iteration " + it + " logged twice");
        }
    }

    private static TreeSet<String> detections(Path results) throws IOException {
        TreeSet<String> out = new TreeSet<>();
        new ObjectMapper().readTree(results.toFile()).forEach(d -> out.add(d.toString()));
        return out;
    }

    @Test
    void shardedEvaluationAcrossNodesEqualsOneProcess(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data");
        SyntheticCoco.generate(data, 2, 8, 64, 3);
        Torch.init();
        org.bytedeco.pytorch.global.torch.manual_seed(1);
        Path config = TrainRunnerTest.quickstartConfig().toAbsolutePath();
        List<String> over = List.of("data.val.annotations=" + data + "/annotations/instances_val.json", "data.val.images=" + data + "/val",
                "data.workers=0", "test.score_thr=0.005", "model.base_width=8", "model.fpn_channels=16", "model.head_channels=16",
                "model.gn_groups=4");
        dev.dwjava.model.DwDetector model = new dev.dwjava.model.DwDetector(
                dev.dwjava.train.config.DwConfig.load(config, over).config().model());
        Path weights = tmp.resolve("w.pth");
        dev.dwjava.model.weights.TorchFileWriter.writeStateDict(weights, dev.dwjava.model.weights.WeightLoader.stateOf(model));
        List<String> args = new ArrayList<>(List.of("test", "--config", config.toString(), "--weights", weights.toString(),
                "--eval", "bbox", "--out", tmp.resolve("two/res.json").toString(), "--cfg-options"));
        args.addAll(over);
        assertEquals(List.of(0, 0), both(DwCli.class, tmp, "test", 29614, args, args), logs(tmp, "test"));
        args.set(args.indexOf(tmp.resolve("two/res.json").toString()), tmp.resolve("one/res.json").toString());
        assertEquals(List.of(0), DistributedTest.launch(DwCli.class, 1, tmp.resolve("one"), args.toArray(new String[0])));
        assertEquals(Files.readString(tmp.resolve("one/eval.json")), Files.readString(tmp.resolve("two/eval.json")));
        TreeSet<String> one = detections(tmp.resolve("one/res.json")), two = detections(tmp.resolve("two/res.json"));
        assertTrue(one.size() > 10, "detections: " + one.size());
        assertEquals(one, two);
    }
}
