package dev.dwjava.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The benchmark's arithmetic and its loopback rule, and one small run against a fake model. */
class ServeBenchTest {

    @Test
    void percentilesAreNearestRank() {
        double[] v = new double[100];
        for (int i = 0; i < 100; i++) {
            v[i] = i + 1;
        }
        assertEquals(50, ServeBench.percentile(v, 0.50));
        assertEquals(99, ServeBench.percentile(v, 0.99));
        assertEquals(7, ServeBench.percentile(new double[] {7}, 0.99));
        assertTrue(Double.isNaN(ServeBench.percentile(new double[0], 0.5)));
    }

    @Test
    void onlyLoopbackIsBenchmarked() {
        ServeOptions any = new ServeOptions("0.0.0.0", 0, 8, 5, 64, 1 << 20, 1 << 20, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ServeBench(new FakeDetectors.Deterministic(), any, new byte[0]));
        assertTrue(e.getMessage().contains("loopback only"), e.getMessage());
    }

    @Test
    void aRunCountsItsRequestsAndBatches() throws Exception {
        ServeBench b = new ServeBench(new FakeDetectors.Deterministic(), ServeOptions.DEFAULT.withBatching(8, 20),
                ServeBench.samplePng(64, 48));
        ServeBench.Row off = b.measure(false, 4, 40, 30);
        assertEquals(40, off.requests());
        assertEquals(0, off.failed());
        assertEquals(1.0, off.meanBatch());
        assertTrue(off.p50Ms() <= off.p99Ms() && off.throughput() > 0, off.toString());
        ServeBench.Row on = b.measure(true, 4, 40, 30);
        assertEquals(40, on.requests());
        assertTrue(on.meanBatch() > 1 && on.meanBatch() <= 4, on.toString());   // 4 clients: at most 4 wait together
        ServeBench.Soak s = b.soak(4, 100, 30);
        assertEquals(100, s.requests());
        assertTrue(s.rssBeforeKb() > 0 && s.rssAfterKb() > 0, s.toString());
    }
}
