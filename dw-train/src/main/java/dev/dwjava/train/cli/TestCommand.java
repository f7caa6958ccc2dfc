package dev.dwjava.train.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dwjava.core.runtime.Torch;
import dev.dwjava.data.coco.CocoDataset;
import dev.dwjava.data.coco.CocoJson;
import dev.dwjava.eval.coco.CocoEvalResult;
import dev.dwjava.eval.test.DatasetTester;
import dev.dwjava.kernels.Ops;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.weights.WeightLoader;
import dev.dwjava.train.config.DwConfig;
import dev.dwjava.train.dist.C10dCollectives;
import dev.dwjava.train.dist.Collectives;
import dev.dwjava.train.dist.DistEnv;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code dw test}: the original's {@code test.py CONFIG CHECKPOINT --eval bbox}: inference over the val split and COCO AP. */
@Command(name = "test", description = "Run a checkpoint over the config's val split, write COCO results and evaluate (bbox).")
public final class TestCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "Config file (YAML).")
    Path config;

    @Option(names = "--weights", required = true, description = "Checkpoint (.pth): ours or an official mmdetection DW one.")
    Path weights;

    @Option(names = "--eval", description = "Metric to compute: bbox (the only one; default when given without value).",
            arity = "0..1", fallbackValue = "bbox")
    String eval;

    @Option(names = "--out", description = "COCO results file to write (default: work_dirs/<config>/results.bbox.json).")
    Path out;

    @Option(names = "--limit", defaultValue = "0", description = "Only the first N images (0: all).")
    int limit;

    @Option(names = "--cfg-options", arity = "1..*", description = "Config overrides.")
    List<String> overrides = new ArrayList<>();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (eval != null && !eval.equals("bbox")) {
            throw new IllegalArgumentException("--eval supports bbox only, found '" + eval + "'");
        }
        Torch.init();
        DwConfig.Loaded loaded = DwConfig.load(config, overrides);
        DwConfig cfg = loaded.config();
        DwDetector model = new DwDetector(cfg.model());
        System.err.println(WeightLoader.loadModel(model, weights, true));
        DistEnv env = DistEnv.fromEnvironment(System.getenv());
        model.moveTo(cfg.runtime().computeDevice().forLocalRank(env.localRank()));
        CocoDataset val = CocoDataset.load(Path.of(cfg.data().val().annotations()), Path.of(cfg.data().val().images()), false,
                cfg.data().linksOutsideRoot());
        val.checkClasses(cfg.classes(), config + ": classes");
        Path results = out != null ? out : Path.of("work_dirs", loaded.name(), "results.bbox.json");
        DatasetTester tester = new DatasetTester(model, cfg.test(), loaded.testPipeline(), cfg.data().workers(),
                Ops.forDevice(cfg.runtime().computeDevice().forLocalRank(env.localRank())).nms());
        CocoEvalResult r;
        if (!env.distributed()) {
            r = tester.run(val, limit, results, System.err);
        } else {
            // Sharded inference: rank r takes images r, r + N, ...; rank 0 gathers the shards' files and evaluates once.
            if (limit > 0) {
                throw new IllegalArgumentException("--limit is not supported with several processes");
            }
            try (Collectives c = C10dCollectives.open(env, cfg.runtime().computeDevice())) {
                Path shard = results.resolveSibling(results.getFileName() + ".rank" + env.rank());
                DatasetTester.writeResults(shard, tester.infer(val.shard(env.rank(), env.worldSize(), loaded.testPipeline().imagesPerBatch()), 0,
                        env.isMain() ? System.err : null));
                c.barrier();
                if (!env.isMain()) {
                    return 0;
                }
                List<CocoJson.Result> all = new ArrayList<>();
                for (int k = 0; k < env.worldSize(); k++) {
                    Path f = results.resolveSibling(results.getFileName() + ".rank" + k);
                    all.addAll(CocoJson.readResults(f));
                    Files.delete(f);
                }
                DatasetTester.writeResults(results, all);
                r = DatasetTester.evaluate(val, all, 0);
            }
        }
        var o = spec.commandLine().getOut();
        o.println("results written to " + results);
        if (eval != null) {
            o.print(r.summary());
            o.println();
            o.print(r.perClassTable());
            Path stats = results.resolveSibling("eval.json");
            Files.createDirectories(stats.toAbsolutePath().getParent());
            new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(stats.toFile(), java.util.Map.of("bbox", r.toMap()));
        }
        o.flush();
        return 0;
    }
}
