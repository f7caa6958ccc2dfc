package dev.dwjava.core.dw;

import org.bytedeco.pytorch.Tensor;

/**
 * Averages a 0-dim tensor over the processes of a distributed run, as the original's {@code reduce_mean} does for the
 * loss normalizers (docs/DW_SPEC.md §3.8). A single process uses {@link #SINGLE_PROCESS}.
 */
@FunctionalInterface
public interface RankAverager {
    /** The identity: one process, nothing to average. */
    RankAverager SINGLE_PROCESS = t -> t;

    /** @return the mean of {@code value} over all ranks (every rank gets the same result) */
    Tensor mean(Tensor value);
}
