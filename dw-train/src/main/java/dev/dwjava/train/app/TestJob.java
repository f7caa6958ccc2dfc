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
import dev.dwjava.data.coco.CocoJson;
import dev.dwjava.eval.coco.CocoEvalResult;
import dev.dwjava.eval.test.DatasetTester;
import dev.dwjava.eval.test.ShardedTester;
import dev.dwjava.kernels.Ops;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.inference.TestTimeAugmentation;
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
        return run(config, overrides, weights, new Options(results, evaluate, limit, "val", null, 0.3, false), progress);
    }

    /**
     * What a test does besides inference.
     *
     * @param results      the COCO results file to write (null: {@code work_dirs/<config>/results.bbox.json})
     * @param evaluate     whether to evaluate (and write {@code eval.json} beside the results)
     * @param limit        only the first N images (0: all; one process only)
     * @param split        {@code val} or {@code train}: whose annotation (or image-info) file and images are tested
     * @param showDir      where to draw each image's detections above {@code showScoreThr} next to its ground truth
     *                     (null: nothing drawn; one process only)
     * @param showScoreThr the score a drawn detection must exceed
     * @param tta          test-time augmentation ({@code test.tta_scales} and horizontal flip; one process only)
     * @param showTruth    draw the ground truth beside the detections (where the image has any)
     */
    public record Options(Path results, boolean evaluate, int limit, String split, Path showDir, double showScoreThr,
                          boolean tta, boolean showTruth) {
        public Options(Path results, boolean evaluate, int limit, String split, Path showDir, double showScoreThr,
                       boolean tta) {
            this(results, evaluate, limit, split, showDir, showScoreThr, tta, true);
        }
    }

    /** As {@link #run(Path, List, Path, Path, boolean, int, PrintStream)} with the options of {@code dw test}. */
    public static Outcome run(Path config, List<String> overrides, Path weights, Options opt, PrintStream progress)
            throws IOException {
        Path results = opt.results();
        boolean evaluate = opt.evaluate();
        int limit = opt.limit();
        Torch.init();
        DwConfig.Loaded loaded = DwConfig.load(config, overrides);
        DwConfig cfg = loaded.config();
        DwDetector model = new DwDetector(cfg.model());
        progress.println(WeightLoader.loadModel(model, weights, true));
        DistEnv env = DistEnv.fromEnvironment(System.getenv());
        var device = cfg.runtime().computeDevice().forLocalRank(env.localRank());
        model.moveTo(device);
        var split = switch (opt.split()) {
            case "val" -> cfg.data().val();
            case "train" -> cfg.data().train();
            default -> throw new IllegalArgumentException("--split must be train or val, found '" + opt.split() + "'");
        };
        // The test pipeline without training filters: every image of the file is tested, annotated or not.
        CocoDataset val = CocoDataset.load(Path.of(split.annotations()), Path.of(split.images()), false,
                cfg.data().linksOutsideRoot());
        if (evaluate && CocoJson.readInstances(val.annotations()).annotations().isEmpty()) {
            throw new IllegalArgumentException(val.annotations() + " has no annotations (an image-info file?): there is"
                    + " nothing to evaluate against; use --format-only to write the results file alone");
        }
        val.checkClasses(cfg.classes(), config + ": classes");
        Path out = results != null ? results : Path.of("work_dirs", loaded.name(), "results.bbox.json");
        DatasetTester tester = new DatasetTester(model, cfg.test(), loaded.testPipeline(), cfg.data().workers(), Ops.forDevice(device).nms());
        if (opt.tta()) {
            tester = tester.withAugmentation(TestTimeAugmentation.of(loaded.testPipeline(), cfg.test()));
        }
        CocoEvalResult r;
        if (!env.distributed()) {
            List<CocoJson.Result> all = tester.infer(val, limit, progress);
            DatasetTester.writeResults(out, all);
            // With --limit, the GT is restricted to the first N images too.
            r = evaluate ? DatasetTester.evaluate(val, all, limit) : null;
            if (opt.showDir() != null) {
                ShowPictures.write(val, limit, all, opt.showScoreThr(), cfg.data().ignoreOrientation(), opt.showDir(),
                        opt.showTruth());
            }
        } else {
            if (limit > 0 || opt.showDir() != null || opt.tta()) {
                throw new IllegalArgumentException("--limit, --show-dir and --tta are not supported with several processes");
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
