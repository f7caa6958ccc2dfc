package dev.dwjava.train.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import dev.dwjava.train.app.TrainJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code dw train}: the original's {@code train.py CONFIG [--work-dir] [--resume-from] [--auto-resume] [--cfg-options]}. */
@Command(name = "train", description = "Train a DW detector from a config (data-parallel over processes with tools/dist_train.sh).")
public final class TrainCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config;

    @Option(names = "--work-dir", description = "Checkpoints, logs and plots go here (default: work_dirs/<config name>).")
    Path workDir;

    @Option(names = "--resume", description = "Continue from this checkpoint (epoch_N.pth).")
    Path resume;

    @Option(names = "--auto-resume", description = "Continue from the newest checkpoint of the work dir, if any.")
    boolean autoResume;

    @Option(names = "--amp", arity = "0..1", fallbackValue = "auto", paramLabel = "bf16|fp16",
            description = "Mixed precision (runtime.amp): alone, fp16 on a GPU and bf16 on a CPU.")
    String amp;

    @Override
    public Integer call() throws Exception {
        List<String> overrides = new ArrayList<>(config.overrides);
        if (amp != null) {
            overrides.add("runtime.amp=" + amp);
        }
        TrainJob.run(config.config, workDir, resume, autoResume, overrides, System.out);
        return 0;
    }
}
