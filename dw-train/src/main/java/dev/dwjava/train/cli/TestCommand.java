package dev.dwjava.train.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import dev.dwjava.train.app.TestJob;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code dw test}: the original's {@code test.py CONFIG CHECKPOINT --eval bbox}: inference over the val split and COCO AP. */
@Command(name = "test", mixinStandardHelpOptions = true, description = {"Run a checkpoint over the config's val (or train) split, write COCO results and",
        "evaluate (bbox); optionally draw the detections (--show-dir) or only write the results (--format-only)."})
public final class TestCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config;

    @Mixin
    WeightsOption weights;

    @Option(names = "--eval", description = "Metric to compute: bbox (the only one; default when given without value).",
            arity = "0..1", fallbackValue = "bbox")
    String eval;

    @Option(names = "--out", description = "COCO results file to write (default: work_dirs/<config>/results.bbox.json).")
    Path out;

    @Option(names = "--limit", defaultValue = "0", description = "Only the first N images (0: all).")
    int limit;

    @Option(names = "--split", defaultValue = "val", description = "train or val: the split of the config to test (default ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--format-only", description = "Only write the results file, no evaluation (e.g. for COCO test-dev:"
            + " an image-info file with images and categories but no annotations).")
    boolean formatOnly;

    @Option(names = "--show-dir", description = "Draw each image's detections (right) next to its ground truth (left) into"
            + " DIR/<file_name>.png.")
    Path showDir;

    @Option(names = "--tta", description = "Test-time augmentation: the scales of test.tta_scales (short edges; default the"
            + " test scale) each flipped and not, merged by one per-class NMS.")
    boolean tta;

    @Option(names = "--show-gt", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "With --show-dir: the ground truth beside the detections (default); --no-show-gt: detections alone.")
    boolean showGt;

    @Option(names = "--show-score-thr", defaultValue = "0.3", description = "Draw detections above this score (default ${DEFAULT-VALUE}).")
    double showScoreThr;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (eval != null && !eval.equals("bbox")) {
            throw new IllegalArgumentException("--eval supports bbox only, found '" + eval + "'");
        }
        if (limit < 0) {
            throw new IllegalArgumentException("--limit must be 0 (all) or positive, found " + limit);
        }
        if (formatOnly && eval != null) {
            throw new IllegalArgumentException("--format-only writes the results without evaluating: drop --eval");
        }
        if (!split.equals("train") && !split.equals("val")) {
            throw new IllegalArgumentException("--split must be train or val, found '" + split + "'");
        }
        if (!(showScoreThr >= 0 && showScoreThr <= 1)) {
            throw new IllegalArgumentException("--show-score-thr must be in [0, 1], found " + showScoreThr);
        }
        if (showDir != null && Files.exists(showDir) && !Files.isDirectory(showDir)) {
            throw new IllegalArgumentException("--show-dir " + showDir + " is a file, not a folder");
        }
        TestJob.Outcome r = TestJob.run(config.config, config.overrides, weights.weights,
                new TestJob.Options(out, eval != null, limit, split, showDir, showScoreThr, tta, showGt), System.err);
        if (r == null) {
            return 0;   // a rank other than 0 of a sharded test
        }
        var o = spec.commandLine().getOut();
        o.println("results written to " + r.resultsFile());
        if (showDir != null) {
            o.println("pictures drawn to " + showDir);
        }
        if (r.evaluation() != null) {
            o.print(r.evaluation().summary());
            o.println();
            o.print(r.evaluation().perClassTable());
        }
        o.flush();
        return 0;
    }
}
