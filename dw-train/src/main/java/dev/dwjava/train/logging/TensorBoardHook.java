package dev.dwjava.train.logging;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import dev.dwjava.train.engine.MetricsLog;
import dev.dwjava.train.engine.TrainHook;
import dev.dwjava.train.engine.Trainer;

/**
 * Mirrors {@code metrics.jsonl} into a TensorBoard event file under {@code <work dir>/tf_logs}: every numeric field
 * of a record becomes the scalar {@code <mode>/<field>} ({@code train/loss}, {@code train/lr}, {@code val/bbox_mAP},
 * ...) at the record's iteration, as mmdetection's TensorboardLoggerHook tags them. Train records are stepped by
 * {@code global_iter}, val records by {@code iter}; both count the iterations done. The file is flushed after each
 * record (one per log interval or evaluation) and closed when training ends. A run starts its file with a session
 * start at the iteration it starts from, so that TensorBoard drops the points a run that went on past the resumed
 * checkpoint had written, as {@code MetricsLog.keepUpTo} drops its records.
 */
public final class TensorBoardHook implements TrainHook, MetricsLog.Listener {
    /** Record fields that say where a record is, not what was measured (and the ETA, a countdown). */
    static final Set<String> NOT_SCALARS = Set.of("epoch", "iter", "global_iter", "eta_s");

    private final Path logDir;
    private final MetricsLog metrics;
    private TensorBoardWriter writer;

    private TensorBoardHook(Path logDir, MetricsLog metrics) {
        this.logDir = logDir;
        this.metrics = metrics;
    }

    /** A hook that writes the records of {@code metrics} to a new event file in {@code logDir} while training runs. */
    public static TensorBoardHook attach(Path logDir, MetricsLog metrics) {
        TensorBoardHook h = new TensorBoardHook(logDir, metrics);
        metrics.addListener(h);
        return h;
    }

    /** The event file (null before training starts). */
    public Path file() {
        return writer == null ? null : writer.file();
    }

    @Override
    public void beforeTrain(Trainer trainer) {
        try {
            writer = TensorBoardWriter.create(logDir);
            writer.sessionStart(trainer.iteration());   // a resumed run replaces what came after its checkpoint
            writer.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a TensorBoard event file in " + logDir
                    + " (set runtime.tensorboard=false to train without one)", e);
        }
    }

    @Override
    public void record(String mode, Map<String, ?> fields) {
        if (writer == null) {
            return;   // a record outside training (none is written today)
        }
        Object at = fields.get("train".equals(mode) ? "global_iter" : "iter");
        if (!(at instanceof Number step)) {
            return;   // a record without an iteration has no place on TensorBoard's x axis
        }
        double wallTime = System.currentTimeMillis() / 1000.0;
        try {
            for (Map.Entry<String, ?> e : fields.entrySet()) {
                if (e.getValue() instanceof Number v && !NOT_SCALARS.contains(e.getKey())) {
                    writer.scalar(mode + "/" + e.getKey(), step.longValue(), v.doubleValue(), wallTime);
                }
            }
            writer.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + writer.file(), e);
        }
    }

    @Override
    public void afterTrain(Trainer trainer, Throwable failure) {
        metrics.removeListener(this);
        if (writer == null) {
            return;
        }
        try {
            writer.close();
        } catch (IOException e) {
            if (failure == null) {
                throw new UncheckedIOException("cannot write " + writer.file(), e);
            }
            failure.addSuppressed(e);   // the training failure is the news
        }
    }
}
