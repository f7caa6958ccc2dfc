package dev.dwjava.train.solver;

import java.util.List;

import dev.dwjava.core.tensor.Tensors;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * The dynamic loss scale of fp16 training, with the rule of PyTorch's {@code GradScaler} (which mmcv's fp16 hook uses
 * for {@code loss_scale='dynamic'}): the loss is multiplied by the scale before the backward so that small gradients
 * survive in fp16, the gradients are divided by it before clipping and the update; a step whose gradients are not
 * finite is skipped and halves the scale, and {@code growthInterval} finite steps in a row double it. Scales are
 * powers of two, so scaling and unscaling are exact.
 */
public final class LossScaler {
    /** GradScaler's defaults. */
    public static final double INIT_SCALE = 65536, GROWTH_FACTOR = 2, BACKOFF_FACTOR = 0.5;
    public static final int GROWTH_INTERVAL = 2000;

    private final double growthFactor, backoffFactor;
    private final int growthInterval;
    private double scale;
    private int growthTracker;
    private long skipped;

    /** What a checkpoint keeps: the scale and the finite steps since it last changed. */
    public record State(double scale, int growthTracker) {}

    public LossScaler(double initScale, double growthFactor, double backoffFactor, int growthInterval) {
        if (!(initScale > 0) || !(growthFactor > 1) || !(backoffFactor > 0 && backoffFactor < 1) || growthInterval < 1) {
            throw new IllegalArgumentException("loss scaler: need init scale > 0, growth factor > 1, backoff in (0, 1) and"
                    + " growth interval ≥ 1, found " + initScale + ", " + growthFactor + ", " + backoffFactor + ", "
                    + growthInterval);
        }
        this.scale = initScale;
        this.growthFactor = growthFactor;
        this.backoffFactor = backoffFactor;
        this.growthInterval = growthInterval;
    }

    /** GradScaler's defaults: 2^16, ×2 after 2000 finite steps, ×0.5 on overflow. */
    public static LossScaler dynamic() {
        return new LossScaler(INIT_SCALE, GROWTH_FACTOR, BACKOFF_FACTOR, GROWTH_INTERVAL);
    }

    /** The current scale. */
    public double scale() {
        return scale;
    }

    /** Steps skipped so far for non-finite gradients. */
    public long skipped() {
        return skipped;
    }

    /** {@code loss} × scale, what the backward runs on. */
    public Tensor scale(Tensor loss) {
        return loss.mul(Tensors.s(scale));
    }

    /** Divides the gradients of {@code params} by the scale (in place), before clipping and the update. */
    public void unscale(List<Optimizer.Param> params) {
        try (NoGradGuard g = new NoGradGuard()) {
            org.bytedeco.pytorch.Scalar inverse = Tensors.s(1.0 / scale);
            for (Optimizer.Param p : params) {
                Tensor grad = p.tensor().grad();
                if (grad != null && grad.defined()) {
                    grad.mul_(inverse);
                }
            }
        }
    }

    /**
     * Records a step's outcome and adapts the scale.
     *
     * @param finite whether the step's gradients were all finite
     * @return whether the optimizer should take the step
     */
    public boolean update(boolean finite) {
        if (!finite) {
            scale *= backoffFactor;
            growthTracker = 0;
            skipped++;
            return false;
        }
        if (++growthTracker == growthInterval) {
            scale *= growthFactor;
            growthTracker = 0;
        }
        return true;
    }

    public State state() {
        return new State(scale, growthTracker);
    }

    public void restore(State state) {
        if (!(state.scale() > 0) || state.growthTracker() < 0) {
            throw new IllegalArgumentException("loss scaler state must have a positive scale and a tracker ≥ 0, found "
                    + state);
        }
        this.scale = state.scale();
        this.growthTracker = state.growthTracker();
    }
}
