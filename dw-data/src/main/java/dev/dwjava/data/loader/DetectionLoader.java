package dev.dwjava.data.loader;

import java.io.IOException;
import java.lang.ref.Reference;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import dev.dwjava.core.dw.GroundTruth;
import dev.dwjava.core.image.ImageDecoder;
import dev.dwjava.core.image.ImageTensors;
import dev.dwjava.core.image.RgbImage;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.data.coco.CocoDataset;
import dev.dwjava.data.coco.CocoJson;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Loads batches of a {@link CocoDataset}: worker threads decode and transform images ahead of the consumer (at most
 * {@code 2 × workers} batches in flight, so memory stays bounded), batches come out in sampler order, and every random
 * choice comes from an RNG seeded by (seed, epoch, index), so results do not depend on thread timing. A worker's error
 * reaches the caller naming the file. Call {@link #epoch} from one thread; {@link #close()} stops the workers.
 *
 * <p>Ownership: the tensors of a returned batch belong to the caller's {@code TensorScope}.
 */
public final class DetectionLoader implements AutoCloseable {
    /** Batches are zero-padded to multiples of this (mmdetection's {@code size_divisor}). */
    private static final int PAD_DIVISOR = 32;
    private final CocoDataset dataset;
    private final Augmentation augmentation;
    private final int batchSize;
    private final long seed;
    private final boolean shuffle;
    private final GroupSampler sampler;
    private final ExecutorService pool;
    private final int prefetch;
    private final boolean ignoreOrientation;

    /**
     * A loader that applies each image's EXIF orientation, as mmcv's default {@code color_type='color'} does.
     *
     * @param shuffle training order (group sampler) when true; dataset order in batches (last one smaller) otherwise
     * @param rank    this process's rank (0 for one process)
     * @param world   number of processes
     */
    public DetectionLoader(CocoDataset dataset, Augmentation augmentation, int batchSize, int workers, long seed,
                           boolean shuffle, int rank, int world) {
        this(dataset, augmentation, batchSize, workers, seed, shuffle, rank, world, false);
    }

    /**
     * @param ignoreOrientation decode images as stored, without their EXIF orientation (mmcv's
     *                          {@code color_type='color_ignore_orientation'}); the annotation's width and height must
     *                          then be the stored ones
     * @see ImageDecoder
     */
    public DetectionLoader(CocoDataset dataset, Augmentation augmentation, int batchSize, int workers, long seed,
                           boolean shuffle, int rank, int world, boolean ignoreOrientation) {
        this.dataset = dataset;
        this.ignoreOrientation = ignoreOrientation;
        this.augmentation = augmentation;
        this.batchSize = batchSize;
        this.seed = seed;
        this.shuffle = shuffle;
        boolean[] landscape = new boolean[dataset.size()];
        for (int i = 0; i < landscape.length; i++) {
            landscape[i] = dataset.entries().get(i).image().width() > dataset.entries().get(i).image().height();
        }
        this.sampler = new GroupSampler(landscape, batchSize, seed, rank, world);
        this.pool = workers > 0 ? Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "dw-data-worker");
            t.setDaemon(true);
            return t;
        }) : null;
        this.prefetch = Math.max(1, 2 * workers);
    }

    public int batchesPerEpoch() {
        return shuffle ? sampler.batchesPerEpoch() : (dataset.size() + batchSize - 1) / batchSize;
    }

    public CocoDataset dataset() {
        return dataset;
    }

    /** The batches of {@code epoch}. */
    public Iterator<DetectionBatch> epoch(int epoch) {
        return epoch(epoch, 0);
    }

    /**
     * The batches of {@code epoch} from batch {@code fromBatch} on (a resume in the middle of an epoch): the same
     * batches as {@code epoch(epoch)} after its first {@code fromBatch}, which are not loaded. The order is a function
     * of (seed, epoch) and each image's augmentation of (seed, epoch, index), so nothing depends on what was skipped.
     */
    public Iterator<DetectionBatch> epoch(int epoch, int fromBatch) {
        List<int[]> all = shuffle ? sampler.batches(epoch) : sequential();
        if (fromBatch < 0 || fromBatch > all.size()) {
            throw new IllegalArgumentException("cannot start epoch " + (epoch + 1) + " at batch " + fromBatch + ": it has "
                    + all.size() + " batches (a checkpoint of another dataset or batch size?)");
        }
        List<int[]> order = all.subList(fromBatch, all.size());
        return new Iterator<>() {
            private final Deque<InFlight> inFlight = new ArrayDeque<>();
            private int submitted;

            @Override
            public boolean hasNext() {
                return submitted < order.size() || !inFlight.isEmpty();
            }

            @Override
            public DetectionBatch next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                while (submitted < order.size() && inFlight.size() < prefetch) {
                    inFlight.add(submit(order.get(submitted++), epoch));
                }
                return collate(inFlight.poll());
            }
        };
    }

    private List<int[]> sequential() {
        List<int[]> out = new ArrayList<>();
        for (int b = 0; b < dataset.size(); b += batchSize) {
            int[] idx = new int[Math.min(batchSize, dataset.size() - b)];
            for (int k = 0; k < idx.length; k++) {
                idx[k] = b + k;
            }
            out.add(idx);
        }
        return out;
    }

    /** One image's targets and transform; its pixels are in its batch's tensor. */
    private record Sample(float[] boxes, int[] labels, SampleMeta meta) {}

    /**
     * A batch being loaded: the workers write each image straight into its slot of {@code images} (resized, flipped,
     * normalised and zero-padded in one pass), so nothing is copied when it is collated. {@code images} is owned by
     * no scope until {@link #collate} gives it to the caller's, and stays referenced here while workers write it.
     */
    private record InFlight(List<Future<Sample>> samples, Pixels pixels) {}

    /**
     * The tensor of a batch being loaded and a guard for freeing it early: writers hold the read lock, so a failed
     * batch is freed only when no worker writes into it, and the ones that start later skip it.
     */
    private static final class Pixels {
        final Tensor images;
        final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
        boolean abandoned;                       // guarded by lock

        Pixels(Tensor images) {
            this.images = images;
        }

        void write(RgbImage px, Augmentation.Choice c, int slot) {
            lock.readLock().lock();
            try {
                if (!abandoned) {
                    ImageTensors.prepareInto(px, c.newWidth(), c.newHeight(), c.flip(), images, slot);
                }
            } finally {
                lock.readLock().unlock();
                Reference.reachabilityFence(this);     // the tensor's memory stays valid while it is written
            }
        }

        void free() {
            lock.writeLock().lock();
            try {
                abandoned = true;
                images.releaseReference();
            } finally {
                lock.writeLock().unlock();
            }
        }
    }

    /** The image's transform, a function of (seed, epoch, index) and its annotated size, which decoding checks. */
    private Augmentation.Choice choice(int index, int epoch) {
        CocoJson.Image im = dataset.entries().get(index).image();
        Random r = new Random(seed * 1_000_003L + epoch * 100_003L + index);
        return augmentation.draw(r, im.width(), im.height());
    }

    private InFlight submit(int[] indices, int epoch) {
        Augmentation.Choice[] choices = new Augmentation.Choice[indices.length];
        long h = 0, w = 0;
        for (int k = 0; k < indices.length; k++) {
            choices[k] = choice(indices[k], epoch);
            h = Math.max(h, choices[k].newHeight());
            w = Math.max(w, choices[k].newWidth());
        }
        h = (h + PAD_DIVISOR - 1) / PAD_DIVISOR * PAD_DIVISOR;
        w = (w + PAD_DIVISOR - 1) / PAD_DIVISOR * PAD_DIVISOR;
        Pixels images;
        try (TensorScope scope = TensorScope.open()) {    // every element is written by a worker: no zero fill
            images = new Pixels(scope.detach(Tensors.empty(new TensorOptions(ScalarType.Float),
                    indices.length, 3, h, w)));
        }
        List<Future<Sample>> futures = new ArrayList<>();
        for (int k = 0; k < indices.length; k++) {
            int index = indices[k], slot = k;
            Augmentation.Choice c = choices[k];
            if (pool == null) {
                FutureTask<Sample> task = new FutureTask<>(() -> load(index, c, images, slot));
                task.run();                      // inline (workers = 0): errors surface in collate like a worker's
                futures.add(task);
            } else {
                futures.add(pool.submit(() -> load(index, c, images, slot)));
            }
        }
        return new InFlight(futures, images);
    }

    private Sample load(int index, Augmentation.Choice c, Pixels images, int slot) throws IOException {
        CocoDataset.Entry e = dataset.entries().get(index);
        RgbImage px = ImageDecoder.decode(e.file(), ignoreOrientation);
        if (px.width() != e.image().width() || px.height() != e.image().height()) {
            throw new IOException(e.file() + " is " + px.width() + "x" + px.height() + " but "
                    + dataset.annotations().getFileName() + " says " + e.image().width() + "x" + e.image().height()
                    + (ignoreOrientation ? " (decoded without its EXIF orientation)" : " (after its EXIF orientation)")
                    + "; fix the annotation or the image");
        }
        images.write(px, c, slot);
        return new Sample(Augmentation.boxes(e.boxes(), px.width(), px.height(), c), e.labels(),
                new SampleMeta(e.image().id(), px.width(), px.height(), c.newWidth(), c.newHeight(), c.flip()));
    }

    private DetectionBatch collate(InFlight batch) {
        List<Sample> samples = new ArrayList<>();
        try {
            for (Future<Sample> f : batch.samples()) {
                samples.add(f.get());
            }
        } catch (ExecutionException ex) {
            discard(batch);
            throw new IllegalStateException("data loading failed: " + ex.getCause().getMessage(), ex.getCause());
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            discard(batch);
            throw new IllegalStateException("interrupted while loading data", ex);
        }
        List<GroundTruth> targets = new ArrayList<>();
        List<SampleMeta> metas = new ArrayList<>();
        for (Sample s : samples) {
            double[] b = new double[s.boxes().length];
            for (int k = 0; k < b.length; k++) {
                b[k] = s.boxes()[k];
            }
            long[] l = new long[s.labels().length];
            for (int k = 0; k < l.length; k++) {
                l[k] = s.labels()[k];
            }
            targets.add(new GroundTruth(Tensors.of(b, ScalarType.Float, l.length, 4), Tensors.ofLongs(l, l.length)));
            metas.add(s.meta());
        }
        return new DetectionBatch(TensorScope.adopt(batch.pixels().images), targets, metas);
    }

    /** Frees a failed batch once no worker writes into it; the tasks not yet run are cancelled or skip it. */
    private static void discard(InFlight batch) {
        batch.samples().forEach(f -> f.cancel(false));
        batch.pixels().free();
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
