package dev.dwjava.serve;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.function.IntSupplier;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The server's Prometheus metrics, in a registry of its own (several servers in one JVM, as in tests and the
 * benchmark, do not share counts). {@link #text()} is the {@code /metrics} page in Prometheus' text format.
 */
public final class ServeMetrics {
    /** Content type of {@link #text()}. */
    public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests;
    private final Histogram latency;
    private final Histogram batchSize;
    private final Histogram forward;
    private final Counter modelFailures;
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    /** @param queueDepth the number of decoded images waiting for the model, read at each scrape */
    public ServeMetrics(IntSupplier queueDepth, int queueCapacity) {
        requests = Counter.builder().name("dw_serve_requests_total").help("HTTP requests by path and status code")
                .labelNames("path", "code").register(registry);
        latency = Histogram.builder().name("dw_serve_request_duration_seconds")
                .help("Time from a request's arrival to its answer, by path").labelNames("path")
                .classicOnly().classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
                .register(registry);
        batchSize = Histogram.builder().name("dw_serve_batch_size").help("Images per model call (dynamic batching)")
                .classicOnly().classicUpperBounds(1, 2, 4, 8, 16, 32, 64, 128).register(registry);
        forward = Histogram.builder().name("dw_serve_batch_duration_seconds").help("Time of one model call on a batch")
                .classicOnly().classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
                .register(registry);
        modelFailures = Counter.builder().name("dw_serve_model_failures_total")
                .help("Model calls that failed (their requests got 500)").register(registry);
        GaugeWithCallback.builder().name("dw_serve_queue_depth").help("Decoded images waiting for the model")
                .callback(cb -> cb.call(queueDepth.getAsInt())).register(registry);
        GaugeWithCallback.builder().name("dw_serve_queue_capacity").help("Most images that may wait; more get 503")
                .callback(cb -> cb.call(queueCapacity)).register(registry);
    }

    /** Counts an answered request and its latency. */
    public void request(String path, int code, long nanos) {
        requests.labelValues(path, Integer.toString(code)).inc();
        latency.labelValues(path).observe(nanos / 1e9);
    }

    /** Counts one model call on {@code size} images that took {@code nanos}. */
    public void batch(int size, long nanos, boolean failed) {
        batchSize.observe(size);
        forward.observe(nanos / 1e9);
        if (failed) {
            modelFailures.inc();
        }
    }

    /** Requests answered so far with {@code code} on {@code path}. */
    public long requests(String path, int code) {
        return (long) requests.labelValues(path, Integer.toString(code)).get();
    }

    /** Model calls so far and the images they took, for the mean batch size. */
    public long[] batches() {
        var points = batchSize.collect().getDataPoints();
        return points.isEmpty() ? new long[2] : new long[] {points.get(0).getCount(), Math.round(points.get(0).getSum())};
    }

    /** The metrics in Prometheus' text exposition format. */
    public byte[] text() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writer.write(out, registry.scrape());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);   // a ByteArrayOutputStream does not fail
        }
        return out.toByteArray();
    }
}
