package dev.dwjava.train.solver;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.dwjava.core.runtime.TensorScope;
import dev.dwjava.model.DwDetector;
import dev.dwjava.model.weights.WeightLoader;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * An exponential moving average of the model's weights with mmdetection's {@code ExpMomentumEMA} rule (YOLOX's): at
 * update {@code s} (0-based) the first update copies the weights, and every {@code interval}-th later one sets
 * {@code avg ← (1 − m)·avg + m·w} with {@code m = (1 − momentum)·exp(−(1 + s)/gamma) + momentum}, so the average
 * follows the weights closely early in training and ever more slowly later. Buffers are copied from the model
 * (mmengine's default) unless {@code updateBuffers}, then floating buffers are averaged too. The average is a second
 * {@link DwDetector} on the model's device: the evaluation in training and the saved checkpoints use it.
 */
public final class ExpMomentumEma implements AutoCloseable {
    /** mmdetection's defaults. */
    public static final double MOMENTUM = 0.0002, GAMMA = 2000;

    private final DwDetector averaged;
    private final double momentum, gamma;
    private final int interval;
    private final boolean updateBuffers;
    private final List<Tensor[]> averagedPairs = new ArrayList<>();   // {average, source}: averaged (floating) or copied
    private final List<Tensor[]> copiedPairs = new ArrayList<>();     // {average, source}: always copied
    private long steps;

    /**
     * @param source   the trained model (its weights start the average, as mmengine's deep copy does)
     * @param momentum the final momentum (the weight of the newest weights once the exponential term has decayed)
     * @param gamma    the decay of the exponential term, in updates
     * @param interval updates between averaging steps (the others only count)
     */
    public ExpMomentumEma(DwDetector source, double momentum, double gamma, int interval, boolean updateBuffers) {
        if (!(momentum > 0 && momentum < 1) || !(gamma > 0) || interval < 1) {
            throw new IllegalArgumentException("ema: momentum must be in (0, 1), gamma > 0 and interval ≥ 1, found momentum "
                    + momentum + ", gamma " + gamma + ", interval " + interval);
        }
        this.momentum = momentum;
        this.gamma = gamma;
        this.interval = interval;
        this.updateBuffers = updateBuffers;
        this.averaged = new DwDetector(source.config()).moveTo(source.device());
        try (TensorScope scope = TensorScope.open(); NoGradGuard g = new NoGradGuard()) {
            Map<String, Tensor> src = WeightLoader.stateOf(source), avg = WeightLoader.stateOf(averaged);
            java.util.Set<String> params = new java.util.HashSet<>();
            for (int k = 0; k < averaged.named_parameters().size(); k++) {
                params.add(averaged.named_parameters().get(k).key().getString());
            }
            for (Map.Entry<String, Tensor> e : avg.entrySet()) {
                Tensor a = e.getValue(), s = src.get(e.getKey());
                a.requires_grad_(false);
                a.copy_(s);
                Tensor[] pair = {retained(a), retained(s)};
                boolean averagedHere = (params.contains(e.getKey()) || updateBuffers) && a.is_floating_point();
                (averagedHere ? averagedPairs : copiedPairs).add(pair);
            }
        }
    }

    private static Tensor retained(Tensor t) {
        Tensor own = new Tensor(t);
        own.retainReference();
        return own;
    }

    /** The momentum of update {@code step} (0-based; update 0 copies). */
    public double momentumAt(long step) {
        return (1 - momentum) * Math.exp(-(1.0 + step) / gamma) + momentum;
    }

    /** One update after an optimisation step (mmengine's {@code update_parameters}). */
    public void update() {
        try (TensorScope scope = TensorScope.open(); NoGradGuard g = new NoGradGuard()) {
            if (steps == 0) {
                for (Tensor[] p : averagedPairs) {
                    p[0].copy_(p[1]);
                }
            } else if (steps % interval == 0) {
                double m = momentumAt(steps);
                Scalar keep = new Scalar(1 - m), take = new Scalar(m);
                for (Tensor[] p : averagedPairs) {
                    p[0].mul_(keep).add_(p[1], take);
                }
            }
            for (Tensor[] p : copiedPairs) {
                p[0].copy_(p[1]);
            }
        }
        steps++;
    }

    /** The averaged model (evaluate and save this one). */
    public DwDetector model() {
        return averaged;
    }

    /** Updates done so far (mmengine's {@code steps} buffer). */
    public long steps() {
        return steps;
    }

    /** Continues from a checkpoint: the averaged weights are loaded into {@link #model()} by the caller. */
    public void restoreSteps(long steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("ema steps must be ≥ 0, found " + steps);
        }
        this.steps = steps;
    }

    /** The averaged model's state by name (the handles belong to the caller's scope). */
    public Map<String, Tensor> state() {
        return new LinkedHashMap<>(WeightLoader.stateOf(averaged));
    }

    @Override
    public String toString() {
        return "ExpMomentumEMA(momentum " + momentum + ", gamma " + gamma + ", interval " + interval
                + (updateBuffers ? ", buffers averaged" : "") + ")";
    }

    @Override
    public void close() {
        averaged.close();
    }
}
