package dev.dwjava.train.solver;

import java.util.List;

/**
 * Optimisation settings (docs/DW_SPEC.md §5.2–5.3), the {@code solver} section of a config.
 *
 * @param lr           learning rate for a total batch of {@code baseBatch} images (0.01 for 16)
 * @param baseBatch    the total batch {@code lr} is given for; other batches scale it linearly
 * @param momentum     SGD momentum (0.9)
 * @param weightDecay  L2 weight decay (1e-4)
 * @param normDecay    weight decay of norm layers' weight and bias (0)
 * @param warmupIters  linear warmup iterations (1000)
 * @param warmupRatio  lr factor at iteration 0 (0.001)
 * @param steps        epochs (0-based) at whose start the lr is multiplied by {@code gamma}
 * @param gamma        step decay factor (0.1)
 * @param epochs       epochs in total
 * @param gradClip     max global gradient L2 norm, or 0 for none (the DW configs use none)
 */
public record SolverConfig(double lr, int baseBatch, double momentum, double weightDecay, double normDecay,
                           int warmupIters, double warmupRatio, List<Integer> steps, double gamma, int epochs,
                           double gradClip) {
    public SolverConfig {
        if (!(lr > 0) || Double.isInfinite(lr) || baseBatch <= 0 || epochs <= 0) {
            throw new IllegalArgumentException("solver: lr (finite), base_batch and epochs must be positive, found " + lr + ", "
                    + baseBatch + ", " + epochs);
        }
        if (warmupIters < 0 || !(warmupRatio > 0 && warmupRatio <= 1)) {
            throw new IllegalArgumentException("solver: warmup_iters must be ≥ 0 and warmup_ratio in (0, 1], found "
                    + warmupIters + ", " + warmupRatio);
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("solver: momentum must be in [0, 1), found " + momentum);
        }
        if (!(weightDecay >= 0 && weightDecay < 1) || !(normDecay >= 0 && normDecay < 1)) {
            throw new IllegalArgumentException("solver: weight_decay and norm_decay must be in [0, 1), found " + weightDecay + ", "
                    + normDecay);
        }
        if (!(gamma > 0 && gamma <= 1)) {
            throw new IllegalArgumentException("solver: gamma must be in (0, 1], found " + gamma);
        }
        steps = steps == null ? List.of() : List.copyOf(steps);
        if (!(gradClip >= 0) || Double.isInfinite(gradClip)) {
            throw new IllegalArgumentException("solver: grad_clip must be ≥ 0, found " + gradClip);
        }
    }

    /** The learning rate for a total batch of {@code totalBatch} images (linear scaling rule). */
    public double scaledLr(int totalBatch) {
        return lr * totalBatch / baseBatch;
    }
}
