package dev.dwjava.train.engine;

import dev.dwjava.model.DwDetector;
import dev.dwjava.train.solver.ExpMomentumEma;
import dev.dwjava.train.solver.LossScaler;
import dev.dwjava.train.solver.Optimizer;

/**
 * Everything a checkpoint saves and a resume restores besides the counters: the trained model, the optimizer's state,
 * and when the run has them the weight average and the fp16 loss scale.
 *
 * @param ema    the weight average ({@code runtime.ema}), or null
 * @param scaler the dynamic loss scale ({@code runtime.amp: fp16}), or null
 */
public record TrainState(DwDetector model, Optimizer optimizer, ExpMomentumEma ema, LossScaler scaler) {
    public TrainState(DwDetector model, Optimizer optimizer) {
        this(model, optimizer, null, null);
    }

    /** The weights to evaluate and deploy: the average when there is one (mmdetection's EMA hook does the same). */
    public DwDetector evaluatedModel() {
        return ema != null ? ema.model() : model;
    }
}
