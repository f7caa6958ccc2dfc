package dev.dwjava.train.app;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.dwjava.data.coco.CocoDataset;
import dev.dwjava.train.config.DwConfig;
import dev.dwjava.train.engine.MetricsLog;
import dev.dwjava.train.engine.StepResult;
import dev.dwjava.train.engine.TrainHook;
import dev.dwjava.train.engine.Trainer;

/** A run that stops (as a kill would) right after iteration {@code n}, before anything else sees that step. */
final class StoppingRunner extends TrainRunner {
    static final class Stopped extends RuntimeException {}

    private final long n;

    StoppingRunner(DwConfig.Loaded loaded, Path workDir, PrintStream out, long n) {
        super(loaded, workDir, out);
        this.n = n;
    }

    @Override
    public List<TrainHook> buildHooks(Trainer trainer, CocoDataset val, MetricsLog metrics) {
        List<TrainHook> hooks = new ArrayList<>();
        hooks.add(new TrainHook() {
            @Override
            public void afterStep(Trainer t, StepResult r) {
                if (t.iteration() == n) {
                    throw new Stopped();
                }
            }
        });
        hooks.addAll(super.buildHooks(trainer, val, metrics));
        return hooks;
    }
}
