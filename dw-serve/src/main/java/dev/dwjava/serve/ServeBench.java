package dev.dwjava.serve;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import javax.imageio.ImageIO;

/**
 * {@code dw bench serve}: a server on loopback driven by closed-loop clients (each sends its next request when its
 * last is answered), at several concurrencies with batching on and off, then a soak of many requests with the
 * resident memory before and after. Every loop is bounded in count and in time.
 */
public final class ServeBench {
    /** One measured case. */
    public record Row(String batching, int concurrency, int requests, int failed, double seconds, double throughput,
                      double p50Ms, double p99Ms, double meanBatch) {}

    /** The soak: requests sent, and VmRSS (KiB) of this process before and after. */
    public record Soak(int requests, int failed, double seconds, long rssBeforeKb, long rssAfterKb) {}

    private final BatchDetector detector;
    private final ServeOptions options;
    private final byte[] image;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    /** @param options the batching-on settings; batching off is the same with max_batch 1 */
    public ServeBench(BatchDetector detector, ServeOptions options, byte[] image) {
        if (!options.host().startsWith("127.") && !options.host().equals("localhost")) {
            throw new IllegalArgumentException("the serving benchmark runs on loopback only, found host " + options.host());
        }
        this.detector = detector;
        this.options = options.withPort(0);
        this.image = image;
    }

    /** Runs {@code requests} requests (or for {@code maxSeconds}, whichever ends first) at {@code concurrency}. */
    public Row measure(boolean batching, int concurrency, int requests, double maxSeconds) throws Exception {
        ServeOptions o = batching ? options : options.withBatching(1, 0);
        o = o.withQueueCapacity(Math.max(o.queueCapacity(), 2 * concurrency));   // closed loop: no request is refused
        try (ModelServer s = ModelServer.start(detector, o)) {
            drive(s.uri(), Math.min(concurrency, 4), 2 * concurrency, 30);   // warm-up: connections, JIT, allocator
            long[] before = s.metrics().batches();
            Load l = drive(s.uri(), concurrency, requests, maxSeconds);
            long[] after = s.metrics().batches();
            double meanBatch = after[0] == before[0] ? Double.NaN : (double) (after[1] - before[1]) / (after[0] - before[0]);
            double[] lat = l.latenciesMs();
            Arrays.sort(lat);
            return new Row(batching ? "on (max " + o.maxBatch() + ", " + o.maxWaitMs() + " ms)" : "off", concurrency,
                    lat.length, l.failed(), l.seconds(), lat.length / l.seconds(), percentile(lat, 0.50), percentile(lat, 0.99),
                    meanBatch);
        }
    }

    /** Sends {@code requests} at {@code concurrency} with batching on and reads VmRSS before and after. */
    public Soak soak(int concurrency, int requests, double maxSeconds) throws Exception {
        try (ModelServer s = ModelServer.start(detector, options.withQueueCapacity(Math.max(options.queueCapacity(), 2 * concurrency)))) {
            drive(s.uri(), concurrency, Math.min(500, requests), 60);   // warm-up: the soak measures growth, not start-up
            long before = rssKb();
            Load l = drive(s.uri(), concurrency, requests, maxSeconds);
            System.gc();
            return new Soak(l.latenciesMs().length, l.failed(), l.seconds(), before, rssKb());
        }
    }

    private record Load(double[] latenciesMs, int failed, double seconds) {}

    private Load drive(URI base, int concurrency, int requests, double maxSeconds) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(base.resolve("v1/detect")).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofByteArray(image)).build();
        AtomicInteger next = new AtomicInteger(), failed = new AtomicInteger();
        double[] lat = new double[requests];
        AtomicInteger done = new AtomicInteger();
        long t0 = System.nanoTime(), deadline = t0 + (long) (maxSeconds * 1e9);
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        try {
            List<Future<?>> clients = new ArrayList<>();
            for (int c = 0; c < concurrency; c++) {
                clients.add(pool.submit(() -> {
                    while (System.nanoTime() < deadline) {
                        int k = next.getAndIncrement();
                        if (k >= requests) {
                            break;
                        }
                        long s = System.nanoTime();
                        try {
                            HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
                            if (r.statusCode() != 200) {
                                failed.incrementAndGet();
                                continue;
                            }
                        } catch (IOException e) {
                            failed.incrementAndGet();
                            continue;
                        }
                        lat[done.getAndIncrement()] = (System.nanoTime() - s) / 1e6;
                    }
                    return null;
                }));
            }
            for (Future<?> f : clients) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        return new Load(Arrays.copyOf(lat, done.get()), failed.get(), (System.nanoTime() - t0) / 1e9);
    }

    static double percentile(double[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(q * sorted.length) - 1;   // nearest rank
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    /** VmRSS of this process in KiB, or -1 where /proc is missing. */
    public static long rssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** A photo-like {@code w}×{@code h} PNG (gradient and discs), the benchmark's default request. */
    public static byte[] samplePng(int w, int h) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = img.createGraphics();
        g.setPaint(new java.awt.GradientPaint(0, 0, new Color(40, 90, 160), w, h, new Color(220, 200, 120)));
        g.fillRect(0, 0, w, h);
        g.setColor(new Color(200, 40, 40));
        g.fillOval(w / 8, h / 6, w / 3, h / 3);
        g.setColor(new Color(30, 160, 60));
        g.fillRect(w / 2, h / 2, w / 3, h / 3);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    /** The table's header line. */
    public static void printHeader(PrintWriter out) {
        out.printf("%-22s %11s %8s %6s %10s %9s %9s %10s%n", "batching", "concurrency", "requests", "failed", "req/s",
                "p50 ms", "p99 ms", "mean batch");
        out.flush();
    }

    /** One row of the table, printed as soon as it is measured. */
    public static void printRow(PrintWriter out, Row r) {
        out.printf("%-22s %11d %8d %6d %10.1f %9.1f %9.1f %10.2f%n", r.batching(), r.concurrency(), r.requests(),
                r.failed(), r.throughput(), r.p50Ms(), r.p99Ms(), r.meanBatch());
        out.flush();
    }
}
