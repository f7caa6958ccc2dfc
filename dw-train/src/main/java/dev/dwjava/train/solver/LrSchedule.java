package dev.dwjava.train.solver;

/**
 * The learning rate per iteration, with mmcv's linear warmup (docs/DW_SPEC.md §5.3). Policy {@code step} (the paper's):
 * the regular lr is {@code base·gamma^k} where k counts the step epochs already reached. Policy {@code cosine}: the
 * regular lr is annealed per iteration, {@code min + (base − min)·(1 + cos(π·i/I))/2} over the run's I iterations, with
 * {@code min = minLrRatio·base} (detectron2's WarmupCosineLR; mmcv's CosineAnnealing with {@code by_epoch=False}).
 * During the first {@code warmupIters} iterations (global counter from 0) the regular lr is multiplied by
 * {@code 1 − (1 − i/warmupIters)(1 − warmupRatio)}.
 */
public final class LrSchedule {
    private final double base;
    private final SolverConfig cfg;
    private final long totalIters;

    /** A step schedule ({@code solver.policy: step}); the cosine one needs the run's length, see the other constructor. */
    public LrSchedule(double baseLr, SolverConfig cfg) {
        this(baseLr, cfg, 0);
        if (cfg.policy().equals("cosine")) {
            throw new IllegalArgumentException("solver.policy cosine needs the iterations per epoch");
        }
    }

    /** @param itersPerEpoch batches per epoch, so that the cosine schedule spans {@code epochs · itersPerEpoch} iterations */
    public LrSchedule(double baseLr, SolverConfig cfg, long itersPerEpoch) {
        this.base = baseLr;
        this.cfg = cfg;
        this.totalIters = cfg.epochs() * itersPerEpoch;
    }

    /** The lr at global iteration {@code iter} inside 0-based {@code epoch}. */
    public double lr(long iter, int epoch) {
        double lr = base;
        if (cfg.policy().equals("cosine")) {
            double min = base * cfg.minLrRatio();
            double progress = totalIters <= 0 ? 0 : Math.min(1, (double) iter / totalIters);
            lr = min + (base - min) * (1 + Math.cos(Math.PI * progress)) / 2;
        } else {
            for (int step : cfg.steps()) {
                if (epoch >= step) {
                    lr *= cfg.gamma();
                }
            }
        }
        if (iter < cfg.warmupIters()) {
            lr *= 1 - (1 - (double) iter / cfg.warmupIters()) * (1 - cfg.warmupRatio());
        }
        return lr;
    }
}
