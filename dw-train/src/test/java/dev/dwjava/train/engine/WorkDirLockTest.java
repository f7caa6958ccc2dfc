package dev.dwjava.train.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One run per work dir, across processes; a killed owner frees it; leftovers of killed runs are cleaned. */
class WorkDirLockTest {

    @Test
    void aSecondRunIsRefusedWhileTheFirstHoldsTheDir(@TempDir Path tmp) throws Exception {
        Path work = tmp.resolve("work");
        try (WorkDirLock first = WorkDirLock.acquire(work)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WorkDirLock.acquire(work));
            assertTrue(e.getMessage().startsWith("work dir " + work + " is in use by another training run ("
                    + ProcessHandle.current().pid() + "@"), e.getMessage());
        }
        WorkDirLock.acquire(work).close();   // free again
    }

    @Test
    void anotherProcessHoldsItUntilItIsKilled(@TempDir Path tmp) throws Exception {
        Path work = tmp.resolve("work");
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", cp,
                HoldWorkDirLock.class.getName(), work.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()));
            assertEquals("locked", r.readLine());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WorkDirLock.acquire(work));
            assertTrue(e.getMessage().contains("(" + p.pid() + "@"), e.getMessage());
        } finally {
            p.destroyForcibly();   // kill -9: the lock file stays behind, stale
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        }
        assertTrue(Files.isRegularFile(work.resolve(WorkDirLock.NAME)));
        WorkDirLock.acquire(work).close();   // the OS released the dead owner's lock
    }

    @Test
    void partialTemporariesOfAKilledRunAreRemovedAndFinishedFilesKept(@TempDir Path work) throws Exception {
        List<String> partial = List.of("epoch_3.pth123456.tmp", "epoch_3.optim.pth99.tmp", "epoch_3.json7.tmp", "latest.json1.tmp",
                "config.yaml5.tmp", "loss123.png.tmp", "metrics.jsonl42.tmp", "iter_500.pth77.tmp", "iter_500.optim.pth8.tmp",
                "best_bbox_mAP_epoch_2.optim.pth3.tmp", "best_bbox_mAP.json9.tmp");
        List<String> kept = List.of("epoch_2.pth", "epoch_2.optim.pth", "epoch_2.json", "latest.json", "notes.tmp", "mine.pth.tmp",
                "iter_500.pth", "best_bbox_mAP_epoch_2.pth", "best_bbox_mAP.json");
        for (String f : partial) {
            Files.writeString(work.resolve(f), "x");
        }
        for (String f : kept) {
            Files.writeString(work.resolve(f), "x");
        }
        WorkDirLock.acquire(work).close();
        partial.forEach(f -> assertFalse(Files.exists(work.resolve(f)), f));
        kept.forEach(f -> assertTrue(Files.exists(work.resolve(f)), f));
    }

    @Test
    void anUnwritableWorkDirFailsAtOnce(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("a-file");
        Files.writeString(file, "x");
        assertThrows(java.io.IOException.class, () -> WorkDirLock.acquire(file.resolve("work")));
    }

    @Test
    void pruningRemovesOrphansOfAKillAndKeepsTheNewestCompleteCheckpoints(@TempDir Path work) throws Exception {
        for (int e : new int[] {1, 2, 3, 4}) {
            for (String ext : new String[] {".pth", ".optim.pth", ".json"}) {
                Files.writeString(work.resolve("epoch_" + e + ext), "x");
            }
        }
        Files.delete(work.resolve("epoch_1.json"));       // killed while pruning epoch 1
        Files.delete(work.resolve("epoch_4.optim.pth"));  // killed while saving epoch 4
        new Checkpoints(work, 2).prune();
        try (var files = Files.list(work)) {
            assertEquals(List.of("epoch_2.json", "epoch_2.optim.pth", "epoch_2.pth", "epoch_3.json", "epoch_3.optim.pth", "epoch_3.pth"),
                    files.map(f -> f.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void metricsOfRepeatedIterationsAreDroppedOnResume(@TempDir Path work) throws Exception {
        Path m = work.resolve("metrics.jsonl");
        Files.writeString(m, String.join("\n",
                "{\"mode\":\"train\",\"epoch\":1,\"iter\":10,\"global_iter\":10,\"loss\":1.0}",
                "{\"mode\":\"val\",\"epoch\":1,\"iter\":20,\"bbox_mAP\":0.1}",
                "{\"mode\":\"train\",\"epoch\":2,\"iter\":5,\"global_iter\":25,\"loss\":0.9}",
                "{\"mode\":\"train\",\"epoch\":2,\"iter\":10,\"global_i") + "\n");   // the last line was cut by a kill
        MetricsLog.keepUpTo(m, 20);
        assertEquals(List.of("{\"mode\":\"train\",\"epoch\":1,\"iter\":10,\"global_iter\":10,\"loss\":1.0}",
                "{\"mode\":\"val\",\"epoch\":1,\"iter\":20,\"bbox_mAP\":0.1}"), Files.readAllLines(m));
    }
}
