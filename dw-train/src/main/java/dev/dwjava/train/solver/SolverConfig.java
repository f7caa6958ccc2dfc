package dev.dwjava.train.solver;

import java.util.List;

/**
 * Optimisation settings (docs/DW_SPEC.md §5.2–5.3), the {@code solver} section of a config. The paper's recipe is SGD
 * with the step schedule; {@code optimizer: adamw} and {@code policy: cosine} are for users who tune beyond it.
 *
 * @param lr           learning rate for a total batch of {@code baseBatch} images (0.01 for 16)
 * @param baseBatch    the total batch {@code lr} is given for; other batches scale it linearly
 * @param momentum     SGD momentum (0.9)
 * @param weightDecay  L2 weight decay (1e-4); AdamW's decoupled weight decay
 * @param normDecay    weight decay of norm layers' weight and bias (0)
 * @param warmupIters  linear warmup iterations (1000)
 * @param warmupRatio  lr factor at iteration 0 (0.001)
 * @param steps        epochs (0-based) at whose start the lr is multiplied by {@code gamma} (policy step)
 * @param gamma        step decay factor (0.1)
 * @param epochs       epochs in total
 * @param gradClip     max global gradient L2 norm, or 0 for none (the DW configs use none)
 * @param policy       the schedule: {@code step} (default) or {@code cosine} (annealed per iteration to
 *                     {@code minLrRatio · lr} at the last iteration)
 * @param minLrRatio   the cosine schedule's final lr as a fraction of the regular lr (default 0)
 * @param optimizer    {@code sgd} (default) or {@code adamw}
 * @param betas        AdamW's β1, β2 (default [0.9, 0.999])
 * @param eps          AdamW's ε (default 1e-8)
 */
public record SolverConfig(double lr, int baseBatch, double momentum, double weightDecay, double normDecay,
                           int warmupIters, double warmupRatio, List<Integer> steps, double gamma, int epochs,
                           double gradClip, String policy, Double minLrRatio, String optimizer, List<Double> betas,
                           Double eps) {
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
        policy = policy == null ? "step" : policy;
        if (!List.of("step", "cosine").contains(policy)) {
            throw new IllegalArgumentException("solver: policy must be step or cosine, found '" + policy + "'");
        }
        minLrRatio = minLrRatio == null ? 0.0 : minLrRatio;
        if (!(minLrRatio >= 0 && minLrRatio <= 1)) {
            throw new IllegalArgumentException("solver: min_lr_ratio must be in [0, 1], found " + minLrRatio);
        }
        optimizer = optimizer == null ? "sgd" : optimizer;
        if (!List.of("sgd", "adamw").contains(optimizer)) {
            throw new IllegalArgumentException("solver: optimizer must be sgd or adamw, found '" + optimizer + "'");
        }
        betas = betas == null ? List.of(0.9, 0.999) : List.copyOf(betas);
        if (betas.size() != 2 || !(betas.get(0) >= 0 && betas.get(0) < 1 && betas.get(1) >= 0 && betas.get(1) < 1)) {
            throw new IllegalArgumentException("solver: betas must be two numbers in [0, 1), found " + betas);
        }
        eps = eps == null ? 1e-8 : eps;
        if (!(eps > 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("solver: eps must be positive, found " + eps);
        }
    }

    /** The paper recipe's fields; SGD with the step schedule. */
    public SolverConfig(double lr, int baseBatch, double momentum, double weightDecay, double normDecay, int warmupIters,
                        double warmupRatio, List<Integer> steps, double gamma, int epochs, double gradClip) {
        this(lr, baseBatch, momentum, weightDecay, normDecay, warmupIters, warmupRatio, steps, gamma, epochs, gradClip,
                null, null, null, null, null);
    }

    /** The learning rate for a total batch of {@code totalBatch} images (linear scaling rule). */
    public double scaledLr(int totalBatch) {
        return lr * totalBatch / baseBatch;
    }
}
