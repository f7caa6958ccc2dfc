package dev.dwjava.serve;

/**
 * Settings of a {@link ModelServer}.
 *
 * @param host          address to listen on (127.0.0.1 by default: reachable from this machine only)
 * @param port          TCP port, 0 for any free one
 * @param maxBatch      most requests grouped into one forward (1: no batching)
 * @param maxWaitMs     longest a request waits for others to join its batch, from its arrival
 * @param queueCapacity decoded images waiting for the model; beyond it requests get 503 at once
 * @param maxBodyBytes  largest request body; larger ones get 413
 * @param maxPixels     largest image (width × height) accepted; larger ones get 413 before they are decoded
 * @param threads       HTTP threads (reading, decoding and answering requests; the model has its own thread)
 */
public record ServeOptions(String host, int port, int maxBatch, int maxWaitMs, int queueCapacity, long maxBodyBytes,
                           long maxPixels, int threads) {
    public static final ServeOptions DEFAULT = new ServeOptions("127.0.0.1", 8080, 8, 5, 64, 16L << 20, 4096L * 4096, 16);

    public ServeOptions {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be in [0, 65535], found " + port);
        }
        if (maxBatch < 1) {
            throw new IllegalArgumentException("--max-batch must be at least 1, found " + maxBatch);
        }
        if (maxWaitMs < 0) {
            throw new IllegalArgumentException("--max-wait-ms must be 0 or more, found " + maxWaitMs);
        }
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("--queue-capacity must be at least 1, found " + queueCapacity);
        }
        if (maxBodyBytes < 1) {
            throw new IllegalArgumentException("--max-body-bytes must be at least 1, found " + maxBodyBytes);
        }
        if (maxPixels < 1) {
            throw new IllegalArgumentException("--max-pixels must be at least 1, found " + maxPixels);
        }
        if (threads < 4) {
            // Jetty needs threads of its own (acceptor, selector) besides those that handle requests.
            throw new IllegalArgumentException("--threads must be at least 4, found " + threads);
        }
    }

    public ServeOptions withPort(int p) {
        return new ServeOptions(host, p, maxBatch, maxWaitMs, queueCapacity, maxBodyBytes, maxPixels, threads);
    }

    public ServeOptions withBatching(int batch, int waitMs) {
        return new ServeOptions(host, port, batch, waitMs, queueCapacity, maxBodyBytes, maxPixels, threads);
    }

    public ServeOptions withQueueCapacity(int capacity) {
        return new ServeOptions(host, port, maxBatch, maxWaitMs, capacity, maxBodyBytes, maxPixels, threads);
    }

    public ServeOptions withLimits(long bodyBytes, long pixels) {
        return new ServeOptions(host, port, maxBatch, maxWaitMs, queueCapacity, bodyBytes, pixels, threads);
    }
}
