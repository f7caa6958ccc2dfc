package dev.dwjava.train.app;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

import dev.dwjava.core.runtime.Torch;
import dev.dwjava.train.config.DwConfig;
import dev.dwjava.train.dist.C10dCollectives;
import dev.dwjava.train.dist.Collectives;
import dev.dwjava.train.dist.DistEnv;
import dev.dwjava.train.engine.Checkpoints;

/**
 * {@code train.py CONFIG [--work-dir] [--resume-from] [--auto-resume] [--cfg-options]} as a call: reads the config,
 * finds the checkpoint to resume from, joins the process group when torchrun's environment says so, and runs
 * {@link TrainRunner}.
 */
public final class TrainJob {
    private TrainJob() {}

    /**
     * @param workDir    null: {@code work_dirs/<config name>}
     * @param resume     a checkpoint to continue from, or null
     * @param autoResume continue from the newest checkpoint of the work dir, if any (not together with {@code resume})
     * @return the work dir
     */
    public static Path run(Path config, Path workDir, Path resume, boolean autoResume, List<String> overrides, PrintStream out)
            throws Exception {
        if (resume != null && autoResume) {
            throw new IllegalArgumentException("give --resume or --auto-resume, not both");
        }
        DwConfig.Loaded loaded = DwConfig.load(config, overrides);
        Path dir = workDir != null ? workDir : Path.of("work_dirs", loaded.name());
        Path from = resume;
        if (autoResume) {
            from = new Checkpoints(dir, 1).latest().orElse(null);
            out.println(from == null ? "auto-resume: no checkpoint in " + dir + ", starting fresh" : "auto-resume: " + from);
        }
        DistEnv env = DistEnv.fromEnvironment(System.getenv());
        if (!env.distributed()) {
            new TrainRunner(loaded, dir, out).run(from);
        } else {
            Torch.init();
            try (Collectives c = C10dCollectives.open(env, loaded.config().runtime().computeDevice())) {
                PrintStream log = env.isMain() ? out : new PrintStream(OutputStream.nullOutputStream());
                new TrainRunner(loaded, dir, log, c).run(from);
            }
        }
        if (env.isMain()) {
            out.println("Work dir: " + dir.toAbsolutePath());
        }
        return dir;
    }
}
