package dev.dwjava.train.engine;

import java.io.PrintStream;
import java.util.Map;
import java.util.Optional;

/**
 * {@code runtime.save_best}: after an evaluation whose {@code metric} beats every earlier one of the run (strictly
 * higher), saves {@code best_<metric>_epoch_N} and removes the previous best. A resumed run keeps competing with the
 * best recorded before its start point; a fresh run starts afresh (an older run's best in the same work dir is
 * replaced by the first evaluation).
 */
public final class BestCheckpoint {
    private final Checkpoints checkpoints;
    private final String metric;
    private final Checkpoints.RunInfo run;
    private final PrintStream console;
    private double best = Double.NEGATIVE_INFINITY;

    /** @param startIteration the iteration the run starts from (0 for a fresh run) */
    public BestCheckpoint(Checkpoints checkpoints, String metric, Checkpoints.RunInfo run, long startIteration, PrintStream console) {
        this.checkpoints = checkpoints;
        this.metric = metric;
        this.run = run;
        this.console = console;
        if (startIteration > 0) {
            Optional<Checkpoints.Best> earlier = checkpoints.best(metric);
            if (earlier.isPresent() && earlier.get().iter() <= startIteration) {
                best = earlier.get().value();
            }
        }
    }

    public String metric() {
        return metric;
    }

    /** The best score so far (−∞ before the first evaluation). */
    public double best() {
        return best;
    }

    /**
     * After an evaluation at the end of 1-based epoch {@code epoch}.
     *
     * @param metrics the evaluation's numbers by name; must hold {@link #metric()}
     */
    public void evaluated(Trainer t, int epoch, Map<String, ?> metrics) {
        Object v = metrics.get(metric);
        if (!(v instanceof Number n)) {
            throw new IllegalStateException("the evaluation has no " + metric + " (it has " + metrics.keySet() + ")");
        }
        double value = n.doubleValue();
        if (!(value > best)) {
            return;   // NaN never counts as better
        }
        best = value;
        console.printf("New best %s %.4f: saving %s%n", metric, value,
                checkpoints.saveBest(t.state(), run.at(epoch, t.iteration(), 0), metric, value));
    }
}
