package dev.dwjava.train.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import dev.dwjava.train.app.TrainJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code dw quickstart}: generates the synthetic dataset (once), trains the small quick-start model on 2 CPU cores,
 * evaluates it, and writes checkpoint, metrics.jsonl, eval.json, loss_curve.png and predictions.png to
 * work_dirs/quickstart/.
 */
@Command(name = "quickstart", description = "Train and evaluate a small DW model on a generated dataset, end to end (minutes on CPU).")
public final class QuickstartCommand implements Callable<Integer> {
    @Option(names = "--config", description = "Default: configs/quickstart.yaml.")
    Path config;

    @Option(names = "--work-dir", defaultValue = "work_dirs/quickstart", description = "Default: ${DEFAULT-VALUE}.")
    Path workDir;

    @Option(names = "--cfg-options", arity = "1..*", description = "Config overrides, e.g. solver.epochs=2.")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        Path cfg = config != null ? config : locateConfig();
        TrainJob.run(cfg, workDir, null, false, overrides, System.out);
        return 0;
    }

    /**
     * configs/quickstart.yaml from the working directory, else from the distribution's folder ({@code dw.home}, set by
     * its bin/dw), else, under Maven's exec:java in dw-train, from the parent directory.
     */
    static Path locateConfig() {
        List<Path> candidates = new ArrayList<>(List.of(Path.of("configs/quickstart.yaml")));
        String home = System.getProperty("dw.home");
        if (home != null && !home.isEmpty()) {
            candidates.add(Path.of(home, "configs", "quickstart.yaml"));
        }
        candidates.add(Path.of("../configs/quickstart.yaml"));
        for (Path p : candidates) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IllegalArgumentException("configs/quickstart.yaml not found; run from the repository root, or pass --config");
    }
}
