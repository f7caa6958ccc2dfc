package dev.dwjava.train.engine;

import java.io.PrintStream;
import java.util.function.IntFunction;

/**
 * Saves a checkpoint every {@code epochs} epochs ({@code epoch_N}) or every {@code iters} iterations ({@code iter_N},
 * which a resume continues from in the middle of an epoch), and always after the last epoch ({@code epoch_N}).
 */
public final class CheckpointHook implements TrainHook {
    private final Checkpoints checkpoints;
    private final int everyEpochs;
    private final int everyIters;
    private final Checkpoints.RunInfo run;
    private final IntFunction<Checkpoints.Meta> epochMeta;
    private final PrintStream console;

    /**
     * @param everyEpochs epochs between checkpoints, or 0 when {@code everyIters} counts
     * @param everyIters  iterations between checkpoints, or 0 when {@code everyEpochs} counts
     */
    public CheckpointHook(Checkpoints checkpoints, int everyEpochs, int everyIters, Checkpoints.RunInfo run, PrintStream console) {
        if ((everyEpochs > 0) == (everyIters > 0) || everyEpochs < 0 || everyIters < 0) {
            throw new IllegalArgumentException("checkpoint interval: one of epochs (" + everyEpochs + ") and iterations ("
                    + everyIters + ") must be positive, the other 0");
        }
        this.checkpoints = checkpoints;
        this.everyEpochs = everyEpochs;
        this.everyIters = everyIters;
        this.run = run;
        this.epochMeta = null;
        this.console = console;
    }

    /** Every {@code interval} epochs; {@code meta} makes the metadata of a finished 1-based epoch. */
    public CheckpointHook(Checkpoints checkpoints, int interval, IntFunction<Checkpoints.Meta> meta, PrintStream console) {
        this.checkpoints = checkpoints;
        this.everyEpochs = Math.max(1, interval);
        this.everyIters = 0;
        this.run = null;
        this.epochMeta = meta;
        this.console = console;
    }

    @Override
    public void afterStep(Trainer t, StepResult step) {
        long done = t.iteration();
        if (everyIters == 0 || done % everyIters != 0 || done == (long) t.epochs() * t.itersPerEpoch()) {
            return;   // (after the very last step the epoch checkpoint follows)
        }
        Checkpoints.Meta meta = run.at(step.epoch(), done, t.batchInEpoch());
        console.println("Saving checkpoint " + checkpoints.saveIteration(t.state(), meta));
    }

    @Override
    public void afterEpoch(Trainer t, int epoch) {
        int done = epoch + 1;
        boolean due = everyEpochs > 0 && done % everyEpochs == 0;
        if (due || done == t.epochs()) {
            Checkpoints.Meta meta = epochMeta != null ? epochMeta.apply(done) : run.at(done, t.iteration(), 0);
            console.println("Saving checkpoint " + checkpoints.save(t.state(), meta));
        }
    }
}
