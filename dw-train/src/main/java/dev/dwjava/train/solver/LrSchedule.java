package dev.dwjava.train.solver;

/**
 * mmcv's step schedule with linear warmup (docs/DW_SPEC.md §5.3): the regular lr is {@code base·gamma^k} where k counts the
 * step epochs already reached; during the first {@code warmupIters} iterations (global counter from 0) it is
 * multiplied by {@code 1 − (1 − i/warmupIters)(1 − warmupRatio)}.
 */
public final class LrSchedule {
    private final double base;
    private final SolverConfig cfg;

    public LrSchedule(double baseLr, SolverConfig cfg) {
        this.base = baseLr;
        this.cfg = cfg;
    }

    /** The lr at global iteration {@code iter} inside 0-based {@code epoch}. */
    public double lr(long iter, int epoch) {
        double lr = base;
        for (int step : cfg.steps()) {
            if (epoch >= step) {
                lr *= cfg.gamma();
            }
        }
        if (iter < cfg.warmupIters()) {
            lr *= 1 - (1 - (double) iter / cfg.warmupIters()) * (1 - cfg.warmupRatio());
        }
        return lr;
    }
}
