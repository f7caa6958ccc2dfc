package dev.dwjava.train.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import dev.dwjava.train.app.TrainRunner;
import dev.dwjava.train.config.DwConfig;
import dev.dwjava.train.dist.C10dCollectives;
import dev.dwjava.train.dist.Collectives;
import dev.dwjava.train.dist.DistEnv;
import dev.dwjava.train.engine.Checkpoints;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code dw train}: the original's {@code train.py CONFIG [--work-dir] [--resume-from] [--auto-resume] [--cfg-options]}. */
@Command(name = "train", description = "Train a DW detector from a config (data-parallel over processes with tools/dist_train.sh).")
public final class TrainCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "Config file (YAML).")
    Path config;

    @Option(names = "--work-dir", description = "Checkpoints, logs and plots go here (default: work_dirs/<config name>).")
    Path workDir;

    @Option(names = "--resume", description = "Continue from this checkpoint (epoch_N.pth).")
    Path resume;

    @Option(names = "--auto-resume", description = "Continue from the newest checkpoint of the work dir, if any.")
    boolean autoResume;

    @Option(names = "--cfg-options", arity = "1..*", description = "Config overrides, e.g. solver.lr=0.02.")
    List<String> overrides = new ArrayList<>();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        return run(config, workDir, resume, autoResume, overrides);
    }

    static int run(Path config, Path workDir, Path resume, boolean autoResume, List<String> overrides) throws Exception {
        if (resume != null && autoResume) {
            throw new IllegalArgumentException("give --resume or --auto-resume, not both");
        }
        DwConfig.Loaded loaded = DwConfig.load(config, overrides);
        Path dir = workDir != null ? workDir : Path.of("work_dirs", loaded.name());
        Path from = resume;
        if (autoResume) {
            from = new Checkpoints(dir, 1).latest().orElse(null);
            System.out.println(from == null ? "auto-resume: no checkpoint in " + dir + ", starting fresh" : "auto-resume: " + from);
        }
        DistEnv env = DistEnv.fromEnvironment(System.getenv());
        if (!env.distributed()) {
            new TrainRunner(loaded, dir, System.out).run(from);
        } else {
            dev.dwjava.core.runtime.Torch.init();
            try (Collectives c = C10dCollectives.open(env, loaded.config().runtime().computeDevice())) {
                java.io.PrintStream log = env.isMain() ? System.out : new java.io.PrintStream(java.io.OutputStream.nullOutputStream());
                new TrainRunner(loaded, dir, log, c).run(from);
            }
        }
        if (env.isMain()) {
            System.out.println("Work dir: " + dir.toAbsolutePath());
        }
        return 0;
    }
}
