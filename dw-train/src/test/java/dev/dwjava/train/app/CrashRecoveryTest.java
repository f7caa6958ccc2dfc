package dev.dwjava.train.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dwjava.data.synthetic.SyntheticCoco;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.weights.WeightLoader;
import dev.dwjava.train.cli.DwCli;
import dev.dwjava.train.config.DwConfig;
import dev.dwjava.train.engine.Checkpoints;
import dev.dwjava.train.solver.Sgd;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kill -9 of a training process (while it writes a checkpoint, when it can be caught there) and a full disk. */
class CrashRecoveryTest {

    private static List<String> train(Path data, Path work, int epochs, boolean resume) {
        return TinyTrainArgs.of(data, work, epochs, resume, 4);
    }

    private static boolean partialCheckpoint(Path work) {
        try (Stream<Path> files = Files.list(work)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".tmp"));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    void aKilledRunResumesFromItsLastGoodCheckpoint(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data"), work = tmp.resolve("work");
        SyntheticCoco.generate(data, 16, 2, 64, 4);
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0", "-cp", cp, DwCli.class.getName()));
        cmd.addAll(train(data, work, 500, false));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("run.log").toFile());
        pb.environment().put("DW_THREADS", "1");
        Process p = pb.start();
        boolean inWrite = false;
        try {
            // Wait for a first checkpoint, then kill at the next moment a checkpoint is half-written (or after 15 s).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!Files.isRegularFile(work.resolve("latest.json")) && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(Files.isRegularFile(work.resolve("latest.json")), Files.readString(tmp.resolve("run.log")));
            long killBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (p.isAlive() && System.nanoTime() < killBy && !(inWrite = partialCheckpoint(work))) {
                Thread.onSpinWait();
            }
        } finally {
            p.destroyForcibly();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        }
        // Whatever moment the kill hit, latest.json names a complete checkpoint that loads.
        Path last = new Checkpoints(work, 1).latest().orElseThrow();
        DwConfig.Loaded cfg = DwConfig.load(TrainRunnerTest.quickstartConfig(), TinyTrainArgs.overrides(data, 1, 4));
        DwDetector model = new DwDetector(cfg.config().model());
        Checkpoints.Meta meta = Checkpoints.load(last, model, new Sgd(Sgd.groups(WeightLoader.stateOf(model), 0, 0), 0.9));
        int epoch = meta.epoch();

        StringWriter err = new StringWriter();
        assertEquals(0, trainHere(train(data, work, epoch + 1, true), err), err.toString());
        assertTrue(Files.isRegularFile(work.resolve("epoch_" + (epoch + 1) + ".pth")));
        try (Stream<Path> files = Files.list(work)) {
            List<String> left = files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList();
                assertTrue(left.isEmpty(), "partial files were left: " + left);
        }
        TreeSet<Long> iters = new TreeSet<>();
        for (String line : Files.readAllLines(work.resolve("metrics.jsonl"))) {
            long it = new ObjectMapper().readTree(line).path("global_iter").asLong(-1);
            assertTrue(it < 0 || iters.add(it), "iteration " + it + " logged twice");
        }
        System.out.println("kill -9 " + (inWrite ? "during a checkpoint write" : "between checkpoints") + "; resumed from epoch " + epoch);
    }

    /** Mounts a tmpfs with {@code options} on {@code dir}, or skips the test with {@code why} where that is not allowed. */
    private static void mountOrSkip(Path dir, String options, String why) throws Exception {
        boolean mounted = "root".equals(System.getProperty("user.name"))
                && new ProcessBuilder("mount", "-t", "tmpfs", "-o", options, "tmpfs", dir.toString()).start().waitFor() == 0;
        Assumptions.assumeTrue(mounted, why + " skipped: cannot mount a tmpfs here (needs root)");
    }

    private static void unmount(Path dir) throws Exception {
        new ProcessBuilder("umount", "-l", dir.toString()).start().waitFor();
    }

    /** {@code dw train} in this JVM: its exit code, its error stream into {@code err}. */
    private static int trainHere(List<String> args, StringWriter err) {
        return dev.dwjava.train.cli.DwCliAccess.commandLine(new PrintWriter(err, true)).execute(args.toArray(new String[0]));
    }

    @Test
    void aFullDiskIsOneLineAndLeavesTheLastCheckpoint(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data"), disk = tmp.resolve("small-disk");
        SyntheticCoco.generate(data, 8, 2, 64, 4);
        Files.createDirectories(disk);
        mountOrSkip(disk, "size=48k", "disk-full test");
        try {
            StringWriter err = new StringWriter();
            assertEquals(2, trainHere(train(data, disk.resolve("work"), 2, false), err), err.toString());
            assertTrue(err.toString().contains("(the disk is full: free space or use another --work-dir)"), err.toString());
            assertFalse(err.toString().contains("\tat "), err.toString());
            try (Stream<Path> files = Files.list(disk.resolve("work"))) {
                List<String> left = files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList();
                assertTrue(left.isEmpty(), "partial files were left: " + left);
            }
            assertFalse(Files.exists(disk.resolve("work/latest.json")), "no checkpoint fits, so none may be named");
        } finally {
            unmount(disk);
        }
    }

    @Test
    void aReadOnlyWorkDirFailsBeforeAnyTraining(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("data"), disk = Files.createDirectories(tmp.resolve("ro-disk"));
        SyntheticCoco.generate(data, 8, 2, 64, 4);
        mountOrSkip(disk, "ro,size=64k", "read-only test");
        try {
            StringWriter err = new StringWriter();
            assertEquals(2, trainHere(train(data, disk.resolve("work"), 2, false), err), err.toString());
            assertTrue(err.toString().contains(disk.resolve("work") + ": Read-only file system (the file system is read-only: use"
                    + " another --work-dir)"), err.toString());
        } finally {
            unmount(disk);
        }
    }
}
