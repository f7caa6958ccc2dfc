package dev.dwjava.train.engine;

import java.io.PrintStream;
import java.util.function.IntFunction;

/** Saves a checkpoint every {@code interval} epochs and after the last one. */
public final class CheckpointHook implements TrainHook {
    private final Checkpoints checkpoints;
    private final int interval;
    private final IntFunction<Checkpoints.Meta> meta;
    private final PrintStream console;

    /** @param meta the checkpoint metadata for a finished 1-based epoch */
    public CheckpointHook(Checkpoints checkpoints, int interval, IntFunction<Checkpoints.Meta> meta, PrintStream console) {
        this.checkpoints = checkpoints;
        this.interval = Math.max(1, interval);
        this.meta = meta;
        this.console = console;
    }

    @Override
    public void afterEpoch(Trainer t, int epoch) {
        int done = epoch + 1;
        if (done % interval == 0 || done == t.epochs()) {
            console.println("Saving checkpoint " + checkpoints.save(t.model(), t.optimizer(), meta.apply(done)));
        }
    }
}
