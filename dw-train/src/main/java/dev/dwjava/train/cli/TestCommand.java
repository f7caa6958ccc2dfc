package dev.dwjava.train.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import dev.dwjava.train.app.TestJob;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code dw test}: the original's {@code test.py CONFIG CHECKPOINT --eval bbox}: inference over the val split and COCO AP. */
@Command(name = "test", description = "Run a checkpoint over the config's val split, write COCO results and evaluate (bbox).")
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
        TestJob.Outcome r = TestJob.run(config.config, config.overrides, weights.weights, out, eval != null, limit, System.err);
        if (r == null) {
            return 0;   // a rank other than 0 of a sharded test
        }
        var o = spec.commandLine().getOut();
        o.println("results written to " + r.resultsFile());
        if (r.evaluation() != null) {
            o.print(r.evaluation().summary());
            o.println();
            o.print(r.evaluation().perClassTable());
        }
        o.flush();
        return 0;
    }
}
