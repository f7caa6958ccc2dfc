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
import dev.dwjava.train.engine.WorkDirLock;
import dev.dwjava.train.logging.TrainLog;

/**
 * {@code train.py CONFIG [--work-dir] [--resume-from] [--auto-resume] [--cfg-options]} as a call: reads the config,
 * finds the checkpoint to resume from, joins the process group when torchrun's environment says so, and runs
 * {@link TrainRunner}; rank 0's console also goes to {@code <work dir>/train.log}.
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
        DistEnv env = DistEnv.fromEnvironment(System.getenv());
        if (!env.isMain()) {
            return train(loaded, dir, resume, autoResume, env, out, new PrintStream(OutputStream.nullOutputStream()));
        }
        // Rank 0 mirrors its console into train.log; a work dir another run holds (or that cannot be written) is
        // refused before the log is touched, as the run itself would refuse it.
        WorkDirLock.acquire(dir).close();
        try (TrainLog log = TrainLog.open(dir.resolve("train.log"), out)) {
            try {
                train(loaded, dir, resume, autoResume, env, log.out(), log.out());
            } catch (Exception | Error e) {
                log.fileOnly("error: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
                throw e;
            }
            log.out().println("Work dir: " + dir.toAbsolutePath());
        }
        return dir;
    }

    /** @param log the run's console (rank 0's; other ranks print nothing but the auto-resume line to {@code out}) */
    private static Path train(DwConfig.Loaded loaded, Path dir, Path resume, boolean autoResume, DistEnv env, PrintStream out,
                              PrintStream log) throws Exception {
        Path from = resume;
        if (autoResume) {
            from = new Checkpoints(dir, 1).latest().orElse(null);
            out.println(from == null ? "auto-resume: no checkpoint in " + dir + ", starting fresh" : "auto-resume: " + from);
        }
        if (!env.distributed()) {
            new TrainRunner(loaded, dir, log).run(from);
        } else {
            Torch.init();
            try (Collectives c = C10dCollectives.open(env, loaded.config().runtime().computeDevice())) {
                new TrainRunner(loaded, dir, log, c).run(from);
            }
        }
        return dir;
    }
}
