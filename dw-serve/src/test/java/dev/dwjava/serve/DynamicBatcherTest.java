package dev.dwjava.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import dev.dwjava.core.image.RgbImage;
import dev.dwjava.model.inference.Detection;
import org.junit.jupiter.api.Test;

/** Dynamic batching with deterministic fake models: grouping happens, and changes no request's answer. */
class DynamicBatcherTest {

    @Test
    void concurrentRequestsAreGroupedAndEachGetsItsOwnSingleAnswer() throws Exception {
        FakeDetectors.Deterministic model = new FakeDetectors.Deterministic();
        int n = 48;
        ExecutorService clients = Executors.newFixedThreadPool(16);
        try (DynamicBatcher b = new DynamicBatcher(model, 8, 50, 64)) {
            List<CompletableFuture<List<Detection>>> results = new ArrayList<>();
            List<RgbImage> images = new ArrayList<>();
            List<Float> thrs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                RgbImage im = FakeDetectors.rgb(20 + i, 10 + i % 7, i * 5);
                float thr = (i % 4) * 0.2f;   // 0, 0.2, 0.4, 0.6 mixed within batches
                images.add(im);
                thrs.add(thr);
                results.add(CompletableFuture.supplyAsync(() -> b.submit(im, thr), clients).thenCompose(f -> f));
            }
            for (int i = 0; i < n; i++) {
                float thr = thrs.get(i);
                List<Detection> expected = FakeDetectors.Deterministic.single(images.get(i)).stream()
                        .filter(d -> d.score() > thr).toList();
                assertEquals(expected, results.get(i).get(30, TimeUnit.SECONDS), "request " + i);
            }
            assertEquals(n, model.batchSizes.stream().mapToInt(Integer::intValue).sum());
            assertTrue(model.batchSizes.stream().anyMatch(s -> s > 1), "no batch of several: " + model.batchSizes);
            assertTrue(model.batchSizes.stream().allMatch(s -> s <= 8), "a batch over max_batch: " + model.batchSizes);
            String metrics = new String(b.metrics().text(), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(metrics.contains("dw_serve_batch_size_count " + model.batchSizes.size()), metrics);
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void maxBatchOneRunsEveryRequestAlone() throws Exception {
        FakeDetectors.Deterministic model = new FakeDetectors.Deterministic();
        try (DynamicBatcher b = new DynamicBatcher(model, 1, 50, 64)) {
            List<CompletableFuture<List<Detection>>> rs = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                rs.add(b.submit(FakeDetectors.rgb(8, 8, i), 0f));
            }
            for (CompletableFuture<List<Detection>> r : rs) {
                assertEquals(5, r.get(10, TimeUnit.SECONDS).size());
            }
        }
        assertEquals(java.util.Collections.nCopies(10, 1), model.batchSizes);
    }

    @Test
    void aFullQueueRefusesAtOnceAndAFailedBatchFailsOnlyItsRequests() throws Exception {
        FakeDetectors.Blocking model = new FakeDetectors.Blocking();
        try (DynamicBatcher b = new DynamicBatcher(model, 1, 0, 2)) {
            CompletableFuture<List<Detection>> running = b.submit(FakeDetectors.rgb(8, 8, 1), 0f);
            assertTrue(model.entered.await(10, TimeUnit.SECONDS));
            CompletableFuture<List<Detection>> q1 = b.submit(FakeDetectors.rgb(8, 8, 2), 0f);
            CompletableFuture<List<Detection>> q2 = b.submit(FakeDetectors.rgb(8, 8, 3), 0f);
            assertEquals(2, b.depth());
            assertTrue(b.full());
            assertThrows(DynamicBatcher.QueueFullException.class, () -> b.submit(FakeDetectors.rgb(8, 8, 4), 0f));
            model.release.countDown();
            for (CompletableFuture<List<Detection>> f : List.of(running, q1, q2)) {
                assertEquals(5, f.get(10, TimeUnit.SECONDS).size());
            }
        }
        FakeDetectors.FailingOn failing = new FakeDetectors.FailingOn(13);
        try (DynamicBatcher b = new DynamicBatcher(failing, 1, 0, 8)) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> b.submit(FakeDetectors.rgb(13, 8, 0), 0f).get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof DynamicBatcher.ModelFailureException, e.toString());
            assertTrue(e.getCause().getMessage().contains("simulated libtorch failure"), e.getCause().getMessage());
            assertEquals(5, b.submit(FakeDetectors.rgb(14, 8, 0), 0f).get(10, TimeUnit.SECONDS).size());
            assertTrue(b.alive());
            assertTrue(new String(b.metrics().text()).contains("dw_serve_model_failures_total 1.0"),
                    new String(b.metrics().text()));
        }
    }
}
