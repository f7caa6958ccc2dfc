package dev.dwjava.eval.test;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.dwjava.data.coco.CocoDataset;
import dev.dwjava.data.coco.CocoJson;
import dev.dwjava.eval.coco.CocoEvalResult;

/**
 * A test over several processes, as {@code dist_test.sh} runs it and as training evaluates: every rank runs inference
 * on its shard, the detections are gathered, and rank 0 writes the results file and evaluates once. The shards are
 * blocks of one test batch, so every image is batched (and padded) as in a single-process run, and the gathered
 * results are put back in dataset order: the results file and the AP equal a one-process test's.
 */
public final class ShardedTester {
    private ShardedTester() {}

    /** What a sharded test gives: every rank's detections in dataset order, and on rank 0 their evaluation. */
    public record Outcome(List<CocoJson.Result> results, CocoEvalResult evaluation) {}

    /**
     * @param resultsFile written by rank 0 when not null
     * @param evaluate    whether rank 0 evaluates (false: results only, e.g. for a split without annotations)
     * @param progress    progress of this rank's shard (null: silent)
     * @return the gathered results on every rank; the evaluation on rank 0 when asked for, null elsewhere
     */
    public static Outcome run(DatasetTester tester, CocoDataset dataset, ShardGroup group, Path resultsFile, boolean evaluate,
                              PrintStream progress) throws IOException {
        CocoDataset shard = group.worldSize() == 1 ? dataset
                : dataset.shard(group.rank(), group.worldSize(), tester.pipeline().imagesPerBatch());
        List<CocoJson.Result> all = inDatasetOrder(dataset, group.allGather(tester.infer(shard, 0, progress)));
        if (group.rank() != 0) {
            return new Outcome(all, null);
        }
        if (resultsFile != null) {
            DatasetTester.writeResults(resultsFile, all);
        }
        return new Outcome(all, evaluate ? DatasetTester.evaluate(dataset, all, 0) : null);
    }

    /** A stable sort by the images' place in the dataset: each image's detections keep their own order. */
    static List<CocoJson.Result> inDatasetOrder(CocoDataset dataset, List<CocoJson.Result> results) {
        Map<Long, Integer> place = new HashMap<>();
        for (int i = 0; i < dataset.size(); i++) {
            place.put(dataset.entries().get(i).image().id(), i);
        }
        for (CocoJson.Result r : results) {
            if (!place.containsKey(r.imageId())) {
                throw new IllegalStateException("a shard returned a detection for image " + r.imageId() + ", which is not in "
                        + dataset.annotations());
            }
        }
        List<CocoJson.Result> sorted = new ArrayList<>(results);
        sorted.sort(Comparator.comparingInt(r -> place.get(r.imageId())));
        return sorted;
    }
}
