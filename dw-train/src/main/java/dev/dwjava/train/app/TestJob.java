package dev.dwjava.train.app;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.data.coco.CocoDataset;
import dev.dwjava.eval.coco.CocoEvalResult;
import dev.dwjava.eval.test.DatasetTester;
import dev.dwjava.eval.test.ShardGroup;
import dev.dwjava.eval.test.ShardedTester;
import dev.dwjava.kernels.Ops;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.weights.WeightLoader;
import dev.dwjava.train.config.DwConfig;
import dev.dwjava.train.dist.C10dCollectives;
import dev.dwjava.train.dist.CollectiveShardGroup;
import dev.dwjava.train.dist.Collectives;
import dev.dwjava.train.dist.DistEnv;

/**
 * {@code test.py CONFIG CHECKPOINT --eval bbox} as a call: inference over the config's val split (sharded over the
 * processes when torchrun's environment says so, see {@link ShardedTester}), the COCO results file, and the evaluation.
 */
public final class TestJob {
    private TestJob() {}

    /** What a test gives on rank 0: where the results went and, when asked for, their evaluation. */
    public record Outcome(Path resultsFile, CocoEvalResult evaluation) {}

    /**
     * @param results  the COCO results file to write (null: {@code work_dirs/<config>/results.bbox.json})
     * @param evaluate whether to evaluate (and write {@code eval.json} beside the results)
     * @param limit    only the first N images (0: all; one process only)
     * @param progress where progress and the weights' load report go
     * @return the outcome on rank 0, null on the other ranks
     */
    public static Outcome run(Path config, List<String> overrides, Path weights, Path results, boolean evaluate, int limit,
                              PrintStream progress) throws IOException {
        Torch.init();
        DwConfig.Loaded loaded = DwConfig.load(config, overrides);
        DwConfig cfg = loaded.config();
        DwDetector model = new DwDetector(cfg.model());
        progress.println(WeightLoader.loadModel(model, weights, true));
        DistEnv env = DistEnv.fromEnvironment(System.getenv());
        var device = cfg.runtime().computeDevice().forLocalRank(env.localRank());
        model.moveTo(device);
        CocoDataset val = CocoDataset.load(Path.of(cfg.data().val().annotations()), Path.of(cfg.data().val().images()), false,
                cfg.data().linksOutsideRoot());
        val.checkClasses(cfg.classes(), config + ": classes");
        Path out = results != null ? results : Path.of("work_dirs", loaded.name(), "results.bbox.json");
        DatasetTester tester = new DatasetTester(model, cfg.test(), loaded.testPipeline(), cfg.data().workers(), Ops.forDevice(device).nms());
        CocoEvalResult r;
        if (!env.distributed()) {
            r = limit > 0 ? tester.run(val, limit, out, progress)   // the GT restricted to the first N images too
                    : ShardedTester.run(tester, val, ShardGroup.SINGLE, out, evaluate, progress).evaluation();
        } else {
            if (limit > 0) {
                throw new IllegalArgumentException("--limit is not supported with several processes");
            }
            try (Collectives c = C10dCollectives.open(env, cfg.runtime().computeDevice())) {
                r = ShardedTester.run(tester, val, new CollectiveShardGroup(c, device), out, evaluate,
                        env.isMain() ? progress : null).evaluation();
            }
            if (!env.isMain()) {
                return null;
            }
        }
        if (evaluate) {
            Path stats = out.resolveSibling("eval.json");
            Files.createDirectories(stats.toAbsolutePath().getParent());
            new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(stats.toFile(), Map.of("bbox", r.toMap()));
        }
        return new Outcome(out, r);
    }
}
