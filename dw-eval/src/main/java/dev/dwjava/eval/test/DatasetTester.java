package dev.dwjava.eval.test;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

import dev.dwjava.core.box.CpuNms;
import dev.dwjava.core.box.Nms;
import dev.dwjava.core.image.ImageDecoder;
import dev.dwjava.core.image.RgbImage;
import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.core.tensor.Tensors;
import dev.dwjava.data.coco.CocoDataset;
import dev.dwjava.data.coco.CocoJson;
import dev.dwjava.data.loader.Augmentation;
import dev.dwjava.data.loader.DetectionBatch;
import dev.dwjava.data.loader.DetectionLoader;
import dev.dwjava.data.loader.SampleMeta;
import dev.dwjava.eval.coco.CocoEval;
import dev.dwjava.eval.coco.CocoEvalResult;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.head.HeadOutputs;
import dev.dwjava.model.inference.TestPipeline;
import dev.dwjava.model.inference.TestTimeAugmentation;
import dev.dwjava.model.postprocess.Detections;
import dev.dwjava.model.postprocess.ImageMeta;
import dev.dwjava.model.postprocess.PostProcessor;
import dev.dwjava.model.postprocess.TestConfig;
import org.bytedeco.pytorch.NoGradGuard;

/**
 * The test loop: inference over a dataset (test pipeline, no flip), detections mapped back to original pixels and COCO
 * category ids, a COCO results file, and the evaluation. Progress (images/s, ETA) goes to the given stream.
 */
public final class DatasetTester {
    private final DwDetector model;
    private final PostProcessor post;
    private final TestPipeline pipeline;
    private final int workers;
    private final TestTimeAugmentation tta;

    public DatasetTester(DwDetector model, TestConfig test, TestPipeline pipeline, int workers) {
        this(model, test, pipeline, workers, new CpuNms());
    }

    /**
     * @param pipeline the config's test pipeline (scale, images per forward, decoding), the one {@code Detector} uses
     * @param nms      the NMS implementation of post-processing (post-processing runs where the model runs)
     */
    public DatasetTester(DwDetector model, TestConfig test, TestPipeline pipeline, int workers, Nms nms) {
        this(model, new PostProcessor(test, nms), pipeline, workers, null);
    }

    private DatasetTester(DwDetector model, PostProcessor post, TestPipeline pipeline, int workers, TestTimeAugmentation tta) {
        this.model = model;
        this.post = post;
        this.pipeline = pipeline;
        this.workers = workers;
        this.tta = tta;
    }

    /**
     * This tester with test-time augmentation: each image decoded alone (as {@code Detector} decodes it) and detected
     * by {@link TestTimeAugmentation#detect}, instead of batched forwards at the test scale.
     */
    public DatasetTester withAugmentation(TestTimeAugmentation augmentation) {
        return new DatasetTester(model, post, pipeline, workers, augmentation);
    }

    /** The test pipeline this tester feeds the model with (scale, images per forward, decoding). */
    public TestPipeline pipeline() {
        return pipeline;
    }

    /**
     * @param limit       evaluate only the first N images (0: all); the GT is restricted to them as well
     * @param resultsFile where to write the COCO results JSON (null: not written)
     */
    public CocoEvalResult run(CocoDataset dataset, int limit, Path resultsFile, PrintStream progress) throws IOException {
        List<CocoJson.Result> results = infer(dataset, limit, progress);
        if (resultsFile != null) {
            writeResults(resultsFile, results);
        }
        return evaluate(dataset, results, limit);
    }

    /** Detections of the first {@code limit} images (0: all) as COCO results, in dataset order. */
    public List<CocoJson.Result> infer(CocoDataset dataset, int limit, PrintStream progress) throws IOException {
        if (tta != null) {
            return inferAugmented(dataset, limit, progress);
        }
        List<CocoJson.Result> results = new ArrayList<>();
        long[] catIds = dataset.categoryIds();
        int total = limit > 0 ? Math.min(limit, dataset.size()) : dataset.size();
        long start = System.nanoTime();
        int done = 0;
        int batchSize = pipeline.imagesPerBatch();
        // The loader's test-time transform: the pipeline's fixed scale, no flip; pixels go through the same
        // ImageTensors.prepare as TestPipeline.prepare, so one image per batch gives the Detector's exact input.
        Augmentation testScale = new Augmentation(pipeline.longEdge(), pipeline.shortEdge(), pipeline.shortEdge(), 0);
        try (DetectionLoader loader = new DetectionLoader(dataset, testScale, batchSize, workers, 0, false, 0, 1,
                pipeline.ignoreOrientation())) {
            for (Iterator<DetectionBatch> it = loader.epoch(0); it.hasNext() && done < total; ) {
                try (TensorScope scope = TensorScope.open(); NoGradGuard g = new NoGradGuard()) {
                    DetectionBatch batch = it.next();
                    HeadOutputs out = post.config().forward(model, batch.images());
                    for (int b = 0; b < batch.metas().size() && done < total; b++, done++) {
                        results.addAll(detect(out, b, batch.metas().get(b), catIds));
                    }
                }
                double secs = (System.nanoTime() - start) / 1e9;
                // A live bar on a terminal; in logs, one line per tenth of the work.
                boolean tick = System.console() != null || done == total
                        || 10 * done / total != 10 * (done - batchSize) / total;
                if (progress != null && tick) {
                    progress.printf(Locale.ROOT, "%s[%-30s] %d/%d, %.1f img/s, ETA %.0f s ", System.console() != null ? "\r" : "\n",
                            "=".repeat(30 * done / total), done, total, done / secs, (total - done) / Math.max(1e-9, done / secs));
                }
            }
        }
        if (progress != null) {
            progress.println();
        }
        return results;
    }

