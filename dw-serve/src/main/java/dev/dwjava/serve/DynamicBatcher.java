package dev.dwjava.serve;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.dwjava.core.image.RgbImage;
import dev.dwjava.model.inference.Detection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Groups concurrent detections into one model call. Requests wait in a bounded queue; one worker thread takes the
 * oldest and whatever else arrives within {@code maxWait} of it (up to {@code maxBatch} images), calls the model once
 * and answers each request with its own image's detections. A full queue refuses at once ({@link QueueFullException}),
 * so memory stays bounded under overload; a failing model call fails only the requests of that batch.
 */
public final class DynamicBatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DynamicBatcher.class);

    /** The queue is full: the caller should answer 503. */
    public static final class QueueFullException extends RuntimeException {
        QueueFullException(int capacity) {
            super("the server is busy: " + capacity + " images already wait for the model; retry later");
        }
    }

    /** The model call of a batch failed: the caller should answer 500. */
    public static final class ModelFailureException extends RuntimeException {
        ModelFailureException(Throwable cause) {
            super("the model failed on this request's batch: " + cause, cause);
        }
    }

    private record Job(RgbImage image, float scoreThr, long arrivedNanos, CompletableFuture<List<Detection>> result) {}

    private final BatchDetector detector;
    private final int maxBatch;
    private final long maxWaitNanos;
    private final ArrayBlockingQueue<Job> queue;
    private final Thread worker;
    private final ServeMetrics metrics;
    private volatile boolean open = true;

    public DynamicBatcher(BatchDetector detector, int maxBatch, int maxWaitMs, int queueCapacity) {
        if (maxBatch < 1 || maxWaitMs < 0 || queueCapacity < 1) {
            throw new IllegalArgumentException("maxBatch and queueCapacity must be positive and maxWaitMs not negative, found "
                    + maxBatch + ", " + queueCapacity + ", " + maxWaitMs);
        }
        this.detector = detector;
        this.maxBatch = maxBatch;
        this.maxWaitNanos = TimeUnit.MILLISECONDS.toNanos(maxWaitMs);
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.metrics = new ServeMetrics(queue::size, queueCapacity);
        this.worker = new Thread(this::loop, "dw-serve-batcher");
        worker.setDaemon(true);
        worker.start();
    }

    /** The metrics of this batcher and of the server over it. */
    public ServeMetrics metrics() {
        return metrics;
    }

    /** Images waiting for the model now. */
    public int depth() {
        return queue.size();
    }

    /** Whether a request submitted now would be refused (a hint: another thread may take the last place first). */
    public boolean full() {
        return queue.remainingCapacity() == 0;
    }

    /** Whether the worker runs (it stops only on {@link #close()}). */
    public boolean alive() {
        return open && worker.isAlive();
    }

    /**
     * Queues {@code image}; the future completes with its detections scoring above {@code scoreThr}, or with a
     * {@link ModelFailureException}.
     *
     * @throws QueueFullException when {@code queueCapacity} images already wait
     */
    public CompletableFuture<List<Detection>> submit(RgbImage image, float scoreThr) {
        if (!open) {
            throw new IllegalStateException("the batcher is closed");
        }
        Job job = new Job(image, scoreThr, System.nanoTime(), new CompletableFuture<>());
        if (!queue.offer(job)) {
            throw new QueueFullException(queue.size() + queue.remainingCapacity());
        }
        return job.result();
    }

    private void loop() {
        List<Job> batch = new ArrayList<>(maxBatch);
        while (open) {
            try {
                Job first = queue.poll(50, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                // The wait counts from the first request's arrival: one that already waited for a busy model waits no more.
                long deadline = first.arrivedNanos() + maxWaitNanos;
                while (batch.size() < maxBatch) {
                    long left = deadline - System.nanoTime();
                    Job next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
                    if (next == null) {
                        break;
                    }
                    batch.add(next);
                }
                run(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } finally {
                for (Job j : batch) {
                    j.result().completeExceptionally(new IllegalStateException("the server stopped before this request ran"));
                }
                batch.clear();
            }
        }
        for (Job j; (j = queue.poll()) != null; ) {
            j.result().completeExceptionally(new IllegalStateException("the server stopped before this request ran"));
        }
    }

    private void run(List<Job> batch) {
        // One call at the lowest threshold asked for, then each request keeps its own: a threshold only drops
        // detections (score > thr), so this equals one call per threshold.
        float thr = Float.POSITIVE_INFINITY;
        List<RgbImage> images = new ArrayList<>(batch.size());
        for (Job j : batch) {
            thr = Math.min(thr, j.scoreThr());
            images.add(j.image());
        }
        long t0 = System.nanoTime();
        List<List<Detection>> out;
        try {
            out = detector.detect(images, thr);
            if (out.size() != batch.size()) {
                throw new IllegalStateException("the model answered " + out.size() + " images for " + batch.size());
            }
        } catch (Throwable t) {   // whatever the model throws fails this batch only; the worker goes on
            metrics.batch(batch.size(), System.nanoTime() - t0, true);
            LOG.warn("model call on {} image(s) failed", batch.size(), t);
            for (Job j : batch) {
                j.result().completeExceptionally(new ModelFailureException(t));
            }
            return;
        }
        metrics.batch(batch.size(), System.nanoTime() - t0, false);
        for (int i = 0; i < batch.size(); i++) {
            float own = batch.get(i).scoreThr();
            List<Detection> dets = own == thr ? out.get(i) : out.get(i).stream().filter(d -> d.score() > own).toList();
            batch.get(i).result().complete(dets);
        }
    }

    /** Stops the worker after the batch it runs; requests still queued fail. */
    @Override
    public void close() {
        open = false;
        try {
            worker.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Job j; (j = queue.poll()) != null; ) {   // one that came in while the worker stopped
            j.result().completeExceptionally(new IllegalStateException("the server stopped before this request ran"));
        }
    }
}