    private List<CocoJson.Result> inferAugmented(CocoDataset dataset, int limit, PrintStream progress) throws IOException {
        List<CocoJson.Result> results = new ArrayList<>();
        long[] catIds = dataset.categoryIds();
        int total = limit > 0 ? Math.min(limit, dataset.size()) : dataset.size();
        long start = System.nanoTime();
        for (int done = 0; done < total; ) {
            CocoDataset.Entry e = dataset.entries().get(done);
            RgbImage img = ImageDecoder.decode(e.file(), pipeline.ignoreOrientation());
            if (img.width() != e.image().width() || img.height() != e.image().height()) {
                throw new IOException(e.file() + " is " + img.width() + " x " + img.height() + " but " + dataset.annotations()
                        + " says " + e.image().width() + " x " + e.image().height());
            }
            try (TensorScope scope = TensorScope.open(); NoGradGuard g = new NoGradGuard()) {
                results.addAll(toResults(tta.detect(model, post, img), e.image().id(), catIds));
            }
            done++;
            double secs = (System.nanoTime() - start) / 1e9;
            if (progress != null && (System.console() != null || done == total || 10 * done / total != 10 * (done - 1) / total)) {
                progress.printf(Locale.ROOT, "%s[%-30s] %d/%d, %.1f img/s, ETA %.0f s (TTA) ", System.console() != null ? "\r" : "\n",
                        "=".repeat(30 * done / total), done, total, done / secs, (total - done) / Math.max(1e-9, done / secs));
            }
        }
        if (progress != null) {
            progress.println();
        }
        return results;
    }

    /** COCO evaluation of {@code results} against the dataset's annotation file (its first {@code limit} images). */
    public static CocoEvalResult evaluate(CocoDataset dataset, List<CocoJson.Result> results, int limit) throws IOException {
        int total = limit > 0 ? Math.min(limit, dataset.size()) : dataset.size();
        CocoJson.Instances gt = CocoJson.readInstances(dataset.annotations());
        if (total < dataset.size()) {
            java.util.Set<Long> kept = new java.util.HashSet<>();
            dataset.entries().subList(0, total).forEach(e -> kept.add(e.image().id()));
            gt = new CocoJson.Instances(gt.images().stream().filter(i -> kept.contains(i.id())).toList(),
                    gt.annotations().stream().filter(a -> kept.contains(a.imageId())).toList(), gt.categories());
        }
        return new CocoEval(gt, results).run();
    }

    private List<CocoJson.Result> detect(HeadOutputs out, int b, SampleMeta m, long[] catIds) {
        Detections d = post.process(out, b, new ImageMeta(m.newHeight(), m.newWidth(), m.scaleWidth(), m.scaleHeight()))
                .detections();
        return toResults(d, m.imageId(), catIds);
    }

    private static List<CocoJson.Result> toResults(Detections d, long imageId, long[] catIds) {
        float[] boxes = Tensors.toFloats(d.boxes()), scores = Tensors.toFloats(d.scores());
        long[] labels = Tensors.toLongs(d.labels());
        List<CocoJson.Result> res = new ArrayList<>();
        for (int i = 0; i < scores.length; i++) {
            float x1 = boxes[4 * i], y1 = boxes[4 * i + 1], x2 = boxes[4 * i + 2], y2 = boxes[4 * i + 3];
            res.add(new CocoJson.Result(imageId, catIds[(int) labels[i]], x1, y1, x2 - x1, y2 - y1, scores[i]));
        }
        return res;
    }

    private static String f(double v) {
        return Float.toString((float) v);
    }

    /** Writes a COCO results file (list of image_id, category_id, bbox [x, y, w, h], score). */
    public static void writeResults(Path file, List<CocoJson.Result> results) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        try (Writer w = Files.newBufferedWriter(file)) {
            w.write("[");
            for (int i = 0; i < results.size(); i++) {
                CocoJson.Result r = results.get(i);
                // Shortest float32 round-trip text: reading a results file back and rewriting it changes nothing.
                w.write((i == 0 ? "" : ",\n") + "{\"image_id\": " + r.imageId() + ", \"category_id\": " + r.categoryId()
                        + ", \"bbox\": [" + f(r.x()) + ", " + f(r.y()) + ", " + f(r.w()) + ", " + f(r.h()) + "], \"score\": "
                        + f(r.score()) + "}");
            }
            w.write("]\n");
        }
    }
}
